"""The orders service's Postgres store: deliveries, orders, waiting changes.

`settle` stores a batch of deliveries in the caller's transaction: it locks
the batch's orders (advisory locks in a fixed order, so that replicas and
concurrent batches neither interleave on one order nor deadlock), loads
what is known about them, lets the ledger decide, and writes the raw
deliveries, the orders, the waiting changes and the events together. A
delivery about an order whose customer was erased is stored without the
person (see `domain/erasure.py`).

Orders and waiting changes keep the hash of the customer's email address
and the platform's customer id beside the payload, so that an erasure finds
them (`adapters/erasure_store.py`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from pydantic import BaseModel, Field

from orderflow.backbone.database import Connection
from orderflow.backbone.outbox import add_to_outbox
from orderflow.contracts import (
    Amount,
    Customer,
    OrderCancelled,
    OrderPlaced,
    OrderRefunded,
    OrderUpdated,
    email_sha256,
    wrap,
)
from orderflow.orders.domain.deliveries import Change, Delivery, OrderKey, stamp_of
from orderflow.orders.domain.erasure import anonymised_delivery
from orderflow.orders.domain.ledger import (
    Ledger,
    OrderState,
    OrderStatus,
    Outcome,
    PendingChange,
)

_CHANGES: dict[str, type[Change]] = {
    OrderUpdated.event_type: OrderUpdated,
    OrderCancelled.event_type: OrderCancelled,
    OrderRefunded.event_type: OrderRefunded,
}


async def settle(
    conn: Connection, *, producer: str, schema: str, deliveries: list[Delivery]
) -> list[Outcome]:
    """Store a batch of deliveries and their events; return what each did."""
    order_ids = sorted({UUID(d.order_id) for d in deliveries})
    await lock_orders(conn, order_ids)
    erased = await _erased(conn, order_ids)
    deliveries = [
        anonymised_delivery(d) if UUID(d.order_id) in erased else d for d in deliveries
    ]
    ledger = Ledger(
        await _orders(conn, order_ids),
        await _pending(conn, order_ids),
        await _seen(conn, deliveries),
    )

    outcomes = ledger.settle(deliveries)

    await _store_deliveries(conn, deliveries, outcomes)
    await _store_orders(conn, ledger.orders)
    await _store_pending(conn, ledger.new_pending, ledger.settled_rows)
    envelopes = [
        wrap(event, producer=producer, correlation_id=event.order_id)
        for event in ledger.events
    ]
    await add_to_outbox(conn, schema, envelopes)
    return outcomes


class StoredOrder(BaseModel):
    """An order as it stands: its figures with every update applied."""

    order_id: str
    status: OrderStatus
    refunded: Amount = Field(description="All money refunded so far.")
    order: OrderPlaced
    created_at: datetime = Field(description="When Orderflow took the order.")
    modified_at: datetime = Field(description="When a change was last applied.")
    erased_at: datetime | None = Field(
        default=None,
        description="When the customer was erased; the order no longer names them.",
    )


async def find_order(conn: Connection, order_id: UUID) -> StoredOrder | None:
    """The stored order, or None."""
    row = await conn.fetchrow(
        "SELECT status, refunded, current::text AS current, created_at,"
        " modified_at, erased_at FROM orders LEFT JOIN erased_orders"
        " USING (order_id) WHERE order_id = $1",
        order_id,
    )
    if row is None:
        return None
    return StoredOrder(
        order_id=str(order_id),
        status=OrderStatus(row["status"]),
        refunded=row["refunded"],
        order=OrderPlaced.model_validate_json(row["current"]),
        created_at=row["created_at"],
        modified_at=row["modified_at"],
        erased_at=row["erased_at"],
    )


async def lock_orders(conn: Connection, order_ids: list[UUID]) -> None:
    """Lock orders for the transaction, in an order every caller shares."""
    await conn.execute(
        "SELECT pg_advisory_xact_lock(k) FROM (SELECT DISTINCT"
        " hashtextextended(id::text, 0) AS k FROM unnest($1::uuid[]) AS id"
        " ORDER BY k) AS keys",
        order_ids,
    )


async def _erased(conn: Connection, order_ids: list[UUID]) -> set[UUID]:
    rows = await conn.fetch(
        "SELECT order_id FROM erased_orders WHERE order_id = ANY($1::uuid[])",
        order_ids,
    )
    return {row["order_id"] for row in rows}


async def _orders(
    conn: Connection, order_ids: list[UUID]
) -> dict[OrderKey, OrderState]:
    rows = await conn.fetch(
        "SELECT shop_id, platform_order_id, status, refunded, refund_ids,"
        " updated_at, current::text AS current FROM orders"
        " WHERE order_id = ANY($1::uuid[])",
        order_ids,
    )
    return {
        OrderKey(row["shop_id"], row["platform_order_id"]): OrderState(
            order=OrderPlaced.model_validate_json(row["current"]),
            status=OrderStatus(row["status"]),
            refunded=row["refunded"],
            refund_ids=set(row["refund_ids"]),
            updated_at=row["updated_at"],
        )
        for row in rows
    }


async def _pending(
    conn: Connection, order_ids: list[UUID]
) -> dict[OrderKey, list[PendingChange]]:
    rows = await conn.fetch(
        "SELECT id, shop_id, platform_order_id, event_type, delivery_id,"
        " payload::text AS payload FROM pending_changes"
        " WHERE order_id = ANY($1::uuid[]) ORDER BY id",
        order_ids,
    )
    pending: dict[OrderKey, list[PendingChange]] = {}
    for row in rows:
        change = _CHANGES[row["event_type"]].model_validate_json(row["payload"])
        key = OrderKey(row["shop_id"], row["platform_order_id"])
        pending.setdefault(key, []).append(
            PendingChange(change, row["delivery_id"], row_id=row["id"])
        )
    return pending


async def _seen(conn: Connection, deliveries: list[Delivery]) -> set[tuple[str, str]]:
    rows = await conn.fetch(
        "SELECT platform, delivery_id FROM deliveries WHERE (platform, delivery_id)"
        " IN (SELECT * FROM unnest($1::text[], $2::text[]))",
        [d.platform.value for d in deliveries],
        [d.delivery_id for d in deliveries],
    )
    return {(row["platform"], row["delivery_id"]) for row in rows}


async def _store_deliveries(
    conn: Connection, deliveries: list[Delivery], outcomes: list[Outcome]
) -> None:
    await conn.executemany(
        "INSERT INTO deliveries (platform, delivery_id, topic, shop_id,"
        " platform_order_id, order_id, outcome, body)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT DO NOTHING",
        [
            (
                d.platform.value,
                d.delivery_id,
                d.topic,
                d.key.shop_id,
                d.key.platform_order_id,
                UUID(d.order_id),
                outcome.value,
                d.body,
            )
            for d, outcome in zip(deliveries, outcomes, strict=True)
        ],
    )


async def _store_orders(conn: Connection, orders: dict[OrderKey, OrderState]) -> None:
    new = [_order_row(key, s) for key, s in orders.items() if s.is_new]
    changed = [
        _order_row(key, s) for key, s in orders.items() if s.changed and not s.is_new
    ]
    if new:
        await conn.executemany(
            "INSERT INTO orders (order_id, shop_id, platform_order_id, status,"
            " refunded, refund_ids, updated_at, current, customer_email_sha256,"
            " platform_customer_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
            new,
        )
    if changed:
        await conn.executemany(
            "UPDATE orders SET status = $4, refunded = $5, refund_ids = $6,"
            " updated_at = $7, current = $8, customer_email_sha256 = $9,"
            " platform_customer_id = $10, modified_at = now()"
            " WHERE order_id = $1 AND shop_id = $2 AND platform_order_id = $3",
            changed,
        )


def _order_row(key: OrderKey, state: OrderState) -> tuple[Any, ...]:
    return (
        UUID(key.order_id),
        key.shop_id,
        key.platform_order_id,
        state.status.value,
        state.refunded,
        sorted(state.refund_ids),
        state.updated_at,
        state.order.model_dump_json(),
        *_customer_keys(state.order.customer),
    )


def _customer_keys(customer: Customer | None) -> tuple[str | None, str | None]:
    """What an erasure finds the customer's rows by: email hash, platform id."""
    if customer is None:
        return None, None
    email = customer.email
    return email_sha256(email) if email else None, customer.platform_customer_id


def _customer_in(change: Change) -> Customer | None:
    return change.customer if isinstance(change, OrderUpdated) else None


async def _store_pending(
    conn: Connection, waiting: list[PendingChange], settled: list[int]
) -> None:
    if waiting:
        await conn.executemany(
            "INSERT INTO pending_changes (order_id, shop_id, platform_order_id,"
            " event_type, stamp, delivery_id, payload, customer_email_sha256,"
            " platform_customer_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            [
                (
                    UUID(p.change.order_id),
                    p.change.shop_id,
                    p.change.platform_order_id,
                    p.change.event_type,
                    stamp_of(p.change),
                    p.delivery_id,
                    p.change.model_dump_json(),
                    *_customer_keys(_customer_in(p.change)),
                )
                for p in waiting
            ],
        )
    if settled:
        await conn.execute(
            "DELETE FROM pending_changes WHERE id = ANY($1::bigint[])", settled
        )
