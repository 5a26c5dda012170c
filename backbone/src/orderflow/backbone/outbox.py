"""The transactional outbox and the relay that publishes it.

A handler or an HTTP route never publishes: it writes its events into the
service's `outbox` table in the transaction that changes its state. The
relay wakes on NOTIFY (or polls), claims a batch with `FOR UPDATE SKIP
LOCKED` so that several replicas share the work, publishes each event with a
publisher confirm and `mandatory`, and marks the batch sent in the same
transaction. A crash between publish and commit publishes the batch again;
consumers are idempotent, so nothing is lost and nothing is applied twice.

An event the broker returns as unroutable (no queue bound yet, for instance
while the consuming service is starting for the first time) is tried again
after 2, 4 and 8 seconds; after `UNROUTABLE_ATTEMPTS` it is marked
`unroutable` and kept in the table for the retention period like a sent
event. Once every service has started once, its queues exist whether it runs
or not, so what stays unroutable is an event type that no service subscribes
to (yet): that is logged at info, not as an error, and counted in
`orderflow_outbox_unroutable_total` by routing key.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from uuid import UUID

import aio_pika
import asyncpg
from aio_pika.exceptions import DeliveryError

from orderflow.backbone import metrics, topology
from orderflow.backbone.database import Connection
from orderflow.backbone.logging import get_logger
from orderflow.contracts.envelope import Envelope

log = get_logger(__name__)

UNROUTABLE_ATTEMPTS = 4
_MAX_BACKOFF = timedelta(minutes=5)
_CENSUS_INTERVAL = 1.0


class EventPublisher:
    """Publishes outbox events to `orderflow.events`, on a connection of its own.

    Its own robust connection keeps the relay's publishing (and RabbitMQ's
    flow control on it) apart from the consumers; it connects on first use and
    reconnects by itself after a broker restart.
    """

    def __init__(self, amqp_url: str) -> None:
        self._url = amqp_url
        self._connection: aio_pika.abc.AbstractRobustConnection | None = None
        self._exchange: aio_pika.abc.AbstractExchange | None = None
        self._lock = asyncio.Lock()

    async def publish(self, event: PendingEvent) -> None:
        exchange = self._exchange or await self._connect()
        await exchange.publish(
            aio_pika.Message(
                event.body,
                message_id=str(event.event_id),
                correlation_id=event.correlation_id,
                content_type="application/json",
                delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
            ),
            routing_key=event.routing_key,
            mandatory=True,
        )

    async def close(self) -> None:
        connection, self._connection, self._exchange = self._connection, None, None
        if connection is not None:
            await connection.close()

    async def _connect(self) -> aio_pika.abc.AbstractExchange:
        async with self._lock:
            if self._exchange is None:
                connection = await aio_pika.connect_robust(self._url)
                channel = await connection.channel(on_return_raises=True)
                self._exchange = await channel.declare_exchange(
                    topology.EVENTS_EXCHANGE.name,
                    aio_pika.ExchangeType.TOPIC,
                    durable=True,
                )
                self._connection = connection
            return self._exchange


def notify_channel(schema: str) -> str:
    return f"orderflow_outbox_{schema}"


async def add_to_outbox(
    conn: Connection, schema: str, envelopes: Sequence[Envelope[Any]]
) -> None:
    """Write events into the outbox, in the caller's transaction."""
    if not envelopes:
        return
    await conn.execute(
        "WITH written AS (INSERT INTO outbox"
        " (event_id, routing_key, correlation_id, body)"
        " SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::bytea[]))"
        " SELECT pg_notify($5, '')",
        [envelope.event_id for envelope in envelopes],
        [envelope.routing_key for envelope in envelopes],
        [envelope.correlation_id for envelope in envelopes],
        [envelope.model_dump_json().encode() for envelope in envelopes],
        notify_channel(schema),
    )


@dataclass(frozen=True)
class PendingEvent:
    id: int
    event_id: UUID
    routing_key: str
    correlation_id: str
    body: bytes
    attempts: int


Publish = Callable[[PendingEvent], Awaitable[None]]
Connect = Callable[[], Awaitable[asyncpg.Connection]]


class OutboxRelay:
    """Publishes a service's outbox until stopped."""

    def __init__(
        self,
        pool: asyncpg.Pool,
        publish: Publish,
        *,
        connect: Connect,
        service: str,
        schema: str,
        batch_size: int = 200,
        poll_interval: float = 1.0,
        retention: timedelta = timedelta(days=7),
        inbox_retention: timedelta = timedelta(days=30),
    ) -> None:
        self._pool = pool
        self._publish = publish
        self._connect = connect
        self._service = service
        self._schema = schema
        self._batch_size = batch_size
        self._poll_interval = poll_interval
        self._retention = retention
        self._inbox_retention = inbox_retention
        self._wake = asyncio.Event()
        self._stopping = asyncio.Event()
        self._listener: asyncpg.Connection | None = None
        self._last_census = 0.0

    async def run(self) -> None:
        """Publish until `stop()`; survive database and broker outages."""
        log.info("outbox_relay.started", schema=self._schema)
        while not self._stopping.is_set():
            self._wake.clear()
            try:
                await self._listen()
                await self._drain()
                await self._record_backlog_and_prune()
            except Exception as exc:  # noqa: BLE001 - the relay must outlive outages
                log.warning(
                    "outbox_relay.failed", error=type(exc).__name__, detail=str(exc)
                )
                await self._drop_listener()
            await self._sleep()
        await self._drop_listener()
        log.info("outbox_relay.stopped", schema=self._schema)

    def stop(self) -> None:
        self._stopping.set()
        self._wake.set()

    async def publish_pending(self) -> int:
        """Publish one batch; return how many events left the outbox."""
        async with self._pool.acquire() as conn, conn.transaction():
            rows = await conn.fetch(
                "SELECT id, event_id, routing_key, correlation_id, body, attempts"
                " FROM outbox WHERE published_at IS NULL AND available_at <= now()"
                " ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED",
                self._batch_size,
            )
            pending = [PendingEvent(**dict(row)) for row in rows]
            results = await asyncio.gather(
                *(self._publish(event) for event in pending), return_exceptions=True
            )
            sent, returned = self._sort_results(pending, results)
            await conn.execute(
                "UPDATE outbox SET published_at = now() WHERE id = ANY($1)", sent
            )
            for event in returned:
                await self._postpone(conn, event)
        metrics.OUTBOX_PUBLISHED.labels(self._service).inc(len(sent))
        return len(sent)

    def _sort_results(
        self, pending: list[PendingEvent], results: list[BaseException | None]
    ) -> tuple[list[int], list[PendingEvent]]:
        sent: list[int] = []
        returned: list[PendingEvent] = []
        for event, result in zip(pending, results, strict=True):
            if result is None:
                sent.append(event.id)
            elif isinstance(result, DeliveryError):
                returned.append(event)
            else:
                raise result
        return sent, returned

    async def _postpone(self, conn: Connection, event: PendingEvent) -> None:
        attempts = event.attempts + 1
        metrics.OUTBOX_UNROUTABLE.labels(self._service, event.routing_key).inc()
        if attempts >= UNROUTABLE_ATTEMPTS:
            await conn.execute(
                "UPDATE outbox SET attempts = $2, unroutable = true,"
                " published_at = now() WHERE id = $1",
                event.id,
                attempts,
            )
            log.info(
                "outbox_event.unroutable",
                event_id=str(event.event_id),
                routing_key=event.routing_key,
                attempts=attempts,
            )
            return
        delay = min(timedelta(seconds=2**attempts), _MAX_BACKOFF)
        await conn.execute(
            "UPDATE outbox SET attempts = $2, available_at = now() + $3::interval"
            " WHERE id = $1",
            event.id,
            attempts,
            delay,
        )
        log.info(
            "outbox_event.returned",
            event_id=str(event.event_id),
            routing_key=event.routing_key,
            attempts=attempts,
        )

    async def _drain(self) -> None:
        while not self._stopping.is_set():
            if await self.publish_pending() < self._batch_size:
                return

    async def _listen(self) -> None:
        if self._listener is not None and not self._listener.is_closed():
            return
        self._listener = await self._connect()
        await self._listener.add_listener(notify_channel(self._schema), self._on_notify)

    def _on_notify(self, *_: Any) -> None:
        self._wake.set()

    async def _drop_listener(self) -> None:
        listener, self._listener = self._listener, None
        if listener is None:
            return
        with contextlib.suppress(Exception):
            await listener.close(timeout=2.0)

    async def _record_backlog_and_prune(self) -> None:
        now = time.monotonic()
        if now - self._last_census < _CENSUS_INTERVAL:
            return
        self._last_census = now
        async with self._pool.acquire() as conn:
            backlog = await conn.fetchval(
                "SELECT count(*) FROM outbox WHERE published_at IS NULL"
            )
            await conn.execute(
                "DELETE FROM outbox WHERE id IN (SELECT id FROM outbox"
                " WHERE published_at < now() - $1::interval LIMIT 1000)",
                self._retention,
            )
            await conn.execute(
                "DELETE FROM inbox WHERE (subscription, event_id) IN"
                " (SELECT subscription, event_id FROM inbox"
                " WHERE handled_at < now() - $1::interval"
                " ORDER BY handled_at LIMIT 1000)",
                self._inbox_retention,
            )
        metrics.OUTBOX_BACKLOG.labels(self._service).set(backlog)

    async def _sleep(self) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), self._poll_interval)
