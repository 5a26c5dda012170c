"""The composition root of the billing service."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import partial
from importlib import resources

from orderflow.backbone.mail import Mailer, create_mailer
from orderflow.backbone.service import Service
from orderflow.backbone.shop import ShopIdentity
from orderflow.billing import handlers
from orderflow.billing.adapters.renderer import Renderer
from orderflow.billing.adapters.stripe_gateway import StripeGateway
from orderflow.billing.delivery import DocumentDelivery
from orderflow.billing.handlers import Billing
from orderflow.billing.http import billing_routes
from orderflow.billing.settings import DEFAULT_PORT, Settings
from orderflow.contracts import (
    CreditNoteIssued,
    InvoiceIssued,
    OrderCancelled,
    OrderPlaced,
    OrderRefunded,
    PaymentCaptured,
    PaymentFailed,
    PaymentRefunded,
    PaymentRequested,
    ProductRegistered,
)

DESCRIPTION = (
    "Steps 2 and 4: Stripe products and payments, tax, invoices and credit notes."
)


def create_service(
    settings: Settings | None = None,
    *,
    shop: ShopIdentity | None = None,
    mailer: Mailer | None = None,
) -> Service:
    """Build the billing service with its handlers and routes."""
    settings = settings or Settings()
    service = Service(
        "billing",
        settings,
        port=DEFAULT_PORT,
        description=DESCRIPTION,
        migrations=resources.files("orderflow.billing") / "migrations",
        emits=(
            ProductRegistered,
            PaymentRequested,
            PaymentCaptured,
            PaymentFailed,
            PaymentRefunded,
            InvoiceIssued,
            CreditNoteIssued,
        ),
    )
    billing = Billing(
        settings=settings, shop=shop or ShopIdentity(), gateway=_gateway(settings)
    )
    delivery = DocumentDelivery(
        lambda: service.pool,
        Renderer(settings.render_workers),
        mailer or create_mailer(),
        billing.shop,
        batch=settings.delivery_batch,
        retry_delays=settings.retry_delays,
    )

    service.subscribe(OrderPlaced, partial(handlers.record_order, billing=billing))
    service.subscribe(PaymentCaptured, partial(handlers.issue_invoice, billing=billing))
    service.subscribe(OrderRefunded, partial(handlers.record_refund, billing=billing))
    service.subscribe(OrderCancelled, partial(handlers.cancel_order, billing=billing))
    service.subscribe(
        PaymentRefunded, partial(handlers.issue_credit_note, billing=billing)
    )
    service.routers.append(billing_routes(service, billing, delivery))

    @asynccontextmanager
    async def delivering(_: Service) -> AsyncIterator[None]:
        async with delivery.running(settings.delivery_interval):
            yield

    service.hooks.append(delivering)
    return service


def _gateway(settings: Settings) -> StripeGateway | None:
    if settings.stripe_api_key is None:
        return None
    secret = settings.stripe_webhook_secret
    return StripeGateway(
        settings.stripe_api_key.get_secret_value(),
        webhook_secret=secret.get_secret_value() if secret else None,
        api_base=settings.stripe_api_base,
    )
