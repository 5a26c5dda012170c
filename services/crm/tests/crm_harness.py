"""The crm service built in each test, on the session's vhost and database."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import aio_pika
import asyncpg
import httpx

from orderflow.backbone import topology
from orderflow.backbone.database import quote_ident
from orderflow.backbone.dead_letters import (
    DeadLetter,
    DeadLetterFilter,
    DeadLetterStore,
)
from orderflow.backbone.mail import MailSettings
from orderflow.backbone.service import Service
from orderflow.backbone.shop import ShopIdentity
from orderflow.backbone.testing import dead_letters, eventually
from orderflow.contracts import Envelope, EventPayload, OrderPlaced, wrap
from orderflow.contracts.examples import example
from orderflow.crm.main import create_service
from orderflow.crm.settings import Settings

SHOP = ShopIdentity(
    name="Kaffeerösterei Beispiel",
    email="hello@roesterei.example",
    reply_to="support@roesterei.example",
    default_language="en",
)
EXAMPLE_ORDER = example(OrderPlaced)
ADMIN_API_KEY = "crm-admin-key-of-the-tests"


def placed(
    order_id: str = "ord-1",
    *,
    email: str | None = "ada@example.com",
    minutes_later: int = 0,
    **customer: Any,
) -> Envelope[OrderPlaced]:
    """The example order under another id, for a customer of our choosing."""
    order = EXAMPLE_ORDER.model_copy(
        update={
            "order_id": order_id,
            "order_number": f"#{order_id}",
            "placed_at": EXAMPLE_ORDER.placed_at + timedelta(minutes=minutes_later),
            "customer": EXAMPLE_ORDER.customer.model_copy(
                update={"email": email, **customer}
            ),
        }
    )
    return wrap(order, producer="orders", correlation_id=order_id)


class CrmHarness:
    """Builds crm services for one test and removes their queues and schema."""

    def __init__(self, amqp_url: str, database_url: str, name: str, tmp: Path) -> None:
        self.amqp_url = amqp_url
        self.database_url = database_url
        self.name = name
        self.mail_dir = tmp / "mail"
        self.services: list[Service] = []

    def service(
        self,
        *,
        smtp_port: int | None = None,
        smtp_security: str = "none",
        smtp_login: tuple[str, str] | None = None,
        shop: ShopIdentity = SHOP,
        **settings: Any,
    ) -> Service:
        values: dict[str, Any] = {
            "amqp_url": self.amqp_url,
            "database_url": self.database_url,
            "retry_delays": [0.2, 0.4],
            "outbox_poll_interval": 0.2,
            "shutdown_grace": 5.0,
            "admin_api_key": ADMIN_API_KEY,
        }
        username, password = smtp_login or (None, None)
        mail = MailSettings(
            host="127.0.0.1" if smtp_port else None,
            port=smtp_port or 25,
            security=smtp_security,
            username=username,
            password=password,
            timeout=5.0,
            mail_dir=self.mail_dir,
        )
        service = create_service(
            Settings(**(values | settings)), mail=mail, shop=shop, name=self.name
        )
        self.services.append(service)
        return service

    def client(
        self, service: Service, api_key: str | None = ADMIN_API_KEY
    ) -> httpx.AsyncClient:
        """An HTTP client of `service`'s routes, sending `api_key`."""
        headers = {} if api_key is None else {"X-Api-Key": api_key}
        return httpx.AsyncClient(
            transport=httpx.ASGITransport(app=service.app()),
            base_url="http://test",
            headers=headers,
        )

    @asynccontextmanager
    async def running(self, service: Service) -> AsyncIterator[None]:
        async with service.running():
            await eventually(service.broker_ready)
            yield

    async def send(self, envelope: Envelope[Any]) -> None:
        connection = await aio_pika.connect(self.amqp_url)
        async with connection:
            channel = await connection.channel()
            exchange = await channel.get_exchange(topology.EVENTS_EXCHANGE.name)
            await exchange.publish(
                aio_pika.Message(
                    envelope.model_dump_json().encode(),
                    message_id=str(envelope.event_id),
                    content_type="application/json",
                ),
                routing_key=envelope.routing_key,
            )

    async def fetch(self, query: str, *args: Any) -> list[asyncpg.Record]:
        conn = await asyncpg.connect(
            self.database_url, server_settings={"search_path": self.name}
        )
        try:
            return await conn.fetch(query, *args)
        finally:
            await conn.close()

    async def count(self, table: str) -> int:
        rows = await self.fetch(f"SELECT count(*) AS n FROM {table}")
        return int(rows[0]["n"])

    async def events(self, payload: type[EventPayload]) -> list[dict[str, Any]]:
        """The payloads of one type the service wrote to its outbox, in order."""
        rows = await self.fetch(
            "SELECT body FROM outbox WHERE routing_key = $1 ORDER BY id",
            payload.routing_key(),
        )
        return [json.loads(row["body"])["payload"] for row in rows]

    async def wait_for_events(
        self, payload: type[EventPayload], count: int = 1
    ) -> list[dict[str, Any]]:
        async def written() -> bool:
            return len(await self.events(payload)) >= count

        await eventually(written)
        return await self.events(payload)

    async def wait_until_handled(
        self, payload: type[EventPayload], count: int = 1
    ) -> None:
        """Wait until the subscription to `payload` has handled `count` events."""

        async def handled() -> bool:
            rows = await self.fetch(
                "SELECT count(*) AS n FROM inbox WHERE subscription = $1",
                f"{self.name}.{payload.routing_key()}",
            )
            return bool(rows[0]["n"] >= count)

        await eventually(handled)

    async def dead_letters(self) -> list[DeadLetter]:
        """Collect the service's DLQ into its table and return every letter."""
        return await dead_letters(self.amqp_url, self.database_url, self.name)

    async def replay_dead_letters(self) -> list[DeadLetter]:
        """Replay every open dead letter, as `orderflow dlq replay` does."""
        connection = await aio_pika.connect(self.amqp_url)
        conn = await asyncpg.connect(
            self.database_url, server_settings={"search_path": self.name}
        )
        try:
            async with connection:
                store = DeadLetterStore(conn, await connection.channel(), self.name)
                await store.collect()
                return await store.replay(DeadLetterFilter(), actor="tests")
        finally:
            await conn.close()

    async def wait_for_dead_letters(self, count: int = 1) -> list[DeadLetter]:
        letters: list[DeadLetter] = []

        async def collected() -> bool:
            letters[:] = await self.dead_letters()
            return len(letters) >= count

        await eventually(collected)
        return letters

    async def clean_up(self) -> None:
        connection = await aio_pika.connect(self.amqp_url)
        async with connection:
            channel = await connection.channel()
            names = {topology.dead_letter_queue_name(self.name)}
            for service in self.services:
                names |= {s.queue_name for s in service.subscriptions}
            for name in names:
                await channel.queue_delete(name)
        conn = await asyncpg.connect(self.database_url)
        try:
            await conn.execute(
                f"DROP SCHEMA IF EXISTS {quote_ident(self.name)} CASCADE"
            )
        finally:
            await conn.close()
