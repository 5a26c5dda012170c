"""Webhooks are accepted while RabbitMQ is away and published once it is back."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import aio_pika
import asyncpg
import pytest
from orders_fakes import SHOPIFY_KEY, encode, shopify_headers, shopify_order
from orders_harness import OrdersHarness

from orderflow.backbone.service import Service
from orderflow.orders.main import create_service
from orderflow.orders.settings import Settings

UNREACHABLE_BROKER = "amqp://guest:guest@127.0.0.1:1/"


def _service(amqp_url: str, database_url: str) -> Service:
    return create_service(
        Settings(
            amqp_url=amqp_url,
            database_url=database_url,
            outbox_poll_interval=0.2,
            shutdown_grace=5.0,
            shopify_secret=SHOPIFY_KEY,
        )
    )


@pytest.fixture
async def own_database_url(database_url: str) -> AsyncIterator[str]:
    """A database apart from the one the other orders tests' service uses."""
    name = f"orders_outage_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(database_url)
    try:
        await admin.execute(f"CREATE DATABASE {name}")
        yield database_url.rsplit("/", 1)[0] + "/" + name
        await admin.execute(f"DROP DATABASE {name} WITH (FORCE)")
    finally:
        await admin.close()


@pytest.fixture
async def sink(amqp_url: str) -> AsyncIterator[aio_pika.abc.AbstractQueue]:
    connection = await aio_pika.connect(amqp_url)
    async with connection:
        channel = await connection.channel()
        exchange = await channel.declare_exchange(
            "orderflow.events", aio_pika.ExchangeType.TOPIC, durable=True
        )
        queue = await channel.declare_queue("orders-test.sink", exclusive=True)
        await queue.bind(exchange, "order.placed.v1")
        yield queue


async def test_webhook_is_accepted_without_the_broker_and_published_later(
    amqp_url: str, own_database_url: str, sink: aio_pika.abc.AbstractQueue
) -> None:
    database_url = own_database_url
    body = encode(shopify_order())
    away = OrdersHarness(_service(UNREACHABLE_BROKER, database_url), database_url)

    async with away.running():
        assert away.client is not None
        ready = await away.client.get("/health/ready")
        response = await away.post("/webhooks/shopify", body, shopify_headers(body))
        order_id = response.json()["order_id"]
        unpublished = await away.fetch(
            "SELECT 1 FROM outbox WHERE correlation_id = $1 AND published_at IS NULL",
            order_id,
        )

    assert ready.status_code == 200
    assert response.status_code == 200
    assert unpublished
    back = OrdersHarness(_service(amqp_url, database_url), database_url)
    async with back.running():
        message = await _message_about(sink, order_id)
    assert message.routing_key == "order.placed.v1"


async def test_platform_without_a_secret_is_refused(own_database_url: str) -> None:
    database_url = own_database_url
    harness = OrdersHarness(_service(UNREACHABLE_BROKER, database_url), database_url)
    body = b'{"id": "evt_1", "type": "checkout.session.completed"}'

    async with harness.running():
        response = await harness.post(
            "/webhooks/stripe", body, {"Stripe-Signature": "t=1,v1=00"}
        )

    assert response.status_code == 401
    assert response.json()["message"] == "no secret is configured for stripe"


async def _message_about(
    queue: aio_pika.abc.AbstractQueue, order_id: str
) -> aio_pika.abc.AbstractIncomingMessage:
    """The first event about the order; events about other orders pass by.

    The session's orders service shares the broker, and its relay publishes
    the order of an earlier test late when the broker returned it (no queue
    was bound) and the next attempt finds the sink.
    """
    async with queue.iterator(timeout=20) as messages:
        async for message in messages:
            await message.ack()
            if message.correlation_id == order_id:
                return message
    raise AssertionError(f"no event was published about order {order_id}")
