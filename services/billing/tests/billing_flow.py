"""The billing service running in a test, with an SMTP sink and event helpers."""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

import asyncpg
import httpx
from aiosmtpd.controller import Controller

from orderflow.backbone.mail import MailSettings, SmtpMailer
from orderflow.backbone.service import Service
from orderflow.backbone.shop import ShopIdentity
from orderflow.backbone.testing import drop_service, eventually, publish_event
from orderflow.billing.main import create_service
from orderflow.billing.settings import Settings
from orderflow.contracts import Envelope, OrderEvent, wrap

SHOP = ShopIdentity(
    legal_name="Example Shop GmbH",
    vat_id="DE136695976",
    email="billing@shop.example",
)


@dataclass
class SmtpSink:
    """Collects what an aiosmtpd server on loopback receives."""

    messages: list[EmailMessage] = field(default_factory=list)

    async def handle_DATA(  # noqa: N802 - the name aiosmtpd calls
        self, server: Any, session: Any, envelope: Any
    ) -> str:
        self.messages.append(
            message_from_bytes(envelope.content, policy=policy.default)
        )
        return "250 OK"

    def with_id(self, message_id: str) -> list[EmailMessage]:
        return [m for m in self.messages if m["Message-ID"] == message_id]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class BillingUnderTest:
    service: Service
    smtp: SmtpSink
    amqp_url: str
    database_url: str

    async def publish(self, payload: OrderEvent) -> Envelope[OrderEvent]:
        envelope = wrap(payload, producer="tests", correlation_id=payload.order_id)
        await publish_event(self.amqp_url, envelope)
        return envelope

    async def wait_handled(self, envelope: Envelope[OrderEvent]) -> None:
        """Wait until billing's inbox holds the event: its handler committed."""

        async def handled() -> bool:
            rows = await self.fetch(
                "SELECT 1 FROM inbox WHERE event_id = $1", envelope.event_id
            )
            return bool(rows)

        await eventually(handled)

    async def fetch(self, query: str, *args: Any) -> list[asyncpg.Record]:
        async with self.service.pool.acquire() as conn:
            return await conn.fetch(query, *args)

    async def events(self, routing_key: str, order_id: str) -> list[dict[str, Any]]:
        rows = await self.fetch(
            "SELECT body FROM outbox WHERE routing_key = $1 AND correlation_id = $2"
            " ORDER BY id",
            routing_key,
            order_id,
        )
        return [json.loads(row["body"])["payload"] for row in rows]

    async def wait_for_events(
        self, routing_key: str, order_id: str, count: int = 1
    ) -> list[dict[str, Any]]:
        async def arrived() -> bool:
            return len(await self.events(routing_key, order_id)) >= count

        await eventually(arrived)
        return await self.events(routing_key, order_id)

    async def wait_for_mail(
        self, subject_part: str, count: int = 1
    ) -> list[EmailMessage]:
        def matching() -> list[EmailMessage]:
            return [m for m in self.smtp.messages if subject_part in str(m["Subject"])]

        async def arrived() -> bool:
            return len(matching()) >= count

        await eventually(arrived)
        return matching()

    def http(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(
            transport=httpx.ASGITransport(app=self.service.app()),
            base_url="http://test",
        )


@asynccontextmanager
async def billing_running(
    amqp_url: str, database_url: str, **settings: Any
) -> AsyncIterator[BillingUnderTest]:
    """Billing with its consumers, relay and delivery; cleaned up afterwards."""
    smtp = SmtpSink()
    port = _free_port()
    controller = Controller(smtp, hostname="127.0.0.1", port=port)
    controller.start()
    values: dict[str, Any] = {
        "amqp_url": amqp_url,
        "database_url": database_url,
        "retry_delays": [0.2, 0.4, 0.8],
        "outbox_poll_interval": 0.2,
        "delivery_interval": 0.2,
        "render_workers": 1,
        "shutdown_grace": 5.0,
    }
    mailer = SmtpMailer(MailSettings(host="127.0.0.1", port=port, security="none"))
    service = create_service(Settings(**(values | settings)), shop=SHOP, mailer=mailer)
    try:
        async with service.running():
            await eventually(service.broker_ready)
            yield BillingUnderTest(service, smtp, amqp_url, database_url)
    finally:
        controller.stop()
        await drop_service(amqp_url, database_url, service)


async def settle(seconds: float = 1.0) -> None:
    """Give the consumers a moment to (not) act on a duplicate."""
    await asyncio.sleep(seconds)
