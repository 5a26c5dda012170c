"""Step 1, orders: what the shop platforms report about an order.

`OrderPlaced` is the richest event in the system: crm, billing and
fulfillment each take what they need from it and never ask the platform
again. Amounts are the platform's own figures, in the order's currency and
tax basis; when they do not add up the orders service still publishes them
and sets `totals_mismatch`.
"""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum
from typing import ClassVar, Self

from pydantic import AwareDatetime, Field, model_validator

from orderflow.contracts.money import Amount, Currency, TaxRate
from orderflow.contracts.values import (
    Address,
    Customer,
    Identifier,
    LineKind,
    OrderEvent,
    Platform,
    Quantity,
    ValueModel,
    platform_of,
)


class FinancialStatus(StrEnum):
    """Where the order's payment stands at the platform."""

    PENDING = "pending"
    AUTHORIZED = "authorized"
    PARTIALLY_PAID = "partially_paid"
    PAID = "paid"
    PARTIALLY_REFUNDED = "partially_refunded"
    REFUNDED = "refunded"
    VOIDED = "voided"


class TaxLine(ValueModel):
    """One tax charged on a line or on shipping."""

    title: str = Field(description="The tax's name at the platform, e.g. VAT.")
    rate: TaxRate
    amount: Amount


class Discount(ValueModel):
    """A discount on the order's goods (shipping discounts lower `shipping`)."""

    code: str | None = Field(default=None, description="The code the customer used.")
    title: str | None = None
    amount: Amount


class ShippingLine(ValueModel):
    """One shipping charge, after any shipping discount."""

    title: str
    code: str | None = Field(
        default=None, description="The platform's or carrier's code for the rate."
    )
    amount: Amount
    taxes: tuple[TaxLine, ...] = ()


class OrderLine(ValueModel):
    """One product bought, in some quantity."""

    line_id: Identifier = Field(description="The platform's id of this line.")
    sku: str | None = None
    title: str
    quantity: Quantity
    unit_price: Amount
    discount: Amount = Field(
        default=Decimal(0), description="Discount on this line, all units together."
    )
    taxes: tuple[TaxLine, ...] = ()
    total: Amount = Field(description="quantity x unit_price - discount.")
    kind: LineKind
    product_id: Identifier | None = Field(
        default=None, description="The platform's product id."
    )
    variant_id: Identifier | None = Field(
        default=None, description="The platform's variant id."
    )


class OrderTotals(ValueModel):
    """The order's sums, as the platform reports them.

    They add up when total = subtotal - discounts + shipping, plus tax unless
    the prices include it.
    """

    subtotal: Amount = Field(description="Sum of quantity x unit_price of all lines.")
    discounts: Amount = Field(description="All discounts on lines and on the order.")
    shipping: Amount = Field(description="All shipping, after shipping discounts.")
    tax: Amount = Field(description="All tax, whether included or added.")
    total: Amount = Field(description="What the customer pays.")
    taxes_included: bool = Field(
        description="True when prices include tax (gross), false when it is added."
    )

    def adds_up(self) -> bool:
        """Whether the total follows from the other sums."""
        added_tax = Decimal(0) if self.taxes_included else self.tax
        expected = self.subtotal - self.discounts + self.shipping + added_tax
        return expected == self.total


class OrderPlaced(OrderEvent):
    """A shop platform took a new order."""

    event_type: ClassVar[str] = "order.placed"
    version: ClassVar[int] = 1

    platform: Platform
    platform_order_id: Identifier = Field(description="The platform's order id.")
    order_number: str = Field(description="The number shown to the customer.")
    placed_at: AwareDatetime
    currency: Currency
    customer: Customer
    billing_address: Address | None = None
    shipping_address: Address | None = Field(
        default=None, description="None when nothing is shipped."
    )
    lines: tuple[OrderLine, ...] = Field(min_length=1)
    discounts: tuple[Discount, ...] = ()
    shipping_lines: tuple[ShippingLine, ...] = ()
    totals: OrderTotals
    financial_status: FinancialStatus
    paid: bool = Field(
        description="True when the platform has taken the whole payment, so "
        "billing records it and asks the customer for nothing."
    )
    payment_gateway: str | None = Field(
        default=None, description="The gateway as the platform names it."
    )
    payment_reference: str | None = Field(
        default=None, description="The gateway's transaction or payment id."
    )
    totals_mismatch: bool = Field(
        default=False,
        description="Set by the orders service when the platform's figures do "
        "not add up (see OrderTotals.adds_up); they are passed on as reported.",
    )
    note: str | None = Field(default=None, description="The customer's note.")
    tags: tuple[str, ...] = ()
    test: bool = Field(default=False, description="Placed in the platform's test mode.")

    @model_validator(mode="after")
    def _shop_is_on_platform(self) -> Self:
        if platform_of(self.shop_id) != self.platform:
            raise ValueError(f"shop id is not on platform {self.platform}")
        return self


class OrderUpdated(OrderEvent):
    """The platform changed an order after it was placed.

    A field that is set replaces the earlier value whole; a field left out (or
    None) did not change. A cleared note or tag list arrives empty.
    """

    event_type: ClassVar[str] = "order.updated"
    version: ClassVar[int] = 1

    platform_order_id: Identifier
    updated_at: AwareDatetime
    customer: Customer | None = None
    billing_address: Address | None = None
    shipping_address: Address | None = None
    lines: tuple[OrderLine, ...] | None = None
    discounts: tuple[Discount, ...] | None = None
    shipping_lines: tuple[ShippingLine, ...] | None = None
    totals: OrderTotals | None = None
    totals_mismatch: bool | None = None
    financial_status: FinancialStatus | None = None
    paid: bool | None = None
    payment_gateway: str | None = None
    payment_reference: str | None = None
    note: str | None = None
    tags: tuple[str, ...] | None = None


class OrderCancelled(OrderEvent):
    """The order was cancelled at the platform."""

    event_type: ClassVar[str] = "order.cancelled"
    version: ClassVar[int] = 1

    platform_order_id: Identifier
    cancelled_at: AwareDatetime
    reason: str | None = Field(
        default=None, description="As the platform gives it, e.g. customer, fraud."
    )


class RefundedLine(ValueModel):
    """Part of a refund that belongs to one order line."""

    line_id: Identifier
    quantity: Quantity
    amount: Amount


class OrderRefunded(OrderEvent):
    """The platform refunded money on the order, all of it or a part."""

    event_type: ClassVar[str] = "order.refunded"
    version: ClassVar[int] = 1

    platform_order_id: Identifier
    refund_id: Identifier = Field(description="The platform's id of the refund.")
    refunded_at: AwareDatetime
    amount: Amount = Field(description="All money returned, tax and shipping too.")
    currency: Currency
    lines: tuple[RefundedLine, ...] = Field(
        default=(),
        description="The lines refunded; empty when the platform "
        "refunded an amount without naming lines.",
    )
    shipping: Amount = Field(
        default=Decimal(0), description="The part of the amount that is shipping."
    )
    reason: str | None = None
    full: bool = Field(description="True when the whole order is refunded.")
