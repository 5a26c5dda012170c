"""The shop's identity: who sells, as shown on emails and invoices.

Read from `ORDERFLOW_SHOP_*` variables; crm's confirmation emails and
billing's invoices both use it, so the shop is configured once.
"""

from __future__ import annotations

from pathlib import Path
from typing import Self

from pydantic import EmailStr, Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from orderflow.backbone.settings import Environment

# What the example shop says that a real one must say for itself: its name,
# address, VAT id, email, website and bank appear on every invoice.
_OWN_FIELDS = (
    "name",
    "legal_name",
    "street",
    "postal_code",
    "city",
    "vat_id",
    "email",
    "website",
    "bank_name",
    "iban",
    "bic",
)


class ShopIdentity(BaseSettings):
    """The seller, as the law and the customer see it.

    The defaults are an example shop, for a developer's machine; with
    `ORDERFLOW_ENVIRONMENT=production` every one of them must be replaced.
    """

    model_config = SettingsConfigDict(
        env_prefix="ORDERFLOW_SHOP_",
        env_file=".env",
        extra="ignore",
        populate_by_name=True,
    )

    environment: Environment = Field(
        default=Environment.DEVELOPMENT, validation_alias="ORDERFLOW_ENVIRONMENT"
    )
    name: str = "Example Shop"
    legal_name: str = Field(
        default="Example Shop GmbH", description="The name on invoices."
    )
    street: str = "Musterstrasse 1"
    postal_code: str = "10115"
    city: str = "Berlin"
    country: str = Field(default="DE", pattern=r"^[A-Z]{2}$")
    vat_id: str = Field(default="DE123456789", description="The seller's VAT id.")
    email: EmailStr = "shop@example.com"
    reply_to: EmailStr | None = None
    website: str = "https://shop.example.com"
    logo: Path | None = Field(default=None, description="A PNG or SVG file.")
    default_language: str = Field(default="en", pattern=r"^[a-z]{2}$")
    bank_name: str = "Example Bank"
    iban: str = "DE89370400440532013000"
    bic: str = "COBADEFFXXX"

    @model_validator(mode="after")
    def _refuse_the_example_shop_in_production(self) -> Self:
        if self.environment is not Environment.PRODUCTION:
            return self
        examples = [
            f"ORDERFLOW_SHOP_{name.upper()}"
            for name in _OWN_FIELDS
            if getattr(self, name) == type(self).model_fields[name].default
        ]
        if examples:
            raise ValueError(
                "the shop's identity is still the example's; set " + ", ".join(examples)
            )
        return self

    @property
    def address_lines(self) -> list[str]:
        return [self.street, f"{self.postal_code} {self.city}", self.country]

    @property
    def mail_domain(self) -> str:
        return str(self.email).rsplit("@", 1)[1]
