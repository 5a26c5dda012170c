"""The composition root of the billing service."""

from __future__ import annotations

from importlib import resources

from orderflow.backbone.service import Service
from orderflow.billing.settings import DEFAULT_PORT, Settings

DESCRIPTION = (
    "Steps 2 and 4: Stripe products and payments, tax, invoices and credit notes."
)


def create_service(settings: Settings | None = None) -> Service:
    """Build the billing service with its handlers and routes."""
    settings = settings or Settings()
    return Service(
        "billing",
        settings,
        port=DEFAULT_PORT,
        description=DESCRIPTION,
        migrations=resources.files("orderflow.billing") / "migrations",
    )
