"""Shopify's order webhooks, normalised.

Topics: `orders/create` places an order; `orders/updated`, `orders/paid` and
the fulfilment topics update it; `orders/cancelled` cancels it;
`refunds/create` refunds it. Other topics are acknowledged and ignored.
Duplicates are recognised by `X-Shopify-Event-Id` (the same for every
delivery of an event), or `X-Shopify-Webhook-Id` where that is missing.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

from pydantic import AwareDatetime, Field

from orderflow.contracts import (
    FinancialStatus,
    LineKind,
    OrderCancelled,
    OrderPlaced,
    OrderRefunded,
    OrderTotals,
    Platform,
    RefundedLine,
    shop_id,
)
from orderflow.orders.domain.deliveries import Delivery, OrderKey
from orderflow.orders.domain.payloads import (
    PlatformModel,
    build,
    read_json,
    text,
    total,
    update_from,
)
from orderflow.orders.errors import PayloadMisfit

PLACING = {"orders/create"}
UPDATING = {
    "orders/updated",
    "orders/paid",
    "orders/fulfilled",
    "orders/partially_fulfilled",
}
CANCELLING = {"orders/cancelled"}
REFUNDING = {"refunds/create"}
_PAID = {"paid", "partially_refunded", "refunded"}
_VAT_ATTRIBUTES = {"vat", "vat id", "vat_id", "vat number", "vat_number", "ust-idnr"}


class _TaxLine(PlatformModel):
    title: str
    price: Decimal
    rate: Decimal


class _Allocation(PlatformModel):
    amount: Decimal


class _LineItem(PlatformModel):
    id: str
    product_id: str | None = None
    variant_id: str | None = None
    title: str
    sku: str | None = None
    quantity: int = Field(gt=0)
    price: Decimal
    total_discount: Decimal = Decimal(0)
    discount_allocations: list[_Allocation] = []
    tax_lines: list[_TaxLine] = []
    requires_shipping: bool = True

    def discount(self) -> Decimal:
        if self.discount_allocations:
            return total(a.amount for a in self.discount_allocations)
        return self.total_discount


class _ShippingLine(PlatformModel):
    title: str
    code: str | None = None
    price: Decimal
    discounted_price: Decimal | None = None
    discount_allocations: list[_Allocation] = []
    tax_lines: list[_TaxLine] = []

    def amount(self) -> Decimal:
        if self.discounted_price is not None:
            return self.discounted_price
        return self.price - total(a.amount for a in self.discount_allocations)


class _Address(PlatformModel):
    name: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    company: str | None = None
    address1: str | None = None
    address2: str | None = None
    zip: str | None = None
    city: str | None = None
    province: str | None = None
    province_code: str | None = None
    country_code: str | None = None


class _Consent(PlatformModel):
    state: str | None = None


class _Customer(PlatformModel):
    id: str | None = None
    email: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    phone: str | None = None
    email_marketing_consent: _Consent | None = None


class _DiscountCode(PlatformModel):
    code: str | None = None
    amount: Decimal


class _Attribute(PlatformModel):
    name: str
    value: str | None = None


class _Order(PlatformModel):
    id: str
    name: str
    email: str | None = None
    contact_email: str | None = None
    phone: str | None = None
    created_at: AwareDatetime
    processed_at: AwareDatetime | None = None
    updated_at: AwareDatetime | None = None
    cancelled_at: AwareDatetime | None = None
    cancel_reason: str | None = None
    currency: str
    total_price: Decimal
    total_line_items_price: Decimal | None = None
    total_discounts: Decimal = Decimal(0)
    total_tax: Decimal = Decimal(0)
    taxes_included: bool = False
    financial_status: str | None = None
    customer: _Customer | None = None
    customer_locale: str | None = None
    billing_address: _Address | None = None
    shipping_address: _Address | None = None
    line_items: list[_LineItem] = Field(min_length=1)
    shipping_lines: list[_ShippingLine] = []
    discount_codes: list[_DiscountCode] = []
    note_attributes: list[_Attribute] = []
    payment_gateway_names: list[str] = []
    note: str | None = None
    tags: str = ""
    test: bool = False


class _RefundLine(PlatformModel):
    line_item_id: str
    quantity: int = Field(gt=0)
    subtotal: Decimal = Decimal(0)
    total_tax: Decimal = Decimal(0)


class _Transaction(PlatformModel):
    amount: Decimal
    currency: str | None = None
    kind: str
    status: str | None = None


class _Adjustment(PlatformModel):
    amount: Decimal
    tax_amount: Decimal = Decimal(0)
    kind: str | None = None


class _Money(PlatformModel):
    amount: Decimal


class _MoneySet(PlatformModel):
    shop_money: _Money


class _RefundShippingLine(PlatformModel):
    subtotal_amount_set: _MoneySet
    tax_amount_set: _MoneySet | None = None

    def amount(self) -> Decimal:
        tax = self.tax_amount_set.shop_money.amount if self.tax_amount_set else 0
        return self.subtotal_amount_set.shop_money.amount + tax


class _Refund(PlatformModel):
    id: str
    order_id: str
    created_at: AwareDatetime
    processed_at: AwareDatetime | None = None
    note: str | None = None
    refund_line_items: list[_RefundLine] = []
    refund_shipping_lines: list[_RefundShippingLine] = []
    transactions: list[_Transaction] = []
    order_adjustments: list[_Adjustment] = []

    def shipping(self) -> Decimal:
        """The shipping refunded, tax included.

        API versions from 2024-10 name it in `refund_shipping_lines`; older
        ones as order adjustments of kind `shipping_refund`.
        """
        if self.refund_shipping_lines:
            return total(line.amount() for line in self.refund_shipping_lines)
        return total(
            -(a.amount + a.tax_amount)
            for a in self.order_adjustments
            if a.kind == "shipping_refund"
        )


def normalise(headers: Mapping[str, str], body: bytes, _: datetime) -> Delivery | None:
    """The delivery a Shopify webhook brings; None for a topic not about orders."""
    topic = _header(headers, "x-shopify-topic")
    shop = shop_id(Platform.SHOPIFY, _header(headers, "x-shopify-shop-domain"))
    delivery_id = headers.get("x-shopify-event-id") or _header(
        headers, "x-shopify-webhook-id"
    )
    if topic in REFUNDING:
        refund = read_json(_Refund, body)
        key = OrderKey(shop, refund.order_id)
        changes = (_refunded(key, refund),) if _money_moved(refund) else ()
        return Delivery(
            Platform.SHOPIFY, delivery_id, topic, key, body, changes=changes
        )
    if topic not in PLACING | UPDATING | CANCELLING:
        return None
    order = read_json(_Order, body)
    key = OrderKey(shop, order.id)
    placed = _placed(key, order)
    if topic in PLACING:
        return Delivery(
            Platform.SHOPIFY,
            delivery_id,
            topic,
            key,
            body,
            placed=placed,
            placed_as_of=order.updated_at,
        )
    if topic in CANCELLING:
        change = _cancelled(key, order)
        return Delivery(
            Platform.SHOPIFY, delivery_id, topic, key, body, changes=(change,)
        )
    updated_at = order.updated_at or order.created_at
    update = update_from(placed, updated_at)
    return Delivery(Platform.SHOPIFY, delivery_id, topic, key, body, changes=(update,))


def _header(headers: Mapping[str, str], name: str) -> str:
    value = headers.get(name, "").strip()
    if not value:
        raise PayloadMisfit([(f"header {name}", "missing")])
    return value


def _placed(key: OrderKey, order: _Order) -> OrderPlaced:
    # NOTE: the order is built from plain values and validated once, which
    # costs a third of building each line and tax as a model of its own.
    lines = [_line(item) for item in order.line_items]
    shipping = [_shipping(line) for line in order.shipping_lines]
    line_discounts = total(line["discount"] for line in lines)
    totals = OrderTotals(
        subtotal=order.total_line_items_price
        or total(item.price * item.quantity for item in order.line_items),
        discounts=line_discounts or order.total_discounts,
        shipping=total(line["amount"] for line in shipping),
        tax=order.total_tax,
        total=order.total_price,
        taxes_included=order.taxes_included,
    )
    return build(
        OrderPlaced,
        shop_id=key.shop_id,
        order_id=key.order_id,
        platform=Platform.SHOPIFY,
        platform_order_id=order.id,
        order_number=order.name,
        placed_at=order.processed_at or order.created_at,
        currency=order.currency,
        customer=_customer(order),
        billing_address=_address(order.billing_address),
        shipping_address=_address(order.shipping_address),
        lines=lines,
        discounts=[
            {"code": text(code.code), "amount": code.amount}
            for code in order.discount_codes
        ],
        shipping_lines=shipping,
        totals=totals,
        totals_mismatch=not totals.adds_up(),
        financial_status=_financial_status(order.financial_status),
        paid=order.financial_status in _PAID,
        payment_gateway=next(iter(order.payment_gateway_names), None),
        note=text(order.note),
        tags=[tag.strip() for tag in order.tags.split(",") if tag.strip()],
        test=order.test,
    )


def _line(item: _LineItem) -> dict[str, Any]:
    discount = item.discount()
    return {
        "line_id": item.id,
        "sku": text(item.sku),
        "title": item.title,
        "quantity": item.quantity,
        "unit_price": item.price,
        "discount": discount,
        "taxes": [_tax(tax) for tax in item.tax_lines],
        "total": item.price * item.quantity - discount,
        "kind": LineKind.PHYSICAL if item.requires_shipping else LineKind.DIGITAL,
        "product_id": item.product_id,
        "variant_id": item.variant_id,
    }


def _shipping(line: _ShippingLine) -> dict[str, Any]:
    return {
        "title": line.title,
        "code": text(line.code),
        "amount": line.amount(),
        "taxes": [_tax(tax) for tax in line.tax_lines],
    }


def _tax(tax: _TaxLine) -> dict[str, Any]:
    return {"title": tax.title, "rate": tax.rate, "amount": tax.price}


def _customer(order: _Order) -> dict[str, Any]:
    customer = order.customer or _Customer()
    billing = order.billing_address or _Address()
    consent = customer.email_marketing_consent
    return {
        "platform_customer_id": customer.id,
        "email": text(order.email) or text(customer.email) or text(order.contact_email),
        "first_name": text(customer.first_name) or text(billing.first_name),
        "last_name": text(customer.last_name) or text(billing.last_name),
        "company": text(billing.company),
        "vat_id": _vat_id(order.note_attributes),
        "phone": text(customer.phone) or text(order.phone),
        "locale": text(order.customer_locale),
        "marketing_consent": consent.state == "subscribed" if consent else None,
    }


def _vat_id(attributes: list[_Attribute]) -> str | None:
    for attribute in attributes:
        if attribute.name.strip().lower() in _VAT_ATTRIBUTES:
            return text(attribute.value)
    return None


def _address(address: _Address | None) -> dict[str, Any] | None:
    if address is None or not address.country_code:
        return None
    name = text(address.name) or text(
        " ".join(filter(None, (address.first_name, address.last_name)))
    )
    return {
        "name": name,
        "company": text(address.company),
        "line1": text(address.address1),
        "line2": text(address.address2),
        "postal_code": text(address.zip),
        "city": text(address.city),
        "region": text(address.province_code) or text(address.province),
        "country": address.country_code.upper(),
    }


def _financial_status(status: str | None) -> FinancialStatus:
    try:
        return FinancialStatus(status or "pending")
    except ValueError:
        return FinancialStatus.PENDING


def _cancelled(key: OrderKey, order: _Order) -> OrderCancelled:
    return build(
        OrderCancelled,
        shop_id=key.shop_id,
        order_id=key.order_id,
        platform_order_id=order.id,
        cancelled_at=order.cancelled_at or order.updated_at or order.created_at,
        reason=text(order.cancel_reason),
    )


def _money_moved(refund: _Refund) -> bool:
    return any(_is_refund(t) for t in refund.transactions)


def _is_refund(transaction: _Transaction) -> bool:
    return transaction.kind == "refund" and transaction.status in (None, "success")


def _refunded(key: OrderKey, refund: _Refund) -> OrderRefunded:
    transactions = [t for t in refund.transactions if _is_refund(t)]
    return build(
        OrderRefunded,
        shop_id=key.shop_id,
        order_id=key.order_id,
        platform_order_id=refund.order_id,
        refund_id=refund.id,
        refunded_at=refund.processed_at or refund.created_at,
        amount=total(t.amount for t in transactions),
        currency=transactions[0].currency,
        lines=tuple(
            RefundedLine(
                line_id=line.line_item_id,
                quantity=line.quantity,
                amount=line.subtotal + line.total_tax,
            )
            for line in refund.refund_line_items
        ),
        shipping=max(refund.shipping(), Decimal(0)),
        reason=text(refund.note),
        full=False,
    )
