"""What fulfillment does with each event it hears of, in domain words.

A payment or a cancellation can overtake its order: services consume at
their own pace. Such an event raises `OrderNotYetKnown`, a transient error,
and comes back through the delay tiers once the order has been recorded.
"""

from __future__ import annotations

from datetime import datetime

from orderflow.backbone import dead_letters
from orderflow.backbone.database import Connection
from orderflow.backbone.errors import OrderNotYetKnown
from orderflow.backbone.logging import get_logger
from orderflow.backbone.unit_of_work import UnitOfWork
from orderflow.contracts import (
    CustomerErased,
    Envelope,
    LineKind,
    OrderCancelled,
    OrderEvent,
    OrderPlaced,
    PaymentCaptured,
    email_sha256,
)

log = get_logger(__name__)

_STAMPS = frozenset({"paid_at", "cancelled_at"})


async def record_order(event: Envelope[OrderPlaced], uow: UnitOfWork) -> None:
    """Note the order's deliverables; a redelivered order changes nothing."""
    order = event.payload
    kinds = [line.kind for line in order.lines]
    email = order.customer.email
    await uow.conn.execute(
        "INSERT INTO order_book (shop_id, order_id, order_number, digital_lines,"
        " physical_lines, destination_country, customer_email_sha256, placed_at,"
        " paid_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
        " ON CONFLICT (shop_id, order_id) DO NOTHING",
        order.shop_id,
        order.order_id,
        order.order_number,
        kinds.count(LineKind.DIGITAL),
        kinds.count(LineKind.PHYSICAL),
        order.shipping_address.country if order.shipping_address else None,
        email_sha256(email) if email else None,
        order.placed_at,
        order.placed_at if order.paid else None,
    )
    log.info("order.recorded", order_id=order.order_id)


async def record_payment(event: Envelope[PaymentCaptured], uow: UnitOfWork) -> None:
    """Mark the order paid, so that its goods may be delivered."""
    payment = event.payload
    await _stamp(uow.conn, "paid_at", payment, payment.captured_at)


async def record_cancellation(event: Envelope[OrderCancelled], uow: UnitOfWork) -> None:
    """Mark the order cancelled, so that nothing of it is delivered."""
    cancellation = event.payload
    await _stamp(uow.conn, "cancelled_at", cancellation, cancellation.cancelled_at)


async def _stamp(
    conn: Connection, column: str, about: OrderEvent, at: datetime
) -> None:
    """Set a date of the order once; an event that overtook it comes back later."""
    if column not in _STAMPS:
        raise ValueError(f"not a date of the order book: {column}")
    status = await conn.execute(
        f"UPDATE order_book SET {column} = coalesce({column}, $3)"
        " WHERE shop_id = $1 AND order_id = $2",
        about.shop_id,
        about.order_id,
        at,
    )
    if status == "UPDATE 0":
        raise OrderNotYetKnown(about.order_id)


async def erase_customer(event: Envelope[CustomerErased], uow: UnitOfWork) -> None:
    """Forget which orders belonged to the erased customer, dead letters too."""
    erased = event.payload
    await dead_letters.erase_customer(uow.conn, erased)
    if erased.email_sha256 is None:
        return
    status = await uow.conn.execute(
        "UPDATE order_book SET customer_email_sha256 = NULL"
        " WHERE shop_id = $1 AND customer_email_sha256 = $2",
        erased.shop_id,
        erased.email_sha256,
    )
    log.info("customer.erased", customer_id=erased.customer_id, orders=status)
