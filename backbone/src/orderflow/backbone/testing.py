"""pytest fixtures for tests that cross the real RabbitMQ and PostgreSQL.

A test session gets its own RabbitMQ virtual host and its own database, both
removed at the end, so that runs never see each other's queues or rows.
`ORDERFLOW_TEST_AMQP_ADMIN_URL` and `ORDERFLOW_TEST_DATABASE_ADMIN_URL` point
at other servers than the local defaults.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import aio_pika
import asyncpg
import pytest

from orderflow.backbone import topology
from orderflow.backbone.database import quote_ident
from orderflow.backbone.dead_letters import (
    DeadLetter,
    DeadLetterFilter,
    DeadLetterStore,
)
from orderflow.backbone.service import Service
from orderflow.contracts.envelope import Envelope, wrap
from orderflow.contracts.examples import EXAMPLES

_ADMIN_DATABASE_URL = os.environ.get(
    "ORDERFLOW_TEST_DATABASE_ADMIN_URL",
    "postgresql://postgres@127.0.0.1:5432/postgres",
)
_AMQP_BASE_URL = os.environ.get(
    "ORDERFLOW_TEST_AMQP_ADMIN_URL", "amqp://guest:guest@127.0.0.1:5672/"
)


def _rabbitmqctl(*args: str) -> None:
    executable = shutil.which("rabbitmqctl")
    if executable is None:
        pytest.fail("rabbitmqctl is needed to create the test virtual host")
    subprocess.run([executable, "-q", *args], check=True, capture_output=True)  # noqa: S603


def _with_path(url: str, path: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, path, parts.query, ""))


@contextmanager
def virtual_host(prefix: str = "orderflow-test") -> Iterator[str]:
    """The URL of a new RabbitMQ virtual host, deleted when the block ends.

    Tests and benchmarks publish on one of their own, never where a
    developer's services keep their durable queues.
    """
    vhost = f"{prefix}-{uuid.uuid4().hex[:8]}"
    _rabbitmqctl("add_vhost", vhost)
    try:
        user = urlsplit(_AMQP_BASE_URL).username or "guest"
        _rabbitmqctl("set_permissions", "-p", vhost, user, ".*", ".*", ".*")
        yield _with_path(_AMQP_BASE_URL, "/" + vhost)
    finally:
        _rabbitmqctl("delete_vhost", vhost)


@pytest.fixture(scope="session")
def amqp_url() -> Iterator[str]:
    """A RabbitMQ URL on a virtual host of this test session's own."""
    with virtual_host() as url:
        yield url


@pytest.fixture(scope="session")
async def database_url() -> AsyncIterator[str]:
    """A database of this test session's own, dropped at the end."""
    name = f"orderflow_test_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(_ADMIN_DATABASE_URL)
    try:
        await admin.execute(f"CREATE DATABASE {quote_ident(name)}")
    finally:
        await admin.close()
    yield _with_path(_ADMIN_DATABASE_URL, "/" + name)
    admin = await asyncpg.connect(_ADMIN_DATABASE_URL)
    try:
        await admin.execute(f"DROP DATABASE {quote_ident(name)} WITH (FORCE)")
    finally:
        await admin.close()


@pytest.fixture
def service_name() -> str:
    """A service name no other test uses: its schema and queues are its own."""
    return f"t{uuid.uuid4().hex[:10]}"


async def eventually(
    condition: Callable[[], Awaitable[bool]], timeout: float = 20.0
) -> None:
    """Wait until `condition` holds; fail the test after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not await condition():
        if time.monotonic() > deadline:
            pytest.fail(f"condition not met within {timeout} s")
        await asyncio.sleep(0.05)


async def publish_event(amqp_url: str, envelope: Envelope[Any]) -> None:
    """Publish an event to `orderflow.events` as a producing service's relay does."""
    connection = await aio_pika.connect(amqp_url)
    async with connection:
        channel = await connection.channel()
        exchange = await channel.declare_exchange(
            topology.EVENTS_EXCHANGE.name, aio_pika.ExchangeType.TOPIC, durable=True
        )
        await exchange.publish(
            aio_pika.Message(
                envelope.model_dump_json().encode(),
                message_id=str(envelope.event_id),
                correlation_id=envelope.correlation_id,
                content_type="application/json",
                delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
            ),
            routing_key=envelope.routing_key,
        )


def settings_for_tests(amqp_url: str, database_url: str) -> dict[str, Any]:
    """Settings for a service under test: this session's servers, quick retries.

    The tiers still span a few seconds, so that an event which overtakes its
    order on a busy machine is not dead-lettered before the order arrives.
    """
    return {
        "amqp_url": amqp_url,
        "database_url": database_url,
        "retry_delays": [0.3, 0.6, 1.2, 2.4],
        "outbox_poll_interval": 0.2,
        "shutdown_grace": 5.0,
    }


def example_event(routing_key: str, **changes: Any) -> Envelope[Any]:
    """The catalogue's example of an event, with some fields changed."""
    payload = EXAMPLES[routing_key].model_copy(update=changes)
    correlation_id = str(getattr(payload, "order_id", routing_key))
    return wrap(payload, producer="tests", correlation_id=correlation_id)


@asynccontextmanager
async def consuming(
    create_service: Callable[[Any], Service],
    settings_class: Callable[..., Any],
    amqp_url: str,
    database_url: str,
) -> AsyncIterator[Service]:
    """Run a service on this session's servers until the test ends.

    Then its queues and schema are removed, so the next test starts afresh.
    """
    settings = settings_class(**settings_for_tests(amqp_url, database_url))
    service = create_service(settings)
    async with service.running():
        await eventually(service.broker_ready)
        yield service
    await drop_service(amqp_url, database_url, service)


async def rows(service: Service, query: str, *args: Any) -> list[asyncpg.Record]:
    async with service.pool.acquire() as conn:
        return list(await conn.fetch(query, *args))


async def dead_letters(
    amqp_url: str, database_url: str, service: str
) -> list[DeadLetter]:
    """Collect a service's DLQ into its table and return every dead letter."""
    connection = await aio_pika.connect(amqp_url)
    conn = await asyncpg.connect(database_url, server_settings={"search_path": service})
    try:
        async with connection:
            store = DeadLetterStore(conn, await connection.channel(), service)
            await store.collect()
            return await store.find(DeadLetterFilter(include_closed=True))
    finally:
        await conn.close()


async def drop_service(amqp_url: str, database_url: str, service: Service) -> None:
    """Remove a test service's queues and schema."""
    connection = await aio_pika.connect(amqp_url)
    async with connection:
        channel = await connection.channel()
        await channel.queue_delete(topology.dead_letter_queue_name(service.name))
        for subscription in service.subscriptions:
            await channel.queue_delete(subscription.queue_name)
    conn = await asyncpg.connect(database_url)
    try:
        await conn.execute(f"DROP SCHEMA IF EXISTS {quote_ident(service.name)} CASCADE")
    finally:
        await conn.close()


async def erase_and_see_dead_letter_blanked(
    service: Service, amqp_url: str, database_url: str
) -> None:
    """Dead-letter an order of the example customer, then erase the customer.

    Returns once the dead letter's body is gone; fails the test if it stays.
    """

    async def collected() -> bool:
        return bool(await dead_letters(amqp_url, database_url, service.name))

    async def blanked() -> bool:
        [letter] = await dead_letters(amqp_url, database_url, service.name)
        return letter.body == b""

    await publish_event(amqp_url, example_event("order.placed.v1", lines=()))
    await eventually(collected)
    await publish_event(amqp_url, example_event("customer.erased.v1"))
    await eventually(blanked)
