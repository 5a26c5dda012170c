"""Issued invoices and credit notes in PostgreSQL, and their gapless numbers."""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime

import asyncpg

from orderflow.backbone.database import Connection
from orderflow.billing.domain.documents import Document
from orderflow.billing.domain.numbering import document_number, series_for


@dataclass(frozen=True)
class IssuedDocument:
    document_id: uuid.UUID
    document: Document
    access_token: str

    @property
    def number(self) -> str:
        return self.document.number or ""


async def next_position(conn: Connection, shop_id: str, series: str) -> int:
    """Take the next number of a series; the counter row stays locked until
    the transaction ends, and a rollback gives the number back."""
    position: int = await conn.fetchval(
        """
        INSERT INTO document_counters AS c (shop_id, series, last_position)
        VALUES ($1, $2, 1)
        ON CONFLICT (shop_id, series)
        DO UPDATE SET last_position = c.last_position + 1
        RETURNING last_position
        """,
        shop_id,
        series,
    )
    return position


async def issue(
    conn: Connection,
    draft: Document,
    *,
    issued_at: datetime,
    credited_document_id: uuid.UUID | None = None,
    refund_id: str | None = None,
) -> IssuedDocument:
    """Number the draft in its series and store it, inside the caller's transaction.

    Call it as late as the transaction allows: the series stays locked for
    other issuers until the transaction commits.
    """
    series = series_for(draft.kind, issued_at)
    position = await next_position(conn, draft.shop_id, series)
    document = draft.issued(
        number=document_number(series, position), series=series, at=issued_at
    )
    issued = IssuedDocument(uuid.uuid4(), document, secrets.token_urlsafe(24))
    await conn.execute(
        """
        INSERT INTO documents (
            document_id, shop_id, order_id, kind, series, position, number,
            issued_at, currency, net, tax, gross, credited_document_id,
            refund_id, access_token, content
        ) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14,
                  $15, $16)
        """,
        issued.document_id,
        document.shop_id,
        document.order_id,
        document.kind.value,
        series,
        position,
        issued.number,
        issued_at,
        document.currency,
        document.totals.net,
        document.totals.tax,
        document.totals.gross,
        credited_document_id,
        refund_id,
        issued.access_token,
        document.model_dump_json(),
    )
    return issued


_COLUMNS = "document_id, access_token, content"


async def invoice_of_order(
    conn: Connection, shop_id: str, order_id: str
) -> IssuedDocument | None:
    row = await conn.fetchrow(
        f"SELECT {_COLUMNS} FROM documents "
        "WHERE shop_id = $1 AND order_id = $2 AND kind = 'invoice'",
        shop_id,
        order_id,
    )
    return _issued(row) if row else None


async def credit_note_of_refund(
    conn: Connection, shop_id: str, refund_id: str
) -> IssuedDocument | None:
    row = await conn.fetchrow(
        f"SELECT {_COLUMNS} FROM documents "
        "WHERE shop_id = $1 AND refund_id = $2 AND kind = 'credit_note'",
        shop_id,
        refund_id,
    )
    return _issued(row) if row else None


async def document(conn: Connection, document_id: uuid.UUID) -> IssuedDocument:
    row = await conn.fetchrow(
        f"SELECT {_COLUMNS} FROM documents WHERE document_id = $1", document_id
    )
    if row is None:
        raise LookupError(f"no document {document_id}")
    return _issued(row)


async def by_number(conn: Connection, number: str) -> list[IssuedDocument]:
    """The documents printed with `number`: one, unless several shops share it."""
    rows = await conn.fetch(
        f"SELECT {_COLUMNS} FROM documents WHERE number = $1", number
    )
    return [_issued(row) for row in rows]


async def pdf_of(conn: Connection, document_id: uuid.UUID) -> bytes | None:
    pdf: bytes | None = await conn.fetchval(
        "SELECT pdf FROM document_files WHERE document_id = $1", document_id
    )
    return pdf


async def store_pdf(conn: Connection, document_id: uuid.UUID, pdf: bytes) -> None:
    """Keep the first PDF rendered of a document; a later one is the same."""
    await conn.execute(
        "INSERT INTO document_files (document_id, pdf) VALUES ($1, $2) "
        "ON CONFLICT (document_id) DO NOTHING",
        document_id,
        pdf,
    )


async def unrendered(conn: Connection, limit: int) -> list[uuid.UUID]:
    rows = await conn.fetch(
        "SELECT d.document_id FROM documents d "
        "LEFT JOIN document_files f USING (document_id) "
        "WHERE f.document_id IS NULL ORDER BY d.issued_at LIMIT $1",
        limit,
    )
    return [row["document_id"] for row in rows]


def _issued(row: asyncpg.Record) -> IssuedDocument:
    return IssuedDocument(
        document_id=row["document_id"],
        document=Document.model_validate_json(row["content"]),
        access_token=row["access_token"],
    )


async def credit_notes_of(conn: Connection, invoice_id: uuid.UUID) -> int:
    """How many credit notes refer to the invoice."""
    count: int = await conn.fetchval(
        "SELECT count(*) FROM documents WHERE credited_document_id = $1", invoice_id
    )
    return count
