"""The composition root of the support service."""

from __future__ import annotations

from importlib import resources

from orderflow.backbone.service import Service
from orderflow.contracts import (
    CustomerErased,
    OrderCancelled,
    OrderPlaced,
    OrderRefunded,
)
from orderflow.support import handlers
from orderflow.support.settings import DEFAULT_PORT, Settings

DESCRIPTION = "Step 6: the live chat on the shop's site, bridged to Slack and Teams."


def create_service(settings: Settings | None = None) -> Service:
    """Build the support service with its handlers and routes."""
    settings = settings or Settings()
    service = Service(
        "support",
        settings,
        port=DEFAULT_PORT,
        description=DESCRIPTION,
        migrations=resources.files("orderflow.support") / "migrations",
    )
    service.subscribe(OrderPlaced, handlers.learn_order, batched=True)
    service.subscribe(OrderCancelled, handlers.learn_cancellation, batched=True)
    service.subscribe(OrderRefunded, handlers.learn_refund, batched=True)
    service.subscribe(CustomerErased, handlers.erase_customer, batched=True)
    return service
