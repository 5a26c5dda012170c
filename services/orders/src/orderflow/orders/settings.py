"""Settings of the orders service, read from `ORDERFLOW_*` variables.

Each platform has two secrets, the current one and the previous one, so that
a secret can be rotated without rejecting deliveries signed with the old one
while they are still in flight. A platform with no secret rejects every
delivery: Orderflow never takes unsigned input.
"""

from __future__ import annotations

from typing import Self

from pydantic import Field, SecretStr, model_validator

from orderflow.backbone.api_keys import configured_keys
from orderflow.backbone.settings import BackboneSettings, Environment

DEFAULT_PORT = 8001

_SECRET_FIELDS = (
    "shopify_secret",
    "woocommerce_secret",
    "gumroad_secret",
    "stripe_secret",
    "api_key",
)
_PLACEHOLDERS = {"change-me", "changeme", "secret", "test"}


class Settings(BackboneSettings):
    """The backbone's settings and the platforms' secrets."""

    shopify_secret: SecretStr | None = Field(
        default=None, description="The Shopify app's client secret."
    )
    shopify_secret_previous: SecretStr | None = None
    woocommerce_secret: SecretStr | None = Field(
        default=None, description="The secret set on the WooCommerce webhooks."
    )
    woocommerce_secret_previous: SecretStr | None = None
    gumroad_secret: SecretStr | None = Field(
        default=None,
        description="The secret in the Gumroad ping URL: /webhooks/gumroad?secret=…",
    )
    gumroad_secret_previous: SecretStr | None = None
    stripe_secret: SecretStr | None = Field(
        default=None, description="The Stripe endpoint's signing secret (whsec_…)."
    )
    stripe_secret_previous: SecretStr | None = None
    stripe_tolerance: float = Field(
        default=300.0, gt=0, description="Seconds a Stripe signature stays valid."
    )
    stripe_account: str = Field(
        default="default",
        description="The Stripe account named in shop ids when an event has none.",
    )
    api_key: SecretStr | None = Field(
        default=None, description="The key of the generic POST /orders API."
    )
    api_key_previous: SecretStr | None = None
    max_body_bytes: int = Field(default=1024 * 1024, ge=1024)
    intake_batch_size: int = Field(
        default=256, ge=1, description="Most deliveries committed in one transaction."
    )
    intake_writers: int = Field(
        default=2, ge=1, description="Batches being committed at the same time."
    )

    def secrets(self, name: str) -> tuple[bytes, ...]:
        """The current and previous secret of `name`, those that are set."""
        return configured_keys(getattr(self, name), getattr(self, f"{name}_previous"))

    @model_validator(mode="after")
    def _refuse_placeholder_secrets_in_production(self) -> Self:
        if self.environment is not Environment.PRODUCTION:
            return self
        for name in _SECRET_FIELDS:
            for secret in self.secrets(name):
                if len(secret) < 16 or secret.decode().lower() in _PLACEHOLDERS:
                    raise ValueError(f"ORDERFLOW_{name.upper()} is a placeholder")
        return self
