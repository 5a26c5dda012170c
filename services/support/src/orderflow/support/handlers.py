"""What support learns of orders, so that an agent sees them in a chat.

A cancellation or refund that overtakes its order raises `OrderNotYetKnown`
and comes back through the delay tiers once the order has been recorded.
"""

from __future__ import annotations

from orderflow.backbone import dead_letters
from orderflow.backbone.database import Connection
from orderflow.backbone.errors import OrderNotYetKnown
from orderflow.backbone.logging import get_logger
from orderflow.backbone.unit_of_work import UnitOfWork
from orderflow.contracts import (
    CustomerErased,
    Envelope,
    OrderCancelled,
    OrderPlaced,
    OrderRefunded,
    email_sha256,
)

log = get_logger(__name__)


async def learn_order(event: Envelope[OrderPlaced], uow: UnitOfWork) -> None:
    order = event.payload
    email = order.customer.email
    await uow.conn.execute(
        "INSERT INTO known_orders (shop_id, order_id, order_number,"
        " customer_email_sha256, placed_at, total, currency)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING",
        order.shop_id,
        order.order_id,
        order.order_number,
        email_sha256(email) if email else None,
        order.placed_at,
        order.totals.total,
        order.currency,
    )
    log.info("order.learned", order_id=order.order_id)


async def learn_cancellation(event: Envelope[OrderCancelled], uow: UnitOfWork) -> None:
    cancelled = event.payload
    await _set_status(uow.conn, cancelled.shop_id, cancelled.order_id, "cancelled")


async def learn_refund(event: Envelope[OrderRefunded], uow: UnitOfWork) -> None:
    refund = event.payload
    status = "refunded" if refund.full else "partially_refunded"
    await _set_status(uow.conn, refund.shop_id, refund.order_id, status)


async def erase_customer(event: Envelope[CustomerErased], uow: UnitOfWork) -> None:
    """Forget which orders belonged to the erased customer, dead letters too."""
    erased = event.payload
    await dead_letters.erase_customer(uow.conn, erased)
    if erased.email_sha256 is None:
        return
    await uow.conn.execute(
        "UPDATE known_orders SET customer_email_sha256 = NULL"
        " WHERE shop_id = $1 AND customer_email_sha256 = $2",
        erased.shop_id,
        erased.email_sha256,
    )
    log.info("customer.erased", customer_id=erased.customer_id)


async def _set_status(
    conn: Connection, shop_id: str, order_id: str, status: str
) -> None:
    result = await conn.execute(
        "UPDATE known_orders SET status = $3 WHERE shop_id = $1 AND order_id = $2",
        shop_id,
        order_id,
        status,
    )
    if result == "UPDATE 0":
        raise OrderNotYetKnown(order_id)
    log.info("order_status.learned", order_id=order_id, status=status)
