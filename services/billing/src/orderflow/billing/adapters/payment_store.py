"""Payments and refunds in PostgreSQL, each fact recorded once."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from decimal import Decimal

import asyncpg

from orderflow.backbone.database import Connection
from orderflow.billing.domain.payments import PaymentFacts, PaymentStatus


@dataclass(frozen=True)
class Payment:
    payment_id: uuid.UUID
    shop_id: str
    order_id: str
    amount: Decimal
    currency: str
    source: str
    reference: str | None
    payment_intent_id: str | None
    facts: PaymentFacts
    checkout_session_id: str | None = None

    @property
    def status(self) -> PaymentStatus:
        return self.facts.status


async def open_payment(
    conn: Connection,
    *,
    shop_id: str,
    order_id: str,
    amount: Decimal,
    currency: str,
    source: str,
    reference: str | None = None,
) -> Payment:
    """The order's payment, created as requested if it has none yet.

    Its id follows from the order, so a handler that rolled back and runs
    again opens the same payment, and asks Stripe with the same keys.
    """
    await conn.execute(
        "INSERT INTO payments (payment_id, shop_id, order_id, amount, currency,"
        " source, reference, status) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) "
        "ON CONFLICT (shop_id, order_id) DO NOTHING",
        payment_id_for(shop_id, order_id),
        shop_id,
        order_id,
        amount,
        currency,
        source,
        reference,
        PaymentStatus.REQUESTED.value,
    )
    payment = await of_order(conn, shop_id, order_id)
    if payment is None:
        raise LookupError(f"no payment for order {order_id}")
    return payment


# The namespace of payment ids: uuid5 of the shop and order within it.
_PAYMENTS = uuid.UUID("5b0e7f3c-2a4d-4c1e-9f6b-8d7a1c3e5f20")


def payment_id_for(shop_id: str, order_id: str) -> uuid.UUID:
    """The id of an order's payment, the same every time it is asked for."""
    return uuid.uuid5(_PAYMENTS, f"{shop_id}\n{order_id}")


_SELECT = "SELECT * FROM payments"


async def of_order(conn: Connection, shop_id: str, order_id: str) -> Payment | None:
    row = await conn.fetchrow(
        f"{_SELECT} WHERE shop_id = $1 AND order_id = $2 FOR UPDATE", shop_id, order_id
    )
    return _payment(row) if row else None


async def by_id(conn: Connection, payment_id: uuid.UUID) -> Payment | None:
    row = await conn.fetchrow(f"{_SELECT} WHERE payment_id = $1 FOR UPDATE", payment_id)
    return _payment(row) if row else None


async def by_payment_intent(conn: Connection, intent_id: str) -> Payment | None:
    row = await conn.fetchrow(
        f"{_SELECT} WHERE payment_intent_id = $1 FOR UPDATE", intent_id
    )
    return _payment(row) if row else None


async def by_checkout_session(conn: Connection, session_id: str) -> Payment | None:
    row = await conn.fetchrow(
        f"{_SELECT} WHERE checkout_session_id = $1 FOR UPDATE", session_id
    )
    return _payment(row) if row else None


async def attach_checkout(
    conn: Connection, payment_id: uuid.UUID, session_id: str, url: str
) -> None:
    await conn.execute(
        "UPDATE payments SET checkout_session_id = $2, payment_url = $3, "
        "reference = $2, updated_at = now() WHERE payment_id = $1",
        payment_id,
        session_id,
        url,
    )


async def save_facts(
    conn: Connection,
    payment_id: uuid.UUID,
    facts: PaymentFacts,
    payment_intent_id: str | None = None,
) -> None:
    await conn.execute(
        "UPDATE payments SET captured = $2, refunded = $3, failed = $4, status = $5,"
        " payment_intent_id = coalesce(payment_intent_id, $6), updated_at = now()"
        " WHERE payment_id = $1",
        payment_id,
        facts.captured,
        facts.refunded,
        facts.failed,
        facts.status.value,
        payment_intent_id,
    )


@dataclass(frozen=True)
class Refund:
    refund_id: str
    amount: Decimal
    full: bool
    lines: tuple[tuple[str, int, Decimal], ...] = ()
    shipping: Decimal = Decimal(0)
    reason: str | None = None


async def record_refund(
    conn: Connection, payment_id: uuid.UUID, refund: Refund
) -> bool:
    """Record a refund once; False when it was already recorded."""
    lines = [
        [line_id, quantity, str(amount)] for line_id, quantity, amount in refund.lines
    ]
    status: str = await conn.execute(
        "INSERT INTO refunds (refund_id, payment_id, amount, full_refund, lines,"
        " shipping, reason) VALUES ($1, $2, $3, $4, $5, $6, $7) "
        "ON CONFLICT DO NOTHING",
        refund.refund_id,
        payment_id,
        refund.amount,
        refund.full,
        json.dumps(lines),
        refund.shipping,
        refund.reason,
    )
    return status.endswith(" 1")


async def refund(
    conn: Connection, payment_id: uuid.UUID, refund_id: str
) -> Refund | None:
    row = await conn.fetchrow(
        "SELECT * FROM refunds WHERE payment_id = $1 AND refund_id = $2",
        payment_id,
        refund_id,
    )
    if row is None:
        return None
    return Refund(
        refund_id=row["refund_id"],
        amount=row["amount"],
        full=row["full_refund"],
        lines=tuple(
            (line_id, quantity, Decimal(amount))
            for line_id, quantity, amount in json.loads(row["lines"])
        ),
        shipping=row["shipping"],
        reason=row["reason"],
    )


async def first_sight_of_gateway_event(
    conn: Connection, event_id: str, event_type: str
) -> bool:
    """Whether a provider's webhook event is new; it is recorded either way."""
    status: str = await conn.execute(
        "INSERT INTO gateway_events (event_id, event_type) VALUES ($1, $2) "
        "ON CONFLICT DO NOTHING",
        event_id,
        event_type,
    )
    return status.endswith(" 1")


def _payment(row: asyncpg.Record) -> Payment:
    return Payment(
        payment_id=row["payment_id"],
        shop_id=row["shop_id"],
        order_id=row["order_id"],
        amount=row["amount"],
        currency=row["currency"],
        source=row["source"],
        reference=row["reference"],
        payment_intent_id=row["payment_intent_id"],
        checkout_session_id=row["checkout_session_id"],
        facts=PaymentFacts(
            amount=row["amount"],
            captured=row["captured"],
            refunded=row["refunded"],
            failed=row["failed"],
        ),
    )
