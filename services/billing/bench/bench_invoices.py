"""`make bench-invoices`: invoices rendered per second through billing's pool.

In one run, on the same invoices (the catalogue's example order):

- bare: WeasyPrint turns the invoice HTML into a PDF/A-3 in this one
  process, one document after another;
- same work: what a pool worker does (HTML, PDF/A-3, the Factur-X XML built,
  checked and attached), in this one process, for reference;
- pool: billing's `Renderer`, one worker per core, rendering all of them
  concurrently.

Each rate is the best of a few rounds taken in turn, since the host's other
load moves single figures a lot. It prints the pool's rate against the bare
rate times the workers (aim: at least 0.9), and the time of the first
document after the pool starts against the median of the next ones (aim:
no slower).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import time
from dataclasses import dataclass
from datetime import UTC, datetime

from weasyprint import HTML

from orderflow.billing.adapters.renderer import (
    PDF_VARIANT,
    Renderer,
    document_html,
    render_pdf,
)
from orderflow.billing.domain.documents import (
    BankDetails,
    Document,
    Party,
    PaymentTerms,
)
from orderflow.billing.domain.invoicing import BillingOrder, draft_invoice
from orderflow.contracts import examples


def invoices(count: int) -> list[Document]:
    """The catalogue's example order as `count` issued invoices."""
    order = BillingOrder.from_event(examples.EXAMPLES["order.placed.v1"])  # type: ignore[arg-type]
    seller = Party(
        name="Example Shop GmbH",
        line1="Musterstrasse 1",
        postal_code="10115",
        city="Berlin",
        country="DE",
        vat_id="DE136695976",
    )
    terms = PaymentTerms(
        paid=False,
        method="bank_transfer",
        reference=order.order_number,
        due_date=datetime(2025, 4, 1, tzinfo=UTC).date(),
        bank=BankDetails(
            bank_name="Example Bank", iban="DE89370400440532013000", bic="COBADEFFXXX"
        ),
    )
    draft = draft_invoice(order, seller=seller, language="de", payment=terms)
    issued_at = datetime(2025, 3, 14, tzinfo=UTC)
    return [
        draft.issued(number=f"INV-2025-{n:06d}", series="INV-2025", at=issued_at)
        for n in range(1, count + 1)
    ]


def bare_rate(pages: list[str]) -> float:
    started = time.perf_counter()
    for page in pages:
        HTML(string=page).write_pdf(pdf_variant=PDF_VARIANT)
    return len(pages) / (time.perf_counter() - started)


def whole_rate(documents: list[Document]) -> float:
    """The pool's work (with Factur-X) done in this one process, for reference."""
    started = time.perf_counter()
    for document in documents:
        render_pdf(document)
    return len(documents) / (time.perf_counter() - started)


async def pool_rate(renderer: Renderer, documents: list[Document]) -> float:
    started = time.perf_counter()
    await asyncio.gather(*(renderer.render(d) for d in documents))
    return len(documents) / (time.perf_counter() - started)


@dataclass
class Figures:
    bare: float = 0.0
    whole: float = 0.0
    pool: float = 0.0
    startup: float = 0.0
    first: float = 0.0
    following: float = 0.0


async def measure(documents: list[Document], workers: int, rounds: int) -> Figures:
    """Best of `rounds` for each rate, the three taken in turn in each round."""
    figures = Figures()
    pages = [document_html(document) for document in documents]
    render_pdf(documents[0])
    renderer = Renderer(workers)
    started = time.perf_counter()
    async with renderer.running():
        figures.startup = time.perf_counter() - started
        figures.first = await _timed(renderer, documents[0])
        following = [await _timed(renderer, d) for d in documents[1 : 1 + 2 * workers]]
        figures.following = statistics.median(following)
        for _ in range(rounds):
            figures.bare = max(figures.bare, bare_rate(pages))
            figures.whole = max(figures.whole, whole_rate(documents))
            figures.pool = max(figures.pool, await pool_rate(renderer, documents))
    return figures


async def _timed(renderer: Renderer, document: Document) -> float:
    started = time.perf_counter()
    await renderer.render(document)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--count", type=int, default=40, help="invoices per measurement"
    )
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--rounds", type=int, default=3, help="best of this many")
    args = parser.parse_args()
    cores = args.workers
    f = asyncio.run(measure(invoices(args.count), cores, args.rounds))

    rows = [
        ("invoices per measurement", f"{args.count}, best of {args.rounds} rounds"),
        ("bare WeasyPrint", f"{f.bare:.1f} invoices/s (one process, HTML to PDF/A-3)"),
        ("same work as the pool", f"{f.whole:.1f} invoices/s (one process, Factur-X)"),
        ("billing pool", f"{f.pool:.1f} invoices/s (Factur-X, {cores} workers)"),
        ("pool / (bare x workers)", f"{f.pool / (f.bare * cores):.2f} (aim >= 0.90)"),
        (
            "pool / (same x workers)",
            f"{f.pool / (f.whole * cores):.2f} (pool overhead)",
        ),
        ("pool start-up", f"{f.startup:.2f} s (workers spawned and warmed)"),
        ("first invoice after start", f"{f.first * 1000:.0f} ms"),
        ("median of the next", f"{f.following * 1000:.0f} ms (aim: first <= median)"),
    ]
    for name, value in rows:
        print(f"{name:<26}{value}")


if __name__ == "__main__":
    main()
