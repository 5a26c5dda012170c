"""A small service built in each test, on the session's vhost and database."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import Any, ClassVar

import aio_pika
import asyncpg
import pytest
from prometheus_client import REGISTRY

from orderflow.backbone import topology
from orderflow.backbone.database import quote_ident
from orderflow.backbone.dead_letters import (
    DeadLetter,
)
from orderflow.backbone.service import Service
from orderflow.backbone.settings import BackboneSettings
from orderflow.backbone.testing import dead_letters
from orderflow.backbone.unit_of_work import UnitOfWork
from orderflow.contracts.envelope import Envelope, EventPayload, wrap


class ThingHappened(EventPayload):
    """The event the backbone tests send around."""

    event_type: ClassVar[str] = "backbone_test.thing_happened"
    version: ClassVar[int] = 1

    thing_id: str


EFFECTS_SQL = """
CREATE TABLE effects (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    event_id uuid NOT NULL,
    thing_id text NOT NULL
);
"""


def thing(thing_id: str = "thing-1") -> Envelope[ThingHappened]:
    return wrap(
        ThingHappened(thing_id=thing_id), producer="tests", correlation_id=thing_id
    )


async def record_effect(event: Envelope[ThingHappened], uow: UnitOfWork) -> None:
    await uow.conn.execute(
        "INSERT INTO effects (event_id, thing_id) VALUES ($1, $2)",
        event.event_id,
        event.payload.thing_id,
    )


async def eventually(
    condition: Callable[[], Awaitable[bool]], timeout: float = 20.0
) -> None:
    """Wait until `condition` holds; fail the test after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not await condition():
        if time.monotonic() > deadline:
            pytest.fail(f"condition not met within {timeout} s")
        await asyncio.sleep(0.05)


class Harness:
    """Builds services for one test and cleans their queues and schemas up."""

    def __init__(self, amqp_url: str, database_url: str, name: str, tmp: Path) -> None:
        self.amqp_url = amqp_url
        self.database_url = database_url
        self.name = name
        self._migrations = tmp / "migrations"
        self._migrations.mkdir()
        (self._migrations / "0001_effects.sql").write_text(EFFECTS_SQL)
        self.services: list[Service] = []

    def settings(self, **overrides: Any) -> BackboneSettings:
        values: dict[str, Any] = {
            "amqp_url": self.amqp_url,
            "database_url": self.database_url,
            "retry_delays": [0.2, 0.4, 0.6],
            "outbox_poll_interval": 0.2,
            "shutdown_grace": 5.0,
        }
        return BackboneSettings(**(values | overrides))

    def service(
        self,
        handler: Any = record_effect,
        name: str | None = None,
        *,
        batched: bool = False,
        **overrides: Any,
    ) -> Service:
        service = Service(
            name or self.name,
            self.settings(**overrides),
            port=0,
            migrations=self._migrations,
            emits=(ThingHappened,),
        )
        if handler is not None:
            service.subscribe(ThingHappened, handler, batched=batched)
        self.services.append(service)
        return service

    def running(self, service: Service) -> AbstractAsyncContextManager[None]:
        return _running_and_consuming(service)

    async def publish(
        self,
        body: bytes,
        *,
        message_id: str | None = None,
        routing_key: str | None = None,
    ) -> None:
        connection = await aio_pika.connect(self.amqp_url)
        async with connection:
            channel = await connection.channel()
            exchange = await channel.get_exchange(topology.EVENTS_EXCHANGE.name)
            await exchange.publish(
                aio_pika.Message(
                    body, message_id=message_id, content_type="application/json"
                ),
                routing_key=routing_key or ThingHappened.routing_key(),
            )

    async def send(self, envelope: Envelope[Any]) -> None:
        await self.publish(
            envelope.model_dump_json().encode(), message_id=str(envelope.event_id)
        )

    async def publish_dead_letter(
        self, envelope: Envelope[Any], *, original_queue: str
    ) -> None:
        """Put a message into the DLQ as the subscriber would after a failure."""
        connection = await aio_pika.connect(self.amqp_url)
        async with connection:
            channel = await connection.channel()
            exchange = await channel.get_exchange(topology.DEAD_LETTER_EXCHANGE.name)
            message = aio_pika.Message(
                envelope.model_dump_json().encode(),
                message_id=str(envelope.event_id),
                headers={
                    topology.ORIGINAL_QUEUE_HEADER: original_queue,
                    topology.REASON_HEADER: "exhausted",
                    topology.ATTEMPT_HEADER: 4,
                },
            )
            await exchange.publish(message, topology.dead_letter_queue_name(self.name))

    async def fetch(self, query: str, *args: Any) -> list[asyncpg.Record]:
        conn = await asyncpg.connect(
            self.database_url, server_settings={"search_path": self.name}
        )
        try:
            return await conn.fetch(query, *args)
        finally:
            await conn.close()

    async def dead_letters(self) -> list[DeadLetter]:
        """Collect the service's DLQ into its table and return every letter."""
        return await dead_letters(self.amqp_url, self.database_url, self.name)

    def handled(self, service: str | None = None, queue: str | None = None) -> float:
        """Deliveries settled so far on a queue: applied or duplicate."""
        labels = {"service": service or self.name, "subscription": queue or self.queue}
        return sum(
            REGISTRY.get_sample_value(
                "orderflow_messages_handled_total", labels | {"outcome": outcome}
            )
            or 0.0
            for outcome in ("applied", "duplicate")
        )

    @property
    def queue(self) -> str:
        return f"{self.name}.{ThingHappened.routing_key()}"

    async def effects(self) -> int:
        rows = await self.fetch("SELECT count(*) AS n FROM effects")
        return int(rows[0]["n"])

    async def clean_up(self) -> None:
        connection = await aio_pika.connect(self.amqp_url)
        async with connection:
            channel = await connection.channel()
            names: set[str] = set()
            for service in self.services:
                names.add(topology.dead_letter_queue_name(service.name))
                names |= {s.queue_name for s in service.subscriptions}
            for name in names:
                await channel.queue_delete(name)
        conn = await asyncpg.connect(self.database_url)
        try:
            for schema in {service.name for service in self.services}:
                await conn.execute(
                    f"DROP SCHEMA IF EXISTS {quote_ident(schema)} CASCADE"
                )
        finally:
            await conn.close()


@asynccontextmanager
async def _running_and_consuming(service: Service) -> AsyncIterator[None]:
    async with service.running():
        await eventually(service.broker_ready)
        yield
