"""The composition root of the crm service."""

from __future__ import annotations

from importlib import resources

from orderflow.backbone.service import Service
from orderflow.crm.settings import DEFAULT_PORT, Settings

DESCRIPTION = (
    "Step 2: keeps the customer record, syncs it to CRMs and "
    "confirms each order by email."
)


def create_service(settings: Settings | None = None) -> Service:
    """Build the crm service with its handlers and routes."""
    settings = settings or Settings()
    return Service(
        "crm",
        settings,
        port=DEFAULT_PORT,
        description=DESCRIPTION,
        migrations=resources.files("orderflow.crm") / "migrations",
    )
