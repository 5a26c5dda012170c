"""Stripe Checkout's events, normalised.

`checkout.session.completed` places an order (paid, or waiting for an
asynchronous payment); `checkout.session.async_payment_succeeded` marks it
paid and `..._failed` cancels it; `refund.created`, and `charge.refunded`
when it lists its refunds, refund it. Other events are acknowledged and
ignored. The event id is the delivery id.

An order is known by its payment intent (what a refund names) or, for a
session without one, by the session id. Stripe leaves a session's line
items out of its events unless they were expanded; without them the order
has one line for the whole session.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from pydantic import Field

from orderflow.contracts import (
    FinancialStatus,
    LineKind,
    OrderCancelled,
    OrderPlaced,
    OrderRefunded,
    OrderTotals,
    OrderUpdated,
    Platform,
    from_minor_units,
    shop_id,
)
from orderflow.orders.domain.deliveries import Change, Delivery, Normalise, OrderKey
from orderflow.orders.domain.payloads import (
    PlatformModel,
    build,
    read_fields,
    read_json,
    text,
)

PLACING = "checkout.session.completed"
PAYING = "checkout.session.async_payment_succeeded"
FAILING = "checkout.session.async_payment_failed"
REFUNDING = {"refund.created", "charge.refunded"}
_PAID = {"paid", "no_payment_required"}
_OBJECT = "data.object"


class _Address(PlatformModel):
    line1: str | None = None
    line2: str | None = None
    postal_code: str | None = None
    city: str | None = None
    state: str | None = None
    country: str | None = None


class _TaxId(PlatformModel):
    type: str
    value: str


class _CustomerDetails(PlatformModel):
    email: str | None = None
    name: str | None = None
    individual_name: str | None = None
    business_name: str | None = None
    phone: str | None = None
    address: _Address | None = None
    tax_ids: list[_TaxId] = []


class _Shipping(PlatformModel):
    name: str | None = None
    address: _Address | None = None


class _Collected(PlatformModel):
    shipping_details: _Shipping | None = None


class _TotalDetails(PlatformModel):
    amount_discount: int = 0
    amount_shipping: int = 0
    amount_tax: int = 0


class _Rate(PlatformModel):
    display_name: str = "Tax"
    percentage: Decimal = Decimal(0)


class _LineTax(PlatformModel):
    amount: int
    rate: _Rate


class _Price(PlatformModel):
    id: str | None = None
    unit_amount: int | None = None
    product: str | dict[str, Any] | None = None


class _LineItem(PlatformModel):
    id: str
    description: str | None = None
    quantity: int = Field(default=1, gt=0)
    amount_subtotal: int
    amount_discount: int = 0
    price: _Price | None = None
    taxes: list[_LineTax] = []


class _LineItems(PlatformModel):
    data: list[_LineItem] = []


class _Session(PlatformModel):
    id: str
    created: int
    currency: str
    amount_subtotal: int
    amount_total: int
    customer: str | None = None
    customer_details: _CustomerDetails | None = None
    shipping_details: _Shipping | None = None
    collected_information: _Collected | None = None
    total_details: _TotalDetails = _TotalDetails()
    payment_status: str
    payment_intent: str | None = None
    client_reference_id: str | None = None
    locale: str | None = None
    livemode: bool = False
    metadata: dict[str, str] = {}
    line_items: _LineItems | None = None

    @property
    def order_ref(self) -> str:
        return self.payment_intent or self.id

    def shipping(self) -> _Shipping | None:
        collected = self.collected_information
        if collected and collected.shipping_details:
            return collected.shipping_details
        return self.shipping_details


class _Refund(PlatformModel):
    id: str
    amount: int
    currency: str
    payment_intent: str | None = None
    created: int
    reason: str | None = None
    status: str | None = None


class _Refunds(PlatformModel):
    data: list[_Refund] = []


class _Charge(PlatformModel):
    id: str
    payment_intent: str | None = None
    refunds: _Refunds | None = None


class _Data(PlatformModel):
    object: dict[str, Any]


class _Event(PlatformModel):
    id: str
    type: str
    created: int
    account: str | None = None
    data: _Data


def event_id(body: bytes) -> str | None:
    """The event id that a body names, for the log line of a rejected delivery."""
    try:
        event = json.loads(body)
    except ValueError:
        return None
    found = event.get("id") if isinstance(event, dict) else None
    return found if isinstance(found, str) else None


def normalise_for(account: str) -> Normalise:
    """The normaliser of a Stripe account (named when events carry none)."""

    def normalise(
        headers: Mapping[str, str], body: bytes, _: datetime
    ) -> Delivery | None:
        event = read_json(_Event, body)
        shop = shop_id(Platform.STRIPE, event.account or account)
        return _delivery(event, shop, body)

    return normalise


def _delivery(event: _Event, shop: str, body: bytes) -> Delivery | None:
    if event.type in (PLACING, PAYING, FAILING):
        session = read_fields(_Session, event.data.object, at=_OBJECT)
        key = OrderKey(shop, session.order_ref)
        if event.type == PLACING:
            placed = _placed(key, session)
            return Delivery(
                Platform.STRIPE, event.id, event.type, key, body, placed=placed
            )
        change = _payment_settled(key, session, event)
        return Delivery(
            Platform.STRIPE, event.id, event.type, key, body, changes=(change,)
        )
    if event.type in REFUNDING:
        refunds = _refunds(event)
        if not refunds or refunds[0].payment_intent is None:
            return None
        key = OrderKey(shop, refunds[0].payment_intent)
        changes = tuple(_refunded(key, refund) for refund in refunds)
        return Delivery(
            Platform.STRIPE, event.id, event.type, key, body, changes=changes
        )
    return None


def _placed(key: OrderKey, session: _Session) -> OrderPlaced:
    currency = session.currency.upper()
    amounts = session.total_details
    tax = _money(amounts.amount_tax, currency)
    subtotal = _money(session.amount_subtotal, currency)
    discounts = _money(amounts.amount_discount, currency)
    shipping = _money(amounts.amount_shipping, currency)
    grand_total = _money(session.amount_total, currency)
    totals = OrderTotals(
        subtotal=subtotal,
        discounts=discounts,
        shipping=shipping,
        tax=tax,
        total=grand_total,
        taxes_included=tax > 0 and subtotal - discounts + shipping == grand_total,
    )
    kind = LineKind.PHYSICAL if session.shipping() else LineKind.DIGITAL
    return build(
        OrderPlaced,
        shop_id=key.shop_id,
        order_id=key.order_id,
        platform=Platform.STRIPE,
        platform_order_id=session.order_ref,
        order_number=session.metadata.get("order_number")
        or session.client_reference_id
        or session.id,
        placed_at=datetime.fromtimestamp(session.created, UTC),
        currency=currency,
        customer=_customer(session),
        billing_address=_address(_billing(session)),
        shipping_address=_address(session.shipping()),
        lines=_lines(session, currency, kind),
        shipping_lines=[{"title": "Shipping", "amount": shipping}] if shipping else [],
        discounts=[{"title": "Stripe discount", "amount": discounts}]
        if discounts
        else [],
        totals=totals,
        totals_mismatch=not totals.adds_up(),
        financial_status=FinancialStatus.PAID
        if session.payment_status in _PAID
        else FinancialStatus.PENDING,
        paid=session.payment_status in _PAID,
        payment_gateway="stripe",
        payment_reference=session.payment_intent,
        test=not session.livemode,
    )


def _lines(session: _Session, currency: str, kind: LineKind) -> list[dict[str, Any]]:
    items = session.line_items.data if session.line_items else []
    if not items:
        return [
            {
                "line_id": session.id,
                "title": session.metadata.get("title") or "Stripe Checkout",
                "quantity": 1,
                "unit_price": _money(session.amount_subtotal, currency),
                "total": _money(session.amount_subtotal, currency),
                "kind": kind,
            }
        ]
    return [_line(item, currency, kind) for item in items]


def _line(item: _LineItem, currency: str, kind: LineKind) -> dict[str, Any]:
    price = item.price or _Price()
    unit = price.unit_amount
    if unit is None:
        unit = item.amount_subtotal // item.quantity
    product = price.product
    return {
        "line_id": item.id,
        "sku": price.id,
        "title": item.description or "Item",
        "quantity": item.quantity,
        "unit_price": _money(unit, currency),
        "discount": _money(item.amount_discount, currency),
        "taxes": [
            {
                "title": tax.rate.display_name,
                "rate": tax.rate.percentage / 100,
                "amount": _money(tax.amount, currency),
            }
            for tax in item.taxes
        ],
        "total": _money(item.amount_subtotal - item.amount_discount, currency),
        "kind": kind,
        "product_id": product if isinstance(product, str) else None,
    }


def _customer(session: _Session) -> dict[str, Any]:
    details = session.customer_details or _CustomerDetails()
    name = details.individual_name or details.name or ""
    first, _, last = name.strip().rpartition(" ")
    vat = next((t.value for t in details.tax_ids if t.type.endswith("_vat")), None)
    locale = session.locale if session.locale not in (None, "auto") else None
    return {
        "platform_customer_id": session.customer,
        "email": text(details.email),
        "first_name": text(first) or text(last),
        "last_name": text(last) if first else None,
        "company": text(details.business_name),
        "vat_id": vat,
        "phone": text(details.phone),
        "locale": locale,
    }


def _billing(session: _Session) -> _Shipping | None:
    details = session.customer_details
    if details is None or details.address is None:
        return None
    return _Shipping(name=details.name, address=details.address)


def _address(place: _Shipping | None) -> dict[str, Any] | None:
    if place is None or place.address is None or not place.address.country:
        return None
    address = place.address
    return {
        "name": text(place.name),
        "line1": text(address.line1),
        "line2": text(address.line2),
        "postal_code": text(address.postal_code),
        "city": text(address.city),
        "region": text(address.state),
        "country": (address.country or "").upper(),
    }


def _payment_settled(key: OrderKey, session: _Session, event: _Event) -> Change:
    settled_at = datetime.fromtimestamp(event.created, UTC)
    if event.type == FAILING:
        return build(
            OrderCancelled,
            shop_id=key.shop_id,
            order_id=key.order_id,
            platform_order_id=session.order_ref,
            cancelled_at=settled_at,
            reason="payment_failed",
        )
    return build(
        OrderUpdated,
        shop_id=key.shop_id,
        order_id=key.order_id,
        platform_order_id=session.order_ref,
        updated_at=settled_at,
        financial_status=FinancialStatus.PAID,
        paid=True,
    )


def _refunds(event: _Event) -> list[_Refund]:
    if event.type == "refund.created":
        refund = read_fields(_Refund, event.data.object, at=_OBJECT)
        return [] if refund.status in ("failed", "canceled") else [refund]
    charge = read_fields(_Charge, event.data.object, at=_OBJECT)
    refunds = charge.refunds.data if charge.refunds else []
    return [r for r in refunds if r.status not in ("failed", "canceled")]


def _refunded(key: OrderKey, refund: _Refund) -> OrderRefunded:
    currency = refund.currency.upper()
    return build(
        OrderRefunded,
        shop_id=key.shop_id,
        order_id=key.order_id,
        platform_order_id=key.platform_order_id,
        refund_id=refund.id,
        refunded_at=datetime.fromtimestamp(refund.created, UTC),
        amount=_money(refund.amount, currency),
        currency=currency,
        reason=text(refund.reason),
        full=False,
    )


def _money(minor_units: int, currency: str) -> Decimal:
    return from_minor_units(minor_units, currency)
