"""Gumroad's sale pings, normalised.

Gumroad posts a form, unsigned; the secret in the ping URL authenticates
it. A sale places an order; a ping for a refunded sale (resource `refund`
with `refunded=true`, or a sale ping with `refunded=true`) refunds it in
full. Pings about anything else (disputes, subscriptions) carry no sale and
are acknowledged and ignored. Gumroad gives no delivery id, so the resource
and the sale id stand for one: a ping sent again is recognised.

Prices are US cents and include any VAT that Gumroad collected; a sale with
shipping information is a physical product, any other a digital one.
Gumroad names countries in English; the common ones become ISO codes, and
an address in a country that is not listed is left out.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any
from urllib.parse import parse_qsl

from pydantic import AliasChoices, AwareDatetime, BeforeValidator, Field

from orderflow.contracts import (
    FinancialStatus,
    LineKind,
    OrderPlaced,
    OrderRefunded,
    OrderTotals,
    Platform,
    from_minor_units,
    shop_id,
)
from orderflow.orders.domain.deliveries import Delivery, OrderKey
from orderflow.orders.domain.payloads import (
    PlatformModel,
    build,
    read_fields,
    text,
    unit_price,
    without_nul,
)
from orderflow.orders.errors import MalformedBody

CURRENCY = "USD"
SALE = "sale"
REFUND = "refund"
_COUNTRIES = {
    "australia": "AU", "austria": "AT", "belgium": "BE", "brazil": "BR",
    "bulgaria": "BG", "canada": "CA", "croatia": "HR", "cyprus": "CY",
    "czech republic": "CZ", "czechia": "CZ", "denmark": "DK", "estonia": "EE",
    "finland": "FI", "france": "FR", "germany": "DE", "greece": "GR",
    "hungary": "HU", "iceland": "IS", "india": "IN", "ireland": "IE",
    "israel": "IL", "italy": "IT", "japan": "JP", "latvia": "LV",
    "lithuania": "LT", "luxembourg": "LU", "malta": "MT", "mexico": "MX",
    "netherlands": "NL", "new zealand": "NZ", "norway": "NO", "poland": "PL",
    "portugal": "PT", "romania": "RO", "singapore": "SG", "slovakia": "SK",
    "slovenia": "SI", "south africa": "ZA", "south korea": "KR", "spain": "ES",
    "sweden": "SE", "switzerland": "CH", "united kingdom": "GB",
    "united states": "US", "united states of america": "US",
}  # fmt: skip

Flag = Annotated[bool, BeforeValidator(lambda value: str(value).lower() == "true")]


class _Shipping(PlatformModel):
    name: str | None = Field(
        default=None, validation_alias=AliasChoices("full_name", "name")
    )
    street: str | None = Field(
        default=None, validation_alias=AliasChoices("street_address", "street")
    )
    zip_code: str | None = None
    city: str | None = None
    state: str | None = None
    country: str | None = None


class _Sale(PlatformModel):
    sale_id: str
    sale_timestamp: AwareDatetime
    seller_id: str
    order_number: str | None = None
    product_id: str
    product_name: str
    product_permalink: str | None = None
    email: str | None = None
    full_name: str | None = None
    purchaser_id: str | None = None
    price: int = Field(ge=0)
    quantity: int = Field(default=1, gt=0)
    shipping_rate: int = Field(default=0, ge=0)
    can_contact: Flag | None = None
    refunded: Flag = False
    test: Flag = False
    shipping_information: _Shipping | None = None


def normalise(
    headers: Mapping[str, str], body: bytes, received_at: datetime
) -> Delivery | None:
    """The delivery a Gumroad ping brings; None for resources not about sales."""
    fields = _form(body)
    resource = fields.get("resource_name") or SALE
    if resource not in (SALE, REFUND):
        return None
    sale = read_fields(_Sale, fields)
    key = OrderKey(shop_id(Platform.GUMROAD, sale.seller_id), sale.sale_id)
    if resource == REFUND or sale.refunded:
        return _refund(key, sale, body, received_at)
    placed = _placed(key, sale)
    delivery_id = f"sale:{sale.sale_id}"
    return Delivery(Platform.GUMROAD, delivery_id, SALE, key, body, placed=placed)


def delivery_id(body: bytes) -> str | None:
    """The resource and sale that a ping names, for the log line of a rejection."""
    try:
        fields = _form(body)
    except MalformedBody:
        return None
    sale_id = fields.get("sale_id")
    if not isinstance(sale_id, str) or not sale_id:
        return None
    return f"{fields.get('resource_name') or SALE}:{sale_id}"


def _refund(key: OrderKey, sale: _Sale, body: bytes, received_at: datetime) -> Delivery:
    if not sale.refunded:
        # NOTE: Gumroad pings a partial refund as `refunded=false` and says
        # nothing of the amount. The ping is kept as it came; the refund in
        # full follows with `refunded=true` once the rest is refunded.
        delivery_id = f"partial-refund:{sale.sale_id}"
        return Delivery(Platform.GUMROAD, delivery_id, REFUND, key, body)
    refund = _refunded(key, sale, received_at)
    delivery_id = f"refund:{sale.sale_id}"
    return Delivery(Platform.GUMROAD, delivery_id, REFUND, key, body, changes=(refund,))


def _form(body: bytes) -> dict[str, Any]:
    """The form's fields; `a[b]=c` becomes {"a": {"b": "c"}}."""
    try:
        pairs = parse_qsl(body.decode(), keep_blank_values=True, strict_parsing=True)
    except (UnicodeDecodeError, ValueError):
        raise MalformedBody("the body is not a form") from None
    fields: dict[str, Any] = {}
    for name, value in without_nul(pairs):
        outer, _, inner = name.partition("[")
        if inner.endswith("]"):
            nested = fields.setdefault(outer, {})
            if isinstance(nested, dict):
                nested[inner[:-1]] = value
        else:
            fields[name] = value
    return fields


def _placed(key: OrderKey, sale: _Sale) -> OrderPlaced:
    price = from_minor_units(sale.price, CURRENCY)
    shipping = from_minor_units(sale.shipping_rate, CURRENCY)
    kind = LineKind.PHYSICAL if sale.shipping_information else LineKind.DIGITAL
    totals = OrderTotals(
        subtotal=price,
        discounts=Decimal(0),
        shipping=shipping,
        tax=Decimal(0),
        total=price + shipping,
        taxes_included=True,
    )
    first, _, last = (sale.full_name or "").strip().rpartition(" ")
    return build(
        OrderPlaced,
        shop_id=key.shop_id,
        order_id=key.order_id,
        platform=Platform.GUMROAD,
        platform_order_id=sale.sale_id,
        order_number=sale.order_number or sale.sale_id,
        placed_at=sale.sale_timestamp,
        currency=CURRENCY,
        customer={
            "platform_customer_id": text(sale.purchaser_id),
            "email": text(sale.email),
            "first_name": text(first) or text(last),
            "last_name": text(last) if first else None,
            "marketing_consent": sale.can_contact,
        },
        shipping_address=_address(sale.shipping_information),
        lines=[
            {
                "line_id": f"{sale.sale_id}:{sale.product_id}",
                "sku": text(sale.product_permalink),
                "title": sale.product_name,
                "quantity": sale.quantity,
                "unit_price": unit_price(price, sale.quantity),
                "total": price,
                "kind": kind,
                "product_id": sale.product_id,
            }
        ],
        shipping_lines=[{"title": "Shipping", "amount": shipping}] if shipping else [],
        totals=totals,
        financial_status=FinancialStatus.PAID,
        paid=True,
        payment_gateway="gumroad",
        test=sale.test,
    )


def _address(shipping: _Shipping | None) -> dict[str, Any] | None:
    if shipping is None:
        return None
    country = _COUNTRIES.get((shipping.country or "").strip().lower())
    if country is None:
        return None
    return {
        "name": text(shipping.name),
        "line1": text(shipping.street),
        "postal_code": text(shipping.zip_code),
        "city": text(shipping.city),
        "region": text(shipping.state),
        "country": country,
    }


def _refunded(key: OrderKey, sale: _Sale, received_at: datetime) -> OrderRefunded:
    amount = from_minor_units(sale.price + sale.shipping_rate, CURRENCY)
    return build(
        OrderRefunded,
        shop_id=key.shop_id,
        order_id=key.order_id,
        platform_order_id=sale.sale_id,
        refund_id=f"{sale.sale_id}:refund",
        refunded_at=received_at,
        amount=amount,
        currency=CURRENCY,
        full=True,
    )
