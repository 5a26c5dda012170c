"""The crm service's own customer store in PostgreSQL.

Every function takes the connection of the caller's transaction. Recording a
customer is one `INSERT ... ON CONFLICT DO UPDATE` on (shop, identity key):
when two first orders of one customer arrive at once, the second insert waits
for the first to commit and then updates the row it made, so there is never a
second customer. Profile fields follow the most recent order by the time it
was placed, so an older order handled late does not undo a newer change.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

import asyncpg

from orderflow.backbone.database import Connection
from orderflow.contracts import Customer, CustomerUpserted, OrderPlaced, OrderRefunded
from orderflow.crm.domain.customers import (
    CustomerHistory,
    CustomerRecord,
    CustomerUpsert,
    PastOrder,
    identity_key,
    normalise_email,
)

_PROFILE_FIELDS = (
    "email",
    "platform_customer_id",
    "first_name",
    "last_name",
    "company",
    "vat_id",
    "phone",
    "locale",
    "marketing_consent",
)


def _newer_wins(field: str) -> str:
    return (
        f"{field} = CASE WHEN EXCLUDED.profile_as_of >= customers.profile_as_of"
        f" THEN coalesce(EXCLUDED.{field}, customers.{field})"
        f" ELSE coalesce(customers.{field}, EXCLUDED.{field}) END"
    )


_UPSERT = f"""
INSERT INTO customers (shop_id, identity_key, profile_as_of, {", ".join(_PROFILE_FIELDS)})
VALUES ($1, $2, $3, {", ".join(f"${i}" for i in range(4, 4 + len(_PROFILE_FIELDS)))})
ON CONFLICT (shop_id, identity_key) DO UPDATE SET
    {", ".join(_newer_wins(field) for field in _PROFILE_FIELDS)},
    profile_as_of = greatest(customers.profile_as_of, EXCLUDED.profile_as_of),
    updated_at = now()
RETURNING *, (xmax = 0) AS created
"""  # noqa: E501 - generated SQL


async def upsert_customer(
    conn: Connection, shop_id: str, customer: Customer, as_of: datetime
) -> CustomerUpsert | None:
    """Create or update the customer; None when the order names nobody."""
    key = identity_key(customer)
    if key is None:
        return None
    values = [getattr(customer, field) for field in _PROFILE_FIELDS]
    row = await conn.fetchrow(_UPSERT, shop_id, key, as_of, *values)
    assert row is not None

    return CustomerUpsert(record=_record(row), created=row["created"])


async def record_order(conn: Connection, customer_id: str, order: OrderPlaced) -> bool:
    """Add the order to the customer's history; False if it was there already."""
    added = await conn.fetchval(
        "INSERT INTO customer_orders (shop_id, order_id, customer_id, order_number,"
        " placed_at, currency, total, cancelled, total_as_of, customer_as_of)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, EXISTS (SELECT FROM order_cancellations"
        " WHERE shop_id = $1 AND order_id = $2), $5, $5)"
        " ON CONFLICT DO NOTHING RETURNING true",
        order.shop_id,
        order.order_id,
        customer_id,
        order.order_number,
        order.placed_at,
        order.currency,
        order.totals.total,
    )
    return bool(added)


async def load_customer(
    conn: Connection, customer_id: str, *, lock: bool = False
) -> CustomerRecord | None:
    """The customer, or None once erased.

    `lock` keeps the row from being erased until the commit, while orders
    may still update it.
    """
    suffix = " FOR KEY SHARE" if lock else ""
    row = await conn.fetchrow(
        "SELECT * FROM customers WHERE customer_id = $1" + suffix, customer_id
    )
    return _record(row) if row else None


async def find_by_email(
    conn: Connection, email: str, shop_id: str | None = None
) -> list[CustomerRecord]:
    """The customers with this address, in one shop or in all of them."""
    rows = await conn.fetch(
        "SELECT * FROM customers WHERE identity_key = $1"
        " AND ($2::text IS NULL OR shop_id = $2) ORDER BY shop_id FOR UPDATE",
        "email:" + normalise_email(email),
        shop_id,
    )
    return [_record(row) for row in rows]


@dataclass(frozen=True)
class OrderOwner:
    """Whose order it is, and as of which change the platform reported."""

    customer_id: str
    customer_as_of: datetime


async def order_owner(
    conn: Connection, shop_id: str, order_id: str
) -> OrderOwner | None:
    """The customer of a recorded order, holding its row to the commit."""
    row = await conn.fetchrow(
        "SELECT customer_id, customer_as_of FROM customer_orders"
        " WHERE shop_id = $1 AND order_id = $2 FOR UPDATE",
        shop_id,
        order_id,
    )
    return OrderOwner(**dict(row)) if row else None


async def assign_order(
    conn: Connection, shop_id: str, order_id: str, customer_id: str, as_of: datetime
) -> None:
    """Move a known order to the customer the platform named on it at `as_of`."""
    await conn.execute(
        "UPDATE customer_orders SET customer_id = $3, customer_as_of = $4"
        " WHERE shop_id = $1 AND order_id = $2 AND customer_as_of < $4",
        shop_id,
        order_id,
        customer_id,
        as_of,
    )


async def record_total(
    conn: Connection, shop_id: str, order_id: str, total: Decimal, as_of: datetime
) -> None:
    """Take the order's new total, unless a newer one is recorded already."""
    await conn.execute(
        "UPDATE customer_orders SET total = $3, total_as_of = $4"
        " WHERE shop_id = $1 AND order_id = $2 AND total_as_of < $4",
        shop_id,
        order_id,
        total,
        as_of,
    )


async def order_without_customer(
    conn: Connection, shop_id: str, order_id: str
) -> str | None:
    """Why crm keeps no customer for the order (anonymous, erased), if it keeps none."""
    reason: str | None = await conn.fetchval(
        "SELECT reason FROM orders_without_customer"
        " WHERE shop_id = $1 AND order_id = $2",
        shop_id,
        order_id,
    )
    return reason


async def record_order_without_customer(
    conn: Connection, shop_id: str, order_id: str
) -> None:
    """Remember an order that named nobody crm could record."""
    await conn.execute(
        "INSERT INTO orders_without_customer (shop_id, order_id, reason)"
        " VALUES ($1, $2, 'anonymous') ON CONFLICT DO NOTHING",
        shop_id,
        order_id,
    )


async def record_refund(conn: Connection, refund: OrderRefunded) -> None:
    await conn.execute(
        "INSERT INTO order_refunds (shop_id, refund_id, order_id, amount)"
        " VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
        refund.shop_id,
        refund.refund_id,
        refund.order_id,
        refund.amount,
    )


async def record_cancellation(conn: Connection, shop_id: str, order_id: str) -> None:
    await conn.execute(
        "INSERT INTO order_cancellations (shop_id, order_id) VALUES ($1, $2)"
        " ON CONFLICT DO NOTHING",
        shop_id,
        order_id,
    )
    await conn.execute(
        "UPDATE customer_orders SET cancelled = true"
        " WHERE shop_id = $1 AND order_id = $2",
        shop_id,
        order_id,
    )


_HISTORY = """
SELECT o.order_id, o.order_number, o.placed_at, o.currency, o.total, o.cancelled,
       coalesce(r.refunded, 0) AS refunded
FROM customer_orders o
LEFT JOIN (
    SELECT shop_id, order_id, sum(amount) AS refunded
    FROM order_refunds GROUP BY shop_id, order_id
) r USING (shop_id, order_id)
WHERE o.customer_id = $1
ORDER BY o.placed_at, o.order_id
"""


async def customer_history(conn: Connection, customer_id: str) -> CustomerHistory:
    """The customer's orders, oldest first, with what was refunded on each."""
    rows = await conn.fetch(_HISTORY, customer_id)
    return CustomerHistory(orders=tuple(PastOrder(**dict(row)) for row in rows))


async def erase_customer(conn: Connection, customer_id: str) -> list[str]:
    """Delete the customer and everything the crm store holds about them.

    Their orders, confirmations and CRM links go, and so do the published
    events that carry their profile; the ids of their orders stay in
    `orders_without_customer`, so that no later event about one of them
    records the person again. The CRM links are kept aside in
    `crm_erasures`, and the Message-IDs of the confirmations in
    `mail_erasures`, so that the contacts in the CRMs and the copies in the
    mail folder can be deleted too. Returns the names of the CRMs that hold
    a contact of the customer.
    """
    await conn.execute(
        "INSERT INTO mail_erasures (customer_id, message_id)"
        " SELECT customer_id, message_id FROM order_confirmations"
        " WHERE customer_id = $1 ON CONFLICT DO NOTHING",
        customer_id,
    )
    crms = await conn.fetch(
        "INSERT INTO crm_erasures (customer_id, crm, external_id)"
        " SELECT customer_id, crm, external_id FROM crm_links"
        " WHERE customer_id = $1 ON CONFLICT DO NOTHING RETURNING crm",
        customer_id,
    )
    await conn.execute(
        "INSERT INTO orders_without_customer (shop_id, order_id, reason)"
        " SELECT shop_id, order_id, 'erased' FROM customer_orders"
        " WHERE customer_id = $1"
        " ON CONFLICT (shop_id, order_id) DO UPDATE SET reason = 'erased'",
        customer_id,
    )
    await conn.execute(
        "DELETE FROM order_refunds r USING customer_orders o"
        " WHERE o.customer_id = $1 AND r.shop_id = o.shop_id"
        " AND r.order_id = o.order_id",
        customer_id,
    )
    await conn.execute("DELETE FROM customers WHERE customer_id = $1", customer_id)
    # The outbox keeps published events for a while; those that carry the
    # customer's profile go now. Unpublished ones still go out, ahead of the
    # `customer.erased.v1` that tells their readers to erase them again.
    await conn.execute(
        "DELETE FROM outbox WHERE published_at IS NOT NULL AND routing_key = $2"
        " AND convert_from(body, 'UTF8')::jsonb #>> '{payload,customer_id}' = $1",
        customer_id,
        CustomerUpserted.routing_key(),
    )

    return sorted(row["crm"] for row in crms)


async def crm_erasure(conn: Connection, customer_id: str, crm: str) -> str | None:
    """The CRM's id of an erased customer's contact, while it is still to delete."""
    external_id: str | None = await conn.fetchval(
        "SELECT external_id FROM crm_erasures WHERE customer_id = $1 AND crm = $2",
        customer_id,
        crm,
    )
    return external_id


async def mail_erasures(conn: Connection, customer_id: str) -> list[str]:
    """The Message-IDs of an erased customer's confirmations still to remove."""
    rows = await conn.fetch(
        "DELETE FROM mail_erasures WHERE customer_id = $1 RETURNING message_id",
        customer_id,
    )
    return [row["message_id"] for row in rows]


async def forget_crm_erasure(conn: Connection, customer_id: str, crm: str) -> None:
    await conn.execute(
        "DELETE FROM crm_erasures WHERE customer_id = $1 AND crm = $2",
        customer_id,
        crm,
    )


@dataclass(frozen=True)
class StoredConfirmation:
    """An order's confirmation email as recorded, and whether it went out."""

    shop_id: str
    order_id: str
    customer_id: str
    message_id: str
    message: bytes
    status: str


async def record_confirmation(
    conn: Connection,
    order: OrderPlaced,
    customer_id: str,
    message_id: str,
    message: bytes,
) -> bool:
    """Keep the order's confirmation to send; False if one was recorded before."""
    added = await conn.fetchval(
        "INSERT INTO order_confirmations"
        " (shop_id, order_id, customer_id, message_id, message)"
        " VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING RETURNING true",
        order.shop_id,
        order.order_id,
        customer_id,
        message_id,
        message,
    )
    return bool(added)


async def load_confirmation(
    conn: Connection, shop_id: str, order_id: str
) -> StoredConfirmation | None:
    row = await conn.fetchrow(
        "SELECT shop_id, order_id, customer_id, message_id, message, status"
        " FROM order_confirmations WHERE shop_id = $1 AND order_id = $2",
        shop_id,
        order_id,
    )
    return StoredConfirmation(**dict(row)) if row else None


async def mark_confirmation_sent(conn: Connection, shop_id: str, order_id: str) -> None:
    await conn.execute(
        "UPDATE order_confirmations SET status = 'sent', sent_at = now(),"
        " failure = NULL WHERE shop_id = $1 AND order_id = $2",
        shop_id,
        order_id,
    )


async def mark_confirmation_rejected(
    conn: Connection, shop_id: str, order_id: str, failure: str
) -> None:
    await conn.execute(
        "UPDATE order_confirmations SET status = 'rejected', failure = $3"
        " WHERE shop_id = $1 AND order_id = $2",
        shop_id,
        order_id,
        failure,
    )


async def lock_contact(conn: Connection, customer_id: str, crm: str) -> None:
    """Hold the customer's contact in one CRM until the commit.

    Two syncs of one new customer to the same CRM then run one after the
    other, and the second updates what the first created; syncs to other
    CRMs go on meanwhile.
    """
    await conn.execute(
        "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))",
        f"crm-contact/{crm}/{customer_id}",
    )


async def crm_link(conn: Connection, customer_id: str, crm: str) -> str | None:
    """The id the CRM gave the customer, if it has one."""
    external_id: str | None = await conn.fetchval(
        "SELECT external_id FROM crm_links WHERE customer_id = $1 AND crm = $2",
        customer_id,
        crm,
    )
    return external_id


async def save_crm_link(
    conn: Connection, customer_id: str, crm: str, external_id: str
) -> None:
    await conn.execute(
        "INSERT INTO crm_links (customer_id, crm, external_id) VALUES ($1, $2, $3)"
        " ON CONFLICT (customer_id, crm) DO UPDATE"
        " SET external_id = EXCLUDED.external_id, synced_at = now()",
        customer_id,
        crm,
        external_id,
    )


def _record(row: asyncpg.Record) -> CustomerRecord:
    fields: dict[str, Any] = {field: row[field] for field in _PROFILE_FIELDS}
    return CustomerRecord(
        customer_id=row["customer_id"],
        shop_id=row["shop_id"],
        customer=Customer(**fields),
    )
