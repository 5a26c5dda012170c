"""Invoice numbers under concurrency and rollbacks; issued invoices stay as issued."""

from __future__ import annotations

import asyncio
import random
from datetime import UTC, datetime

import asyncpg
import pytest
from billing_orders import order_placed

from orderflow.billing.adapters import invoice_store
from orderflow.billing.domain.documents import Document, Party, PaymentTerms
from orderflow.billing.domain.invoicing import BillingOrder, draft_invoice

ISSUED_AT = datetime(2025, 6, 1, tzinfo=UTC)
WANTED = 1000
WORKERS = 10


class InjectedRollback(Exception):
    """Raised inside a transaction after it took a number."""


def _draft() -> Document:
    return draft_invoice(
        BillingOrder.from_event(order_placed()),
        seller=Party(name="Example Shop GmbH", country="DE", vat_id="DE136695976"),
        language="en",
        payment=PaymentTerms(paid=True, method="card", reference="pay-1"),
    )


async def _issue_until_done(
    pool: asyncpg.Pool, draft: Document, issued: list[str], rng: random.Random
) -> int:
    rollbacks = 0
    while len(issued) < WANTED:
        unique = draft.model_copy(update={"order_id": f"o-{rng.getrandbits(64)}"})
        try:
            async with pool.acquire() as conn, conn.transaction():
                document = await invoice_store.issue(conn, unique, issued_at=ISSUED_AT)
                await asyncio.sleep(0)
                if rng.random() < 0.2:
                    raise InjectedRollback
                issued.append(document.number)
        except InjectedRollback:
            rollbacks += 1
    return rollbacks


async def test_concurrent_issuers_with_rollbacks_leave_no_gap_and_no_duplicate(
    billing_pool: asyncpg.Pool,
) -> None:
    draft = _draft()
    issued: list[str] = []

    rngs = [random.Random(seed) for seed in range(WORKERS)]  # noqa: S311
    rollbacks = await asyncio.gather(
        *(_issue_until_done(billing_pool, draft, issued, rng) for rng in rngs)
    )

    positions = await billing_pool.fetch(
        "SELECT position FROM documents WHERE series = 'INV-2025' ORDER BY position"
    )
    assert sum(rollbacks) > 0
    assert [row["position"] for row in positions] == list(range(1, len(issued) + 1))
    assert len(set(issued)) == len(issued) >= WANTED


async def test_update_of_an_issued_invoice_is_refused(
    billing_pool: asyncpg.Pool,
) -> None:
    async with billing_pool.acquire() as conn:
        document = await invoice_store.issue(conn, _draft(), issued_at=ISSUED_AT)

        with pytest.raises(asyncpg.RestrictViolationError):
            await conn.execute(
                "UPDATE documents SET gross = 0 WHERE document_id = $1",
                document.document_id,
            )
        with pytest.raises(asyncpg.RestrictViolationError):
            await conn.execute(
                "DELETE FROM documents WHERE document_id = $1", document.document_id
            )
        with pytest.raises(asyncpg.RestrictViolationError):
            await conn.execute("TRUNCATE documents CASCADE")
        stored = await invoice_store.document(conn, document.document_id)

    assert stored.document == document.document


async def test_stored_pdf_of_an_issued_invoice_cannot_be_replaced(
    billing_pool: asyncpg.Pool,
) -> None:
    async with billing_pool.acquire() as conn:
        document = await invoice_store.issue(conn, _draft(), issued_at=ISSUED_AT)
        await invoice_store.store_pdf(conn, document.document_id, b"%PDF-first")
        await invoice_store.store_pdf(conn, document.document_id, b"%PDF-second")

        with pytest.raises(asyncpg.RestrictViolationError):
            await conn.execute(
                "UPDATE document_files SET pdf = 'x' WHERE document_id = $1",
                document.document_id,
            )
        stored = await invoice_store.pdf_of(conn, document.document_id)

    assert stored == b"%PDF-first"
