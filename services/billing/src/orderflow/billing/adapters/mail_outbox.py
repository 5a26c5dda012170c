"""Email recorded for sending, and its sending: at most one send per Message-ID
that succeeds, retried with the same Message-ID after a failure."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta

from orderflow.backbone.database import Connection


@dataclass(frozen=True)
class OutgoingMail:
    message_id: str
    shop_id: str
    purpose: str
    recipient: str
    subject: str
    body: str
    document_id: uuid.UUID | None = None
    attempts: int = 0


async def record(conn: Connection, mail: OutgoingMail) -> None:
    """Record the mail in the caller's transaction; a second record is ignored."""
    await conn.execute(
        "INSERT INTO outgoing_mail (message_id, shop_id, purpose, document_id,"
        " recipient, subject, body) VALUES ($1, $2, $3, $4, $5, $6, $7) "
        "ON CONFLICT DO NOTHING",
        mail.message_id,
        mail.shop_id,
        mail.purpose,
        mail.document_id,
        mail.recipient,
        mail.subject,
        mail.body,
    )


async def claim_due(conn: Connection, limit: int) -> list[OutgoingMail]:
    """Lock mail due for sending; other senders skip it until this one commits."""
    rows = await conn.fetch(
        "SELECT * FROM outgoing_mail WHERE sent_at IS NULL AND failed_at IS NULL"
        " AND available_at <= now() ORDER BY available_at LIMIT $1"
        " FOR UPDATE SKIP LOCKED",
        limit,
    )
    return [
        OutgoingMail(
            message_id=row["message_id"],
            shop_id=row["shop_id"],
            purpose=row["purpose"],
            recipient=row["recipient"],
            subject=row["subject"],
            body=row["body"],
            document_id=row["document_id"],
            attempts=row["attempts"],
        )
        for row in rows
    ]


async def mark_sent(conn: Connection, message_id: str) -> None:
    await conn.execute(
        "UPDATE outgoing_mail SET sent_at = now(), attempts = attempts + 1"
        " WHERE message_id = $1",
        message_id,
    )


async def postpone(
    conn: Connection, message_id: str, delay: timedelta, error: str
) -> None:
    await conn.execute(
        "UPDATE outgoing_mail SET attempts = attempts + 1, error = $3,"
        " available_at = now() + $2 WHERE message_id = $1",
        message_id,
        delay,
        error,
    )


async def give_up(conn: Connection, message_id: str, error: str) -> None:
    await conn.execute(
        "UPDATE outgoing_mail SET attempts = attempts + 1, error = $2,"
        " failed_at = now() WHERE message_id = $1",
        message_id,
        error,
    )
