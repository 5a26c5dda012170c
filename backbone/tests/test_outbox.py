"""The outbox: an event committed with its state change is published, always."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import aio_pika
import asyncpg
import pytest
from backbone_harness import Harness, ThingHappened, eventually

from orderflow.backbone import topology
from orderflow.backbone.database import create_pool
from orderflow.backbone.outbox import OutboxRelay, PendingEvent, Publish
from orderflow.backbone.unit_of_work import UnitOfWork, unit_of_work
from orderflow.contracts.envelope import Envelope


async def _commit_event(harness: Harness, thing_id: str) -> None:
    """Change state and write the event, as a handler does, then stop: no relay."""
    pool = await create_pool(harness.database_url, schema=harness.name)
    try:
        async with unit_of_work(pool, producer="tests", schema=harness.name) as uow:
            await uow.conn.execute(
                "INSERT INTO effects (event_id, thing_id)"
                " VALUES (gen_random_uuid(), $1)",
                thing_id,
            )
            uow.emit(ThingHappened(thing_id=thing_id), correlation_id=thing_id)
    finally:
        await pool.close()


async def test_event_committed_before_a_crash_is_published_after_restart(
    harness: Harness,
) -> None:
    received: list[str] = []

    async def keep(event: Envelope[ThingHappened], _: UnitOfWork) -> None:
        received.append(event.payload.thing_id)

    producer = harness.service(handler=None)
    consumer = harness.service(keep, name=f"{harness.name}_consumer")
    await producer.migrate()
    await _commit_event(harness, "committed-before-crash")

    async with harness.running(consumer), harness.running(producer):
        await eventually(lambda: _arrived(received, 1))

    assert received == ["committed-before-crash"]
    [row] = await harness.fetch("SELECT published_at FROM outbox")
    assert row["published_at"] is not None


async def test_publish_without_its_commit_is_repeated_and_applied_once(
    harness: Harness,
) -> None:
    consumer = harness.service(name=f"{harness.name}_consumer")
    producer = harness.service(handler=None)
    await producer.migrate()
    await _commit_event(harness, "published-twice")

    async with harness.running(consumer), _outbox_pool(harness) as pool:
        connection = await aio_pika.connect(harness.amqp_url)
        async with connection:
            publish = await _publisher(connection)
            crashing = _relay(harness, pool, _then_crash(publish))
            with pytest.raises(ConnectionResetError):
                await crashing.publish_pending()
            relay = _relay(harness, pool, publish)
            assert await relay.publish_pending() == 1
        await eventually(lambda: _handled(harness, consumer.name, 2))

    rows = await harness.fetch(f"SELECT count(*) AS n FROM {consumer.name}.effects")
    assert rows[0]["n"] == 1


@asynccontextmanager
async def _outbox_pool(harness: Harness) -> AsyncIterator[asyncpg.Pool]:
    pool = await create_pool(harness.database_url, schema=harness.name)
    try:
        yield pool
    finally:
        await pool.close()


async def _publisher(connection: aio_pika.abc.AbstractConnection) -> Publish:
    channel = await connection.channel(on_return_raises=True)
    exchange = await channel.get_exchange(topology.EVENTS_EXCHANGE.name)

    async def publish(event: PendingEvent) -> None:
        message = aio_pika.Message(event.body, message_id=str(event.event_id))
        await exchange.publish(message, event.routing_key, mandatory=True)

    return publish


def _relay(harness: Harness, pool: asyncpg.Pool, publish: Publish) -> OutboxRelay:
    async def connect() -> asyncpg.Connection:
        return await asyncpg.connect(harness.database_url)

    return OutboxRelay(pool, publish, connect=connect, service="t", schema="t")


def _then_crash(publish: Publish) -> Publish:
    async def publish_then_crash(event: PendingEvent) -> None:
        await publish(event)
        raise ConnectionResetError("the relay died before marking its batch")

    return publish_then_crash


async def _arrived(received: list[str], count: int) -> bool:
    return len(received) >= count


async def _handled(harness: Harness, service: str, deliveries: int) -> bool:
    queue = f"{service}.{ThingHappened.routing_key()}"
    return harness.handled(service, queue) >= deliveries


async def test_an_event_no_queue_is_bound_to_is_kept_and_tried_later(
    harness: Harness,
) -> None:
    producer = harness.service(handler=None)
    await producer.migrate()
    await _commit_event(harness, "nobody-listens")

    async with _outbox_pool(harness) as pool:
        connection = await aio_pika.connect(harness.amqp_url)
        async with connection:
            relay = _relay(harness, pool, await _publisher(connection))
            published = await relay.publish_pending()
            again = await relay.publish_pending()

    assert (published, again) == (0, 0)
    [row] = await harness.fetch(
        "SELECT attempts, published_at, available_at > now() AS later FROM outbox"
    )
    assert (row["attempts"], row["published_at"], row["later"]) == (1, None, True)


async def test_the_relay_forgets_what_is_older_than_the_retention(
    harness: Harness,
) -> None:
    service = harness.service(
        handler=None, outbox_retention_days=2, inbox_retention_days=10
    )
    await service.migrate()
    await harness.fetch(
        "INSERT INTO inbox (subscription, event_id, handled_at) VALUES"
        " ('q', gen_random_uuid(), now() - interval '11 days'),"
        " ('q', '00000000-0000-0000-0000-000000000001', now() - interval '9 days')"
    )
    await harness.fetch(
        "INSERT INTO outbox (event_id, routing_key, correlation_id, body,"
        " published_at) VALUES"
        " (gen_random_uuid(), 'k', 'c', '', now() - interval '3 days'),"
        " ('00000000-0000-0000-0000-000000000002', 'k', 'c', '',"
        " now() - interval '1 day')"
    )

    async def pruned() -> bool:
        rows = await harness.fetch(
            "SELECT (SELECT count(*) FROM inbox) + (SELECT count(*) FROM outbox) AS n"
        )
        return bool(rows[0]["n"] == 2)

    async with harness.running(service):
        await eventually(pruned)

    inbox = await harness.fetch("SELECT event_id::text AS id FROM inbox")
    outbox = await harness.fetch("SELECT event_id::text AS id FROM outbox")
    assert [row["id"] for row in inbox] == ["00000000-0000-0000-0000-000000000001"]
    assert [row["id"] for row in outbox] == ["00000000-0000-0000-0000-000000000002"]
