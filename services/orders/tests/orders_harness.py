"""The orders service running in-process, with a client and a look at its rows."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import urlencode

import asyncpg
import httpx
from orders_fakes import (
    API_KEY,
    GUMROAD_KEY,
    encode,
    shopify_headers,
    stripe_headers,
    woocommerce_headers,
)
from prometheus_client import REGISTRY

from orderflow.backbone.service import Service
from orderflow.backbone.testing import eventually, publish_event
from orderflow.contracts import CustomerErased, Envelope

FORM = {"Content-Type": "application/x-www-form-urlencoded"}
ERASURES = "orders.customer.erased.v1"


class OrdersHarness:
    """Sends requests to the service and reads what it stored."""

    def __init__(self, service: Service, database_url: str) -> None:
        self.service = service
        self.database_url = database_url
        self.client: httpx.AsyncClient | None = None

    @asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        async with self.service.running():
            transport = httpx.ASGITransport(app=self.service.app())
            async with httpx.AsyncClient(
                transport=transport, base_url="http://test"
            ) as client:
                self.client = client
                yield
                self.client = None
        # NOTE: aio-pika runs a closed connection's callbacks as tasks of their
        # own; a turn of the loop lets them finish before the test's loop ends.
        await asyncio.sleep(0.1)

    async def post(
        self, path: str, body: bytes, headers: dict[str, str]
    ) -> httpx.Response:
        assert self.client is not None
        return await self.client.post(path, content=body, headers=headers)

    async def accepted(
        self, path: str, body: bytes, headers: dict[str, str]
    ) -> dict[str, Any]:
        """Post a delivery that must be accepted; its receipt."""
        response = await self.post(path, body, headers)
        assert response.status_code == 200, response.text
        receipt: dict[str, Any] = response.json()
        return receipt

    async def shopify(
        self, payload: dict[str, Any], topic: str = "orders/create", **kw: str
    ) -> dict[str, Any]:
        body = encode(payload)
        headers = shopify_headers(body, topic, **kw)
        return await self.accepted("/webhooks/shopify", body, headers)

    async def woocommerce(
        self, payload: dict[str, Any], topic: str = "order.created", **kw: str
    ) -> dict[str, Any]:
        body = encode(payload)
        headers = woocommerce_headers(body, topic, **kw)
        return await self.accepted("/webhooks/woocommerce", body, headers)

    async def stripe(self, event: dict[str, Any]) -> dict[str, Any]:
        body = encode(event)
        return await self.accepted("/webhooks/stripe", body, stripe_headers(body))

    async def gumroad(
        self, fields: dict[str, str], secret: str = GUMROAD_KEY
    ) -> dict[str, Any]:
        path = f"/webhooks/gumroad?secret={secret}"
        return await self.accepted(path, urlencode(fields).encode(), FORM)

    async def api(
        self, order: dict[str, Any], key: str = API_KEY, **headers: str
    ) -> dict[str, Any]:
        body = encode(order)
        sent = {"X-Api-Key": key, "Content-Type": "application/json"} | headers
        return await self.accepted("/orders", body, sent)

    async def count(self, table: str) -> int:
        """How many rows a table of the service holds."""
        [row] = await self.fetch(f"SELECT count(*) AS n FROM {table}")
        return int(row["n"])

    async def fetch(self, query: str, *args: Any) -> list[asyncpg.Record]:
        async with self.service.pool.acquire() as conn:
            return await conn.fetch(query, *args)

    async def events(self, order_id: str) -> list[tuple[str, dict[str, Any]]]:
        """The events written for an order, oldest first: (routing key, payload)."""
        rows = await self.fetch(
            "SELECT routing_key, body FROM outbox WHERE correlation_id = $1"
            " ORDER BY id",
            order_id,
        )
        return [
            (row["routing_key"], json.loads(row["body"])["payload"]) for row in rows
        ]

    async def event_types(self, order_id: str) -> list[str]:
        return [key for key, _ in await self.events(order_id)]

    async def deliveries(self, order_id: str) -> list[str]:
        rows = await self.fetch(
            "SELECT outcome FROM deliveries WHERE order_id = $1::uuid"
            " ORDER BY received_at",
            order_id,
        )
        return [row["outcome"] for row in rows]

    async def erase(self, erasure: Envelope[CustomerErased]) -> str:
        """Publish crm's erasure and wait until it is handled; the outcome.

        `applied`, or `duplicate` for an event the service had handled before.
        """
        counts = self._erasures_handled()
        await eventually(self.service.broker_ready)
        await publish_event(self.service.settings.amqp_url.get_secret_value(), erasure)

        async def handled() -> bool:
            return self._erasures_handled() != counts

        await eventually(handled)
        now = self._erasures_handled()
        return next(o for o, n in now.items() if n != counts[o])

    def _erasures_handled(self) -> dict[str, float]:
        return {
            outcome: REGISTRY.get_sample_value(
                "orderflow_messages_handled_total",
                {"service": "orders", "subscription": ERASURES, "outcome": outcome},
            )
            or 0.0
            for outcome in ("applied", "duplicate")
        }

    async def traces(self, *words: str) -> set[str]:
        """The tables of the service in which some row holds one of the words.

        A row is searched as text, its byte columns in hex, so raw bodies too.
        """
        tables = await self.fetch(
            "SELECT table_name FROM information_schema.tables"
            " WHERE table_schema = $1 AND table_type = 'BASE TABLE'",
            self.service.name,
        )
        found: set[str] = set()
        for word in words:
            for table in tables:
                name = table["table_name"]
                if await self.fetch(
                    f"SELECT 1 FROM {name} AS t WHERE strpos(t::text, $1) > 0"
                    " OR strpos(t::text, $2) > 0 LIMIT 1",
                    word,
                    word.encode().hex(),
                ):
                    found.add(name)
        return found
