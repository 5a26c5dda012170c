"""Taking a delivery: authenticate it, normalise it, store it with its events.

Each platform is a `Webhook`: how it proves a delivery is its own, how its
payload becomes a `Delivery`, and where its delivery id is for the log. The
intake answers only after the delivery and its events are committed, in a
batch with whatever other deliveries arrived meanwhile.

`erase_customer` handles the one event the service consumes, crm's
`customer.erased.v1`: it takes the person out of every order, delivery and
event the service keeps of them.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from uuid import UUID

from orderflow.backbone import dead_letters
from orderflow.backbone.api_keys import presented_key
from orderflow.backbone.logging import get_logger
from orderflow.backbone.service import Service
from orderflow.backbone.unit_of_work import UnitOfWork
from orderflow.contracts import CustomerErased, Envelope, Platform
from orderflow.orders.adapters import signatures
from orderflow.orders.adapters.erasure_store import erase_customer_orders
from orderflow.orders.adapters.group_commit import GroupCommit
from orderflow.orders.adapters.order_store import StoredOrder, find_order, settle
from orderflow.orders.domain import generic, gumroad, shopify, stripe, woocommerce
from orderflow.orders.domain.deliveries import Delivery, Normalise
from orderflow.orders.domain.ledger import Outcome
from orderflow.orders.settings import Settings

log = get_logger(__name__)

Headers = Mapping[str, str]
Authenticate = Callable[[Headers, Mapping[str, str], bytes], None]

SHOPIFY_DELIVERY = ("x-shopify-event-id", "x-shopify-webhook-id")
WOOCOMMERCE_DELIVERY = ("x-wc-webhook-delivery-id",)
API_DELIVERY = ("idempotency-key",)
DELIVERY_HEADERS = SHOPIFY_DELIVERY + WOOCOMMERCE_DELIVERY + API_DELIVERY


def delivery_id_in(headers: Headers) -> str | None:
    """The delivery id in whichever platform's header carries one."""
    return next(filter(None, map(headers.get, DELIVERY_HEADERS)), None)


def _unclaimed(_: bytes) -> str | None:
    return None


@dataclass(frozen=True)
class Webhook:
    """How one platform's deliveries are checked and read."""

    platform: Platform
    authenticate: Authenticate
    normalise: Normalise
    delivery_headers: tuple[str, ...] = ()
    claimed_id: Callable[[bytes], str | None] = _unclaimed
    is_ping: Callable[[Headers, bytes], bool] | None = None

    def delivery_id(self, headers: Headers, body: bytes = b"") -> str | None:
        """The delivery id for a log line: in the headers, or as the body has it."""
        for name in self.delivery_headers:
            if value := headers.get(name):
                return value
        return self.claimed_id(body) if body else None


@dataclass(frozen=True)
class Receipt:
    """What the intake answers for a delivery."""

    outcome: Outcome | str
    delivery_id: str | None = None
    order_id: str | None = None


def webhooks(settings: Settings) -> dict[str, Webhook]:
    """The platforms' webhooks, by the name in their path."""

    def signed(platform: str, header: str) -> Authenticate:
        secrets = settings.secrets(f"{platform}_secret")

        def authenticate(headers: Headers, _: Mapping[str, str], body: bytes) -> None:
            signatures.verify_base64_hmac(platform, secrets, body, headers.get(header))

        return authenticate

    def stripe_signed(headers: Headers, _: Mapping[str, str], body: bytes) -> None:
        signatures.verify_stripe(
            settings.secrets("stripe_secret"),
            body,
            headers.get("stripe-signature"),
            now=time.time(),
            tolerance=settings.stripe_tolerance,
        )

    def gumroad_url(_: Headers, query: Mapping[str, str], __: bytes) -> None:
        signatures.verify_shared_secret(
            "Gumroad URL secret",
            settings.secrets("gumroad_secret"),
            query.get("secret"),
        )

    return {
        "shopify": Webhook(
            Platform.SHOPIFY,
            signed("shopify", "x-shopify-hmac-sha256"),
            shopify.normalise,
            delivery_headers=SHOPIFY_DELIVERY,
        ),
        "woocommerce": Webhook(
            Platform.WOOCOMMERCE,
            signed("woocommerce", "x-wc-webhook-signature"),
            woocommerce.normalise,
            delivery_headers=WOOCOMMERCE_DELIVERY,
            is_ping=woocommerce.is_ping,
        ),
        "gumroad": Webhook(
            Platform.GUMROAD,
            gumroad_url,
            gumroad.normalise,
            claimed_id=gumroad.delivery_id,
        ),
        "stripe": Webhook(
            Platform.STRIPE,
            stripe_signed,
            stripe.normalise_for(settings.stripe_account),
            claimed_id=stripe.event_id,
        ),
    }


class Intake:
    """Takes deliveries and commits them in batches."""

    def __init__(self, service: Service, settings: Settings) -> None:
        self._service = service
        self.settings = settings
        self.webhooks = webhooks(settings)
        self.api = Webhook(
            Platform.GENERIC,
            self.authenticate_api,
            generic.normalise,
            delivery_headers=API_DELIVERY,
        )
        self._writer: GroupCommit[Delivery, Outcome] = GroupCommit(
            self._commit,
            batch_size=settings.intake_batch_size,
            writers=settings.intake_writers,
        )

    @asynccontextmanager
    async def running(self, _: Service) -> AsyncIterator[None]:
        async with self._writer.running():
            yield

    def authenticate_api(
        self, headers: Headers, _: Mapping[str, str] | None = None, __: bytes = b""
    ) -> None:
        """The generic API's key, in `X-Api-Key` or as a bearer token."""
        signatures.verify_shared_secret(
            "the API", self.settings.secrets("api_key"), presented_key(headers)
        )

    async def take(
        self, webhook: Webhook, headers: Headers, query: Mapping[str, str], body: bytes
    ) -> Receipt:
        """Authenticate, normalise and store one delivery."""
        if webhook.is_ping is not None and webhook.is_ping(headers, body):
            return Receipt("ping")
        webhook.authenticate(headers, query, body)
        delivery = webhook.normalise(headers, body, datetime.now(UTC))
        if delivery is None:
            return Receipt("ignored", delivery_id=webhook.delivery_id(headers, body))
        outcome = await self._writer.submit(delivery)
        return Receipt(outcome, delivery.delivery_id, delivery.order_id)

    async def order(self, order_id: UUID) -> StoredOrder | None:
        """An order as it stands now, updates applied."""
        async with self._service.pool.acquire() as conn:
            return await find_order(conn, order_id)

    async def _commit(self, deliveries: list[Delivery]) -> list[Outcome]:
        service = self._service
        async with service.pool.acquire() as conn, conn.transaction():
            return await settle(
                conn, producer=service.name, schema=service.name, deliveries=deliveries
            )


async def erase_customer(event: Envelope[CustomerErased], uow: UnitOfWork) -> None:
    """Take the erased customer out of their orders in the shop, dead letters too."""
    erased = event.payload
    order_ids = await erase_customer_orders(uow.conn, erased)
    letters = await dead_letters.erase_customer(uow.conn, erased)
    log.info(
        "customer.erased",
        customer_id=erased.customer_id,
        orders=len(order_ids),
        dead_letters=letters,
    )
