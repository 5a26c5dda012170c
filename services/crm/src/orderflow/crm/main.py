"""The composition root of the crm service."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib import resources

from orderflow.backbone.mail import MailSettings, create_mailer
from orderflow.backbone.service import Service
from orderflow.backbone.shop import ShopIdentity
from orderflow.contracts import (
    CustomerErased,
    CustomerUpserted,
    OrderCancelled,
    OrderConfirmationSent,
    OrderPlaced,
    OrderRefunded,
    OrderUpdated,
)
from orderflow.crm.adapters.confirmation_email import ConfirmationRenderer
from orderflow.crm.adapters.crms import ConfiguredCrms
from orderflow.crm.domain.events import (
    ContactErasureRequested,
    ContactSyncRequested,
    OrderConfirmationRecorded,
)
from orderflow.crm.handlers import CrmHandlers
from orderflow.crm.http import customer_router
from orderflow.crm.settings import DEFAULT_PORT, Settings

DESCRIPTION = (
    "Step 2: keeps the customer record, syncs it to CRMs and "
    "confirms each order by email."
)


def create_service(
    settings: Settings | None = None,
    *,
    mail: MailSettings | None = None,
    shop: ShopIdentity | None = None,
    name: str = "crm",
) -> Service:
    """Build the crm service with its handlers and routes.

    `mail` and `shop` default to what the environment says; `name` (the
    schema and queue prefix) differs only in tests.
    """
    settings = settings or Settings()
    service = Service(
        name,
        settings,
        port=DEFAULT_PORT,
        description=DESCRIPTION,
        migrations=resources.files("orderflow.crm") / "migrations",
        emits=(
            CustomerUpserted,
            OrderConfirmationSent,
            CustomerErased,
            OrderConfirmationRecorded,
            ContactSyncRequested,
            ContactErasureRequested,
        ),
    )
    crms = ConfiguredCrms(settings)
    handlers = CrmHandlers(
        renderer=ConfirmationRenderer(shop or ShopIdentity()),
        mailer=create_mailer(mail),
        crms=crms.adapters,
        pool=lambda: service.pool,
    )
    service.subscribe(OrderPlaced, handlers.record_customer)
    service.subscribe(OrderUpdated, handlers.follow_order_update)
    service.subscribe(OrderRefunded, handlers.record_refund)
    service.subscribe(OrderCancelled, handlers.record_cancellation)
    service.subscribe(OrderConfirmationRecorded, handlers.send_order_confirmation)
    service.subscribe(CustomerUpserted, handlers.request_contact_syncs)
    service.subscribe(ContactSyncRequested, handlers.sync_contact)
    service.subscribe(ContactErasureRequested, handlers.erase_crm_contact)
    service.subscribe(CustomerErased, handlers.erase_mail_copies)
    service.routers.append(customer_router(service, settings))

    @asynccontextmanager
    async def close_crm_clients(_: Service) -> AsyncIterator[None]:
        yield
        await crms.aclose()

    service.hooks.append(close_crm_clients)
    return service
