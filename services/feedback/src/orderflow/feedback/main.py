"""The composition root of the feedback service."""

from __future__ import annotations

from importlib import resources

from orderflow.backbone.service import Service
from orderflow.contracts import (
    OrderCancelled,
    OrderFulfilled,
    OrderRefunded,
    ShipmentDelivered,
)
from orderflow.feedback import handlers
from orderflow.feedback.settings import DEFAULT_PORT, Settings

DESCRIPTION = "Step 5: asks for reviews, keeps them and publishes the good ones."


def create_service(settings: Settings | None = None) -> Service:
    """Build the feedback service with its handlers and routes."""
    settings = settings or Settings()
    service = Service(
        "feedback",
        settings,
        port=DEFAULT_PORT,
        description=DESCRIPTION,
        migrations=resources.files("orderflow.feedback") / "migrations",
    )
    service.subscribe(OrderFulfilled, handlers.note_fulfilment, batched=True)
    service.subscribe(ShipmentDelivered, handlers.note_delivery, batched=True)
    service.subscribe(OrderCancelled, handlers.note_cancellation, batched=True)
    service.subscribe(OrderRefunded, handlers.note_refund, batched=True)
    return service
