"""Orders from any other shop, posted to `POST /orders` in Orderflow's own shape.

The shape is the `order.placed` payload without the ids Orderflow assigns:
the shop names itself by its domain and its order by its own id. A repeated
post of the same order, or of the same `Idempotency-Key`, is recognised.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from orderflow.contracts import (
    Address,
    Currency,
    Customer,
    Discount,
    FinancialStatus,
    OrderLine,
    OrderPlaced,
    OrderTotals,
    Platform,
    ShippingLine,
    shop_id,
)
from orderflow.orders.domain.deliveries import Delivery, OrderKey
from orderflow.orders.domain.payloads import build, read_json

TOPIC = "order.placed"


class GenericOrder(BaseModel):
    """An order as any shop can send it."""

    model_config = ConfigDict(extra="ignore", hide_input_in_errors=True, frozen=True)

    shop: str = Field(
        pattern=r"^[A-Za-z0-9.-]+$",
        max_length=200,
        description="The shop's domain, e.g. shop.example.",
    )
    order_id: str = Field(
        min_length=1, max_length=255, description="The shop's own id of the order."
    )
    order_number: str | None = Field(
        default=None, description="The number shown to the customer; the id if unset."
    )
    placed_at: AwareDatetime
    currency: Currency
    customer: Customer
    billing_address: Address | None = None
    shipping_address: Address | None = None
    lines: tuple[OrderLine, ...] = Field(min_length=1)
    discounts: tuple[Discount, ...] = ()
    shipping_lines: tuple[ShippingLine, ...] = ()
    totals: OrderTotals
    financial_status: FinancialStatus = FinancialStatus.PENDING
    paid: bool = False
    payment_gateway: str | None = None
    payment_reference: str | None = None
    note: str | None = None
    tags: tuple[str, ...] = ()
    test: bool = False


def normalise(headers: Mapping[str, str], body: bytes, _: datetime) -> Delivery | None:
    """The delivery a `POST /orders` brings."""
    order = read_json(GenericOrder, body)
    key = OrderKey(shop_id(Platform.GENERIC, order.shop.lower()), order.order_id)
    delivery_id = headers.get("idempotency-key") or f"{key.shop_id}:{order.order_id}"
    fields = order.model_dump(exclude={"shop", "order_id", "order_number"})
    placed = build(
        OrderPlaced,
        **fields,
        shop_id=key.shop_id,
        order_id=key.order_id,
        platform=Platform.GENERIC,
        platform_order_id=order.order_id,
        order_number=order.order_number or order.order_id,
        totals_mismatch=not order.totals.adds_up(),
    )
    return Delivery(Platform.GENERIC, delivery_id, TOPIC, key, body, placed=placed)
