"""The composition root of the fulfillment service."""

from __future__ import annotations

from importlib import resources

from orderflow.backbone.service import Service
from orderflow.contracts import (
    CustomerErased,
    OrderCancelled,
    OrderPlaced,
    PaymentCaptured,
)
from orderflow.fulfillment import handlers
from orderflow.fulfillment.settings import DEFAULT_PORT, Settings

DESCRIPTION = "Step 3: delivers digital goods and hands physical goods to logistics."


def create_service(settings: Settings | None = None) -> Service:
    """Build the fulfillment service with its handlers and routes."""
    settings = settings or Settings()
    service = Service(
        "fulfillment",
        settings,
        port=DEFAULT_PORT,
        description=DESCRIPTION,
        migrations=resources.files("orderflow.fulfillment") / "migrations",
    )
    service.subscribe(OrderPlaced, handlers.record_order, batched=True)
    service.subscribe(PaymentCaptured, handlers.record_payment, batched=True)
    service.subscribe(OrderCancelled, handlers.record_cancellation, batched=True)
    service.subscribe(CustomerErased, handlers.erase_customer, batched=True)
    return service
