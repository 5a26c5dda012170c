"""WooCommerce's order webhooks, normalised.

Topics: `order.created` places an order; `order.updated` updates it, and
also cancels it when its status became `cancelled` and refunds it once for
each refund it lists that was not applied yet. Other topics are
acknowledged and ignored. WooCommerce's creation ping (`webhook_id=<n>`,
unsigned) is answered without storing anything.

WooCommerce keeps line, fee, discount and shipping figures without tax even
when the shop enters prices with tax, so its totals are reported as tax
added. A fee (a surcharge, gift wrapping) is a line of its own; a negative
fee is a discount. Order lines do not say whether a product is virtual: an
order with shipping lines has physical lines, one without has digital lines.
The customer's VAT number and language come from the order's meta data, as
the common EU VAT plugins and WPML store them.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated, Any
from urllib.parse import urlsplit

from pydantic import AfterValidator, BeforeValidator, Field

from orderflow.contracts import (
    FinancialStatus,
    LineKind,
    OrderCancelled,
    OrderPlaced,
    OrderRefunded,
    OrderTotals,
    Platform,
    shop_id,
)
from orderflow.orders.domain.deliveries import Change, Delivery, OrderKey
from orderflow.orders.domain.payloads import (
    PlatformModel,
    build,
    read_json,
    text,
    total,
    unit_price,
    update_from,
)
from orderflow.orders.errors import PayloadMisfit

PLACING = "order.created"
UPDATING = "order.updated"
_PING = re.compile(rb"^webhook_id=\d+$")
_VAT_KEY = re.compile(r"(^|_)vat(_?(number|id|no))?$")
_LANGUAGE_KEY = "wpml_language"
_PAID_STATUSES = {"processing", "completed", "refunded"}
_PAID = {
    FinancialStatus.PAID,
    FinancialStatus.PARTIALLY_REFUNDED,
    FinancialStatus.REFUNDED,
}


def _as_utc(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


Money = Annotated[Decimal, BeforeValidator(lambda value: value or "0")]
GmtTime = Annotated[datetime, AfterValidator(_as_utc)]


class _Address(PlatformModel):
    first_name: str | None = None
    last_name: str | None = None
    company: str | None = None
    address_1: str | None = None
    address_2: str | None = None
    city: str | None = None
    state: str | None = None
    postcode: str | None = None
    country: str | None = None
    email: str | None = None
    phone: str | None = None


class _LineTax(PlatformModel):
    id: str
    total: Money = Decimal(0)


class _LineItem(PlatformModel):
    id: str
    name: str
    product_id: str | None = None
    variation_id: str | None = None
    sku: str | None = None
    quantity: int = Field(gt=0)
    subtotal: Money
    total: Money
    taxes: list[_LineTax] = []


class _TaxRate(PlatformModel):
    rate_id: str
    label: str
    rate_percent: Decimal | None = None


class _ShippingLine(PlatformModel):
    id: str
    method_title: str
    method_id: str | None = None
    total: Money
    taxes: list[_LineTax] = []


class _Fee(PlatformModel):
    id: str
    name: str
    total: Money
    taxes: list[_LineTax] = []


class _Coupon(PlatformModel):
    code: str
    discount: Money


class _Refund(PlatformModel):
    id: str
    total: Decimal
    reason: str | None = None


class _Meta(PlatformModel):
    key: str
    value: Any = None


class _Order(PlatformModel):
    id: str
    number: str | None = None
    status: str
    currency: str
    date_created_gmt: GmtTime
    date_modified_gmt: GmtTime | None = None
    date_paid_gmt: GmtTime | None = None
    discount_total: Money = Decimal(0)
    shipping_total: Money = Decimal(0)
    total_tax: Money = Decimal(0)
    total: Money
    customer_id: str | None = None
    customer_note: str | None = None
    billing: _Address = _Address()
    shipping: _Address = _Address()
    payment_method: str | None = None
    payment_method_title: str | None = None
    transaction_id: str | None = None
    line_items: list[_LineItem] = Field(min_length=1)
    tax_lines: list[_TaxRate] = []
    shipping_lines: list[_ShippingLine] = []
    fee_lines: list[_Fee] = []
    coupon_lines: list[_Coupon] = []
    refunds: list[_Refund] = []
    meta_data: list[_Meta] = []


def is_ping(headers: Mapping[str, str], body: bytes) -> bool:
    """Whether this is the unsigned ping WooCommerce sends on creating a webhook."""
    return "x-wc-webhook-topic" not in headers and bool(_PING.match(body.strip()))


def normalise(headers: Mapping[str, str], body: bytes, _: datetime) -> Delivery | None:
    """The delivery a WooCommerce webhook brings; None for other topics."""
    topic = _header(headers, "x-wc-webhook-topic")
    if topic not in (PLACING, UPDATING):
        return None
    source = urlsplit(_header(headers, "x-wc-webhook-source"))
    shop = shop_id(Platform.WOOCOMMERCE, source.hostname or source.path.strip("/"))
    delivery_id = _delivery_id(headers, body)
    order = read_json(_Order, body)
    key = OrderKey(shop, order.id)
    placed = _placed(key, order)
    if topic == PLACING:
        return Delivery(
            Platform.WOOCOMMERCE,
            delivery_id,
            topic,
            key,
            body,
            placed=placed,
            placed_as_of=order.date_modified_gmt,
        )
    changes = _changes(key, order, placed)
    return Delivery(
        Platform.WOOCOMMERCE, delivery_id, topic, key, body, changes=changes
    )


def _delivery_id(headers: Mapping[str, str], body: bytes) -> str:
    # NOTE: WooCommerce derives a delivery id from the webhook and the second
    # it was sent in, so two orders sent within one second share it. With a
    # digest of the body a delivery sent again is still one delivery, and two
    # deliveries that share an id are still two.
    digest = hashlib.sha256(body).hexdigest()[:16]
    return f"{_header(headers, 'x-wc-webhook-delivery-id')}:{digest}"


def _header(headers: Mapping[str, str], name: str) -> str:
    value = headers.get(name, "").strip()
    if not value:
        raise PayloadMisfit([(f"header {name}", "missing")])
    return value


def _placed(key: OrderKey, order: _Order) -> OrderPlaced:
    rates = {rate.rate_id: rate for rate in order.tax_lines}
    kind = LineKind.PHYSICAL if order.shipping_lines else LineKind.DIGITAL
    fees = [fee for fee in order.fee_lines if fee.total > 0]
    credits = [fee for fee in order.fee_lines if fee.total < 0]
    totals = OrderTotals(
        subtotal=total(item.subtotal for item in order.line_items)
        + total(fee.total for fee in fees),
        discounts=order.discount_total - total(fee.total for fee in credits),
        shipping=order.shipping_total,
        tax=order.total_tax,
        total=order.total,
        taxes_included=False,
    )
    status = _financial_status(order)
    return build(
        OrderPlaced,
        shop_id=key.shop_id,
        order_id=key.order_id,
        platform=Platform.WOOCOMMERCE,
        platform_order_id=order.id,
        order_number=order.number or order.id,
        placed_at=order.date_created_gmt,
        currency=order.currency,
        customer=_customer(order),
        billing_address=_address(order.billing),
        shipping_address=_address(order.shipping),
        lines=[_line(item, rates, kind) for item in order.line_items]
        + [_fee_line(fee, rates, kind) for fee in fees],
        discounts=[
            {"code": coupon.code, "amount": coupon.discount}
            for coupon in order.coupon_lines
        ]
        + [{"title": fee.name, "amount": -fee.total} for fee in credits],
        shipping_lines=[
            {
                "title": line.method_title,
                "code": text(line.method_id),
                "amount": line.total,
                "taxes": _taxes(line.taxes, rates),
            }
            for line in order.shipping_lines
        ],
        totals=totals,
        totals_mismatch=not totals.adds_up(),
        financial_status=status,
        paid=status in _PAID,
        payment_gateway=text(order.payment_method_title) or text(order.payment_method),
        payment_reference=text(order.transaction_id),
        note=text(order.customer_note),
    )


def _line(
    item: _LineItem, rates: dict[str, _TaxRate], kind: LineKind
) -> dict[str, Any]:
    return {
        "line_id": item.id,
        "sku": text(item.sku),
        "title": item.name,
        "quantity": item.quantity,
        "unit_price": unit_price(item.subtotal, item.quantity),
        "discount": item.subtotal - item.total,
        "taxes": _taxes(item.taxes, rates),
        "total": item.total,
        "kind": kind,
        "product_id": item.product_id,
        "variant_id": item.variation_id if item.variation_id != "0" else None,
    }


def _fee_line(fee: _Fee, rates: dict[str, _TaxRate], kind: LineKind) -> dict[str, Any]:
    return {
        "line_id": f"fee:{fee.id}",
        "title": fee.name,
        "quantity": 1,
        "unit_price": fee.total,
        "taxes": _taxes(fee.taxes, rates),
        "total": fee.total,
        "kind": kind,
    }


def _taxes(taxes: list[_LineTax], rates: dict[str, _TaxRate]) -> list[dict[str, Any]]:
    result = []
    for tax in taxes:
        rate = rates.get(tax.id)
        if rate is None or tax.total == 0:
            continue
        percent = rate.rate_percent or Decimal(0)
        result.append({"title": rate.label, "rate": percent / 100, "amount": tax.total})
    return result


def _customer(order: _Order) -> dict[str, Any]:
    billing = order.billing
    return {
        "platform_customer_id": order.customer_id
        if order.customer_id not in (None, "0")
        else None,
        "email": text(billing.email),
        "first_name": text(billing.first_name),
        "last_name": text(billing.last_name),
        "company": text(billing.company),
        "vat_id": _vat_id(order.meta_data),
        "phone": text(billing.phone),
        "locale": _meta_text(order.meta_data, _LANGUAGE_KEY),
    }


def _vat_id(meta: list[_Meta]) -> str | None:
    for entry in meta:
        name = re.sub(r"[\s-]+", "_", entry.key.strip().strip("_").lower())
        value = text(entry.value) if isinstance(entry.value, str) else None
        if value and _VAT_KEY.search(name):
            return value
    return None


def _meta_text(meta: list[_Meta], key: str) -> str | None:
    for entry in meta:
        if entry.key == key and isinstance(entry.value, str):
            return text(entry.value)
    return None


def _address(address: _Address) -> dict[str, Any] | None:
    if not text(address.country):
        return None
    name = " ".join(filter(None, (address.first_name, address.last_name)))
    return {
        "name": text(name),
        "company": text(address.company),
        "line1": text(address.address_1),
        "line2": text(address.address_2),
        "postal_code": text(address.postcode),
        "city": text(address.city),
        "region": text(address.state),
        "country": (address.country or "").upper(),
    }


def _financial_status(order: _Order) -> FinancialStatus:
    if order.status == "refunded":
        return FinancialStatus.REFUNDED
    if order.status == "cancelled" and order.date_paid_gmt is None:
        return FinancialStatus.VOIDED
    if order.date_paid_gmt is None and order.status not in _PAID_STATUSES:
        return FinancialStatus.PENDING
    if order.refunds:
        return FinancialStatus.PARTIALLY_REFUNDED
    return FinancialStatus.PAID


def _changes(key: OrderKey, order: _Order, placed: OrderPlaced) -> tuple[Change, ...]:
    stamp = order.date_modified_gmt or order.date_created_gmt
    changes: list[Change] = [update_from(placed, stamp)]
    if order.status == "cancelled":
        changes.append(
            build(
                OrderCancelled,
                shop_id=key.shop_id,
                order_id=key.order_id,
                platform_order_id=order.id,
                cancelled_at=stamp,
            )
        )
    changes.extend(
        build(
            OrderRefunded,
            shop_id=key.shop_id,
            order_id=key.order_id,
            platform_order_id=order.id,
            refund_id=refund.id,
            refunded_at=stamp,
            amount=abs(refund.total),
            currency=order.currency,
            reason=text(refund.reason),
            full=False,
        )
        for refund in order.refunds
    )
    return tuple(changes)
