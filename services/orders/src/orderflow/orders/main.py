"""The composition root of the orders service."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib import resources

from orderflow.backbone.service import Service
from orderflow.contracts import OrderCancelled, OrderPlaced, OrderRefunded, OrderUpdated
from orderflow.orders.handlers import Intake
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
    service.hooks.append(_startup_heap_frozen)
    service.routers.append(router(intake))
    return service


@asynccontextmanager
async def _startup_heap_frozen(_: Service) -> AsyncIterator[None]:
    """Keep what startup allocated out of the garbage collector's full passes.

    NOTE: startup leaves some hundred thousand objects that live as long as
    the process. A full collection that walks them all stops the event loop
    for tens of milliseconds, and every webhook in flight waits with it;
    frozen, a full collection walks only what the deliveries left behind.
    They stay frozen until the process ends.
    """
    gc.collect()
    gc.freeze()
    yield
