"""Taking a delivery: authenticate it, normalise it, store it with its events.

Each platform is a `Webhook`: how it proves a delivery is its own, how its
payload becomes a `Delivery`, and where its delivery id is for the log. The
intake answers only after the delivery and its events are committed, in a
batch with whatever other deliveries arrived meanwhile.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass

from orderflow.backbone.service import Service
from orderflow.contracts import Platform
from orderflow.orders.adapters import signatures
from orderflow.orders.adapters.group_commit import GroupCommit
from orderflow.orders.adapters.order_store import settle
from orderflow.orders.domain import shopify
from orderflow.orders.domain.deliveries import Delivery
from orderflow.orders.domain.ledger import Outcome
from orderflow.orders.settings import Settings

Headers = Mapping[str, str]
Authenticate = Callable[[Settings, Headers, Mapping[str, str], bytes], None]
Normalise = Callable[[Headers, bytes], Delivery | None]


@dataclass(frozen=True)
class Webhook:
    """How one platform's webhooks are checked and read."""

    platform: Platform
    authenticate: Authenticate
    normalise: Normalise
    delivery_header: str | None = None

    def delivery_id(self, headers: Headers) -> str | None:
        """The delivery id in the headers, for the log line of a rejection."""
        return headers.get(self.delivery_header) if self.delivery_header else None


@dataclass(frozen=True)
class Receipt:
    """What the intake answers for a delivery."""

    outcome: Outcome | str
    delivery_id: str | None = None
    order_id: str | None = None


def _shopify_authentic(
    settings: Settings, headers: Headers, _: Mapping[str, str], body: bytes
) -> None:
    signatures.verify_base64_hmac(
        "shopify",
        settings.secrets("shopify_secret"),
        body,
        headers.get("x-shopify-hmac-sha256"),
    )


WEBHOOKS: dict[str, Callable[[Settings], Webhook]] = {
    "shopify": lambda settings: Webhook(
        Platform.SHOPIFY,
        _shopify_authentic,
        shopify.normalise,
        delivery_header="x-shopify-webhook-id",
    ),
}


class Intake:
    """Takes deliveries and commits them in batches."""

    def __init__(self, service: Service, settings: Settings) -> None:
        self._service = service
        self.settings = settings
        self.webhooks = {name: build(settings) for name, build in WEBHOOKS.items()}
        self._writer: GroupCommit[Delivery, Outcome] = GroupCommit(
            self._commit,
            batch_size=settings.intake_batch_size,
            writers=settings.intake_writers,
        )

    @asynccontextmanager
    async def running(self, _: Service) -> AsyncIterator[None]:
        async with self._writer.running():
            yield

    async def take(
        self, webhook: Webhook, headers: Headers, query: Mapping[str, str], body: bytes
    ) -> Receipt:
        """Authenticate, normalise and store one webhook delivery."""
        webhook.authenticate(self.settings, headers, query, body)
        delivery = webhook.normalise(headers, body)
        if delivery is None:
            return Receipt("ignored", delivery_id=webhook.delivery_id(headers))
        return await self.store(delivery)

    async def store(self, delivery: Delivery) -> Receipt:
        """Store a delivery and its events; return once they are committed."""
        outcome = await self._writer.submit(delivery)
        return Receipt(outcome, delivery.delivery_id, delivery.order_id)

    async def _commit(self, deliveries: list[Delivery]) -> list[Outcome]:
        service = self._service
        async with service.pool.acquire() as conn, conn.transaction():
            return await settle(
                conn, producer=service.name, schema=service.name, deliveries=deliveries
            )
