"""The composition root of the orders service."""

from __future__ import annotations

from importlib import resources

from orderflow.backbone.service import Service
from orderflow.contracts import (
    CustomerErased,
    OrderCancelled,
    OrderPlaced,
    OrderRefunded,
    OrderUpdated,
)
from orderflow.orders.handlers import Intake, erase_customer
from orderflow.orders.http import router
from orderflow.orders.settings import DEFAULT_PORT, Settings

DESCRIPTION = (
    "Step 1: takes orders from the shop platforms and publishes them as events."
)


def create_service(settings: Settings | None = None) -> Service:
    """Build the orders service with its handlers and routes."""
    settings = settings or Settings()
    service = Service(
        "orders",
        settings,
        port=DEFAULT_PORT,
        description=DESCRIPTION,
        migrations=resources.files("orderflow.orders") / "migrations",
        emits=(OrderPlaced, OrderUpdated, OrderCancelled, OrderRefunded),
        ready_without_broker=True,
    )
    intake = Intake(service, settings)
    service.hooks.append(intake.running)
    service.subscribe(CustomerErased, erase_customer)
    service.routers.append(router(intake))
    return service
