"""Settings of the billing service, read from `ORDERFLOW_*` variables."""

from __future__ import annotations

import os
from typing import Self

from pydantic import Field, SecretStr, model_validator

from orderflow.backbone.settings import BackboneSettings, Environment

DEFAULT_PORT = 8003


def _cores() -> int:
    return os.cpu_count() or 1


class Settings(BackboneSettings):
    """The backbone's settings and billing's own.

    Without a Stripe key, orders paid at their platform are recorded as paid
    and the others are invoiced at once with the shop's bank details.
    """

    stripe_api_key: SecretStr | None = None
    stripe_webhook_secret: SecretStr | None = None
    stripe_api_base: str = Field(
        default="https://api.stripe.com", description="Overridden only in tests."
    )
    checkout_success_url: str = "http://127.0.0.1:8003/paid"
    checkout_cancel_url: str = "http://127.0.0.1:8003/cancelled"
    public_url: str = Field(
        default="http://127.0.0.1:8003",
        description="Where customers and services reach billing's HTTP routes.",
    )
    payment_due_days: int = Field(default=14, ge=0)
    render_workers: int = Field(default_factory=_cores, ge=1)
    delivery_interval: float = Field(
        default=1.0, gt=0, description="Seconds between looks for mail to send."
    )
    delivery_batch: int = Field(default=20, ge=1)

    @model_validator(mode="after")
    def _webhook_secret_goes_with_the_key(self) -> Self:
        production = self.environment is Environment.PRODUCTION
        if production and self.stripe_api_key and not self.stripe_webhook_secret:
            raise ValueError("ORDERFLOW_STRIPE_WEBHOOK_SECRET must be set with a key")
        return self
