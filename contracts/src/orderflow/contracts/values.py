"""The vocabulary every step shares: shops, ids, customers, addresses.

Ids are strings everywhere, the platforms' too: a Shopify id does not fit in
the 53 bits a JSON number keeps exactly in most languages. Every event about
a shop's orders or customers derives from `ShopEvent`, and every event about
one order from `OrderEvent`, so each names its shop and order the same way.

The envelope's `occurred_at` says when an event happened. A payload carries a
time of its own only when that time comes from elsewhere (the platform, a
payment provider, a carrier) or means something on its own (an invoice's
date of issue).
"""

from __future__ import annotations

import hashlib
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from orderflow.contracts.envelope import EventPayload


class Platform(StrEnum):
    """The shop platforms Orderflow takes orders from."""

    SHOPIFY = "shopify"
    WOOCOMMERCE = "woocommerce"
    GUMROAD = "gumroad"
    STRIPE = "stripe"
    GENERIC = "generic"


SHOP_ID_PATTERN = rf"^({'|'.join(Platform)}):\S+$"

ShopId = Annotated[
    str,
    Field(
        pattern=SHOP_ID_PATTERN,
        max_length=255,
        description=(
            "The shop: its platform, a colon, and its domain or account, "
            "e.g. shopify:example.myshopify.com or woocommerce:shop.example."
        ),
    ),
]

Identifier = Annotated[str, Field(min_length=1, max_length=255)]

Quantity = Annotated[int, Field(strict=True, gt=0)]

CountryCode = Annotated[
    str,
    Field(pattern=r"^[A-Z]{2}$", description="ISO 3166-1 alpha-2 country code."),
]

EmailAddress = Annotated[str, Field(pattern=r"^[^@\s]+@[^@\s]+$", max_length=254)]

EmailHash = Annotated[
    str,
    Field(
        pattern=r"^[0-9a-f]{64}$",
        description="Hex SHA-256 of the trimmed, lower-cased email address.",
    ),
]


class LineKind(StrEnum):
    """How a line reaches the customer: a download or licence, or a parcel."""

    DIGITAL = "digital"
    PHYSICAL = "physical"


def shop_id(platform: Platform, name: str) -> str:
    """The shop id of a shop's domain or account on a platform."""
    return f"{platform}:{name}"


def platform_of(shop: str) -> Platform:
    """The platform named at the front of a shop id."""
    return Platform(shop.partition(":")[0])


def email_sha256(email: str) -> str:
    """Hash an email address the way `CustomerErased` carries it.

    Every service that keeps an address finds its copies with this function,
    so the normalisation (trimmed, lower-cased) must not change.
    """
    return hashlib.sha256(email.strip().lower().encode()).hexdigest()


class ValueModel(BaseModel):
    """Base of the values inside payloads: immutable, tolerant of new fields."""

    model_config = ConfigDict(frozen=True, extra="ignore", hide_input_in_errors=True)


class Address(ValueModel):
    """A postal address, as much of it as the platform gave.

    Only the country is sure: the billing address of a digital order often
    holds nothing else. Fulfillment checks a shipping address is complete.
    """

    name: str | None = None
    company: str | None = None
    line1: str | None = None
    line2: str | None = None
    postal_code: str | None = None
    city: str | None = None
    region: str | None = Field(
        default=None,
        description="State, province or county, as the platform gives it.",
    )
    country: CountryCode


class Customer(ValueModel):
    """The person or company who placed an order."""

    platform_customer_id: Identifier | None = Field(
        default=None, description="The platform's customer id; none for a guest."
    )
    email: EmailAddress | None = Field(
        default=None,
        description="None when the platform has none, e.g. a phone-only checkout.",
    )
    first_name: str | None = None
    last_name: str | None = None
    company: str | None = None
    vat_id: str | None = Field(
        default=None, description="VAT number as the customer gave it."
    )
    phone: str | None = None
    locale: str | None = Field(
        default=None, description="Preferred language, a BCP 47 tag such as de-DE."
    )
    marketing_consent: bool | None = Field(
        default=None,
        description="Whether the customer agreed to marketing email; None if unknown.",
    )


class ShopEvent(EventPayload):
    """Base of every event that belongs to one shop."""

    shop_id: ShopId


class OrderEvent(ShopEvent):
    """Base of every event about one order."""

    order_id: Identifier = Field(description="Orderflow's own id of the order.")
