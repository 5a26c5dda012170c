"""The shop's identity: who sells, as shown on emails and invoices.

Read from `ORDERFLOW_SHOP_*` variables; crm's confirmation emails and
billing's invoices both use it, so the shop is configured once.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import EmailStr, Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class ShopIdentity(BaseSettings):
    """The seller, as the law and the customer see it."""

    model_config = SettingsConfigDict(
        env_prefix="ORDERFLOW_SHOP_", env_file=".env", extra="ignore"
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

    @property
    def address_lines(self) -> list[str]:
        return [self.street, f"{self.postal_code} {self.city}", self.country]

    @property
    def mail_domain(self) -> str:
        return str(self.email).rsplit("@", 1)[1]
