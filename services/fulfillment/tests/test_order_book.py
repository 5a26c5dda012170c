"""fulfillment keeps an order book from the events it hears of."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import pytest

from orderflow.backbone.service import Service
from orderflow.backbone.testing import drop_service, eventually, publish_event
from orderflow.contracts import Envelope, EventPayload, email_sha256, wrap
from orderflow.contracts.examples import EXAMPLES
from orderflow.fulfillment.main import create_service
from orderflow.fulfillment.settings import Settings


@pytest.fixture
async def service(amqp_url: str, database_url: str) -> AsyncIterator[Service]:
    service = create_service(
        Settings(
            amqp_url=amqp_url,
            database_url=database_url,
            retry_delays=[0.3, 0.3, 0.3],
            outbox_poll_interval=0.2,
        )
    )
    async with service.running():
        await eventually(service._broker_ready)
        yield service
    await drop_service(amqp_url, database_url, service)


def _event(routing_key: str, **changes: Any) -> Envelope[Any]:
    example: EventPayload = EXAMPLES[routing_key]
    payload = example.model_copy(update=changes)
    return wrap(payload, producer="tests", correlation_id=str(changes or "order"))


async def _book(service: Service) -> list[asyncpg.Record]:
    async with service.pool.acquire() as conn:
        return list(await conn.fetch("SELECT * FROM order_book"))


async def test_placed_order_is_booked_with_its_kinds_of_lines(
    service: Service, amqp_url: str
) -> None:
    placed = _event("order.placed.v1")

    await publish_event(amqp_url, placed)
    await eventually(lambda: _has_rows(service, 1))

    [row] = await _book(service)
    assert (row["digital_lines"], row["physical_lines"]) == (1, 1)
    assert row["destination_country"] == "DE"
    assert row["paid_at"] is not None


async def test_payment_that_overtakes_its_order_is_applied_after_it(
    service: Service, amqp_url: str
) -> None:
    placed = _event("order.placed.v1", paid=False)
    captured = _event("payment.captured.v1")

    await publish_event(amqp_url, captured)
    await publish_event(amqp_url, placed)
    await eventually(lambda: _paid(service))

    [row] = await _book(service)
    assert row["paid_at"] == captured.payload.captured_at


async def test_erasure_forgets_whose_orders_they_were(
    service: Service, amqp_url: str
) -> None:
    placed = _event("order.placed.v1")
    email = placed.payload.customer.email
    erased = _event("customer.erased.v1", email_sha256=email_sha256(email))

    await publish_event(amqp_url, placed)
    await eventually(lambda: _has_rows(service, 1))
    await publish_event(amqp_url, erased)
    await eventually(lambda: _forgotten(service))

    [row] = await _book(service)
    assert row["customer_email_sha256"] is None
    assert row["order_number"] == placed.payload.order_number


async def _has_rows(service: Service, count: int) -> bool:
    return len(await _book(service)) >= count


async def _paid(service: Service) -> bool:
    rows = await _book(service)
    return bool(rows) and rows[0]["paid_at"] is not None


async def _forgotten(service: Service) -> bool:
    rows = await _book(service)
    return bool(rows) and rows[0]["customer_email_sha256"] is None
