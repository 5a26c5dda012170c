"""What feedback notes of each order, to know when a review may be asked for.

The events come in any order, so each one sets its own column with an
upsert; the row tells the whole story whichever arrived first. A review may
be asked for once the goods reached the customer (fulfilled without a
shipment, or delivered) and the order was neither cancelled nor refunded.
"""

from __future__ import annotations

from datetime import datetime

from orderflow.backbone.database import Connection
from orderflow.backbone.logging import get_logger
from orderflow.backbone.unit_of_work import UnitOfWork
from orderflow.contracts import (
    Envelope,
    OrderCancelled,
    OrderFulfilled,
    OrderRefunded,
    ShipmentDelivered,
)

log = get_logger(__name__)

_COLUMNS = frozenset({"delivered_at", "cancelled_at", "refunded_at"})


async def note_fulfilment(event: Envelope[OrderFulfilled], uow: UnitOfWork) -> None:
    fulfilled = event.payload
    await uow.conn.execute(
        "INSERT INTO review_candidates"
        " (shop_id, order_id, fulfilled_at, awaiting_delivery)"
        " VALUES ($1, $2, $3, $4) ON CONFLICT (shop_id, order_id) DO UPDATE"
        " SET fulfilled_at = EXCLUDED.fulfilled_at,"
        " awaiting_delivery = EXCLUDED.awaiting_delivery",
        fulfilled.shop_id,
        fulfilled.order_id,
        event.occurred_at,
        fulfilled.awaiting_delivery,
    )
    log.info("fulfilment.noted", order_id=fulfilled.order_id)


async def note_delivery(event: Envelope[ShipmentDelivered], uow: UnitOfWork) -> None:
    delivered = event.payload
    await _note(
        uow.conn,
        "delivered_at",
        delivered.shop_id,
        delivered.order_id,
        delivered.delivered_at,
    )


async def note_cancellation(event: Envelope[OrderCancelled], uow: UnitOfWork) -> None:
    cancelled = event.payload
    await _note(
        uow.conn,
        "cancelled_at",
        cancelled.shop_id,
        cancelled.order_id,
        cancelled.cancelled_at,
    )


async def note_refund(event: Envelope[OrderRefunded], uow: UnitOfWork) -> None:
    """A full refund rules the review out; a partial one leaves it possible."""
    refund = event.payload
    if refund.full:
        await _note(
            uow.conn, "refunded_at", refund.shop_id, refund.order_id, refund.refunded_at
        )


async def _note(
    conn: Connection, column: str, shop_id: str, order_id: str, at: datetime
) -> None:
    if column not in _COLUMNS:
        raise ValueError(f"not a review candidate's date: {column}")
    await conn.execute(
        f"INSERT INTO review_candidates (shop_id, order_id, {column})"
        f" VALUES ($1, $2, $3) ON CONFLICT (shop_id, order_id) DO UPDATE"
        f" SET {column} = coalesce(review_candidates.{column}, EXCLUDED.{column})",
        shop_id,
        order_id,
        at,
    )
    log.info(f"{column.removesuffix('_at')}.noted", order_id=order_id)
