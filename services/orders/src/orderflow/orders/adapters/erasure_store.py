"""Erasing a customer from the orders store, in the caller's transaction.

`erase_customer_orders` finds the shop's orders of the customer, by the hash
of the email address or the platform's customer id, and the orders that
changes waiting for their order name them in. It locks those orders as the
intake does, so that a delivery stored at the same moment comes either
before the erasure (and is erased with the rest) or after it (and is stored
without the person). Then it:

- replaces the snapshots and the waiting changes with their anonymised form
  and forgets the email hash and platform id they were found by;
- blanks the raw body of every delivery about those orders;
- rewrites their `order.placed` and `order.updated` events in the outbox
  without the person: a sent event's copy no longer names them, and one
  still waiting for the broker goes out anonymised;
- remembers the orders as erased, for the deliveries still to come.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from orderflow.backbone.database import Connection
from orderflow.contracts import (
    CustomerErased,
    Envelope,
    OrderPlaced,
    OrderUpdated,
    envelope_of,
)
from orderflow.orders.adapters.order_store import lock_orders
from orderflow.orders.domain.erasure import anonymised_change, anonymised_order

_NAMING_THE_PERSON = [OrderPlaced.routing_key(), OrderUpdated.routing_key()]


async def erase_customer_orders(conn: Connection, erased: CustomerErased) -> list[UUID]:
    """Erase the customer from their orders in the shop; the orders' ids."""
    order_ids = await _orders_of(conn, erased)
    if not order_ids:
        return []
    await lock_orders(conn, order_ids)

    await _anonymise_orders(conn, order_ids)
    await _anonymise_pending(conn, order_ids)
    await conn.execute(
        "UPDATE deliveries SET body = ''::bytea WHERE order_id = ANY($1::uuid[])",
        order_ids,
    )
    await _anonymise_events(conn, order_ids)
    await conn.execute(
        "INSERT INTO erased_orders (order_id, shop_id, customer_id)"
        " SELECT unnest($1::uuid[]), $2, $3 ON CONFLICT DO NOTHING",
        order_ids,
        erased.shop_id,
        erased.customer_id,
    )
    return order_ids


async def _orders_of(conn: Connection, erased: CustomerErased) -> list[UUID]:
    rows = await conn.fetch(
        "SELECT order_id FROM orders WHERE shop_id = $1"
        " AND (customer_email_sha256 = $2 OR platform_customer_id = $3)"
        " UNION SELECT order_id FROM pending_changes WHERE shop_id = $1"
        " AND (customer_email_sha256 = $2 OR platform_customer_id = $3)"
        " ORDER BY order_id",
        erased.shop_id,
        erased.email_sha256,
        erased.platform_customer_id,
    )
    return [row["order_id"] for row in rows]


async def _anonymise_orders(conn: Connection, order_ids: list[UUID]) -> None:
    rows = await conn.fetch(
        "SELECT order_id, current::text AS current FROM orders"
        " WHERE order_id = ANY($1::uuid[])",
        order_ids,
    )
    await conn.executemany(
        "UPDATE orders SET current = $2, customer_email_sha256 = NULL,"
        " platform_customer_id = NULL, modified_at = now() WHERE order_id = $1",
        [
            (
                row["order_id"],
                anonymised_order(
                    OrderPlaced.model_validate_json(row["current"])
                ).model_dump_json(),
            )
            for row in rows
        ],
    )


async def _anonymise_pending(conn: Connection, order_ids: list[UUID]) -> None:
    """Waiting changes without the person; only an update names them."""
    rows = await conn.fetch(
        "SELECT id, payload::text AS payload FROM pending_changes"
        " WHERE order_id = ANY($1::uuid[]) AND event_type = $2",
        order_ids,
        OrderUpdated.event_type,
    )
    await conn.executemany(
        "UPDATE pending_changes SET payload = $2, customer_email_sha256 = NULL,"
        " platform_customer_id = NULL WHERE id = $1",
        [
            (
                row["id"],
                anonymised_change(
                    OrderUpdated.model_validate_json(row["payload"])
                ).model_dump_json(),
            )
            for row in rows
        ],
    )


async def _anonymise_events(conn: Connection, order_ids: list[UUID]) -> None:
    rows = await conn.fetch(
        "SELECT id, routing_key, body FROM outbox"
        " WHERE correlation_id = ANY($1::text[]) AND routing_key = ANY($2::text[])",
        [str(order_id) for order_id in order_ids],
        _NAMING_THE_PERSON,
    )
    await conn.executemany(
        "UPDATE outbox SET body = $2 WHERE id = $1",
        [
            (row["id"], _anonymised_body(row["routing_key"], row["body"]))
            for row in rows
        ],
    )


def _anonymised_body(routing_key: str, body: bytes) -> bytes:
    envelope: Envelope[Any]
    if routing_key == OrderPlaced.routing_key():
        placed = envelope_of(OrderPlaced).model_validate_json(body)
        envelope = placed.model_copy(
            update={"payload": anonymised_order(placed.payload)}
        )
    else:
        updated = envelope_of(OrderUpdated).model_validate_json(body)
        envelope = updated.model_copy(
            update={"payload": anonymised_change(updated.payload)}
        )
    return envelope.model_dump_json().encode()
