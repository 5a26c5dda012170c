"""`make bench-invoices`: invoices rendered per second through billing's pool.

In one run, on the same invoices (the catalogue's example order, each one
to another customer for another product):

- bare: WeasyPrint turns the invoice HTML into a PDF/A-3 in this one
  process, one document after another;
- same work: what a pool worker does (HTML, PDF/A-3, the Factur-X XML built,
  checked and attached), in this one process, for reference;
- pool: billing's `Renderer`, one worker per core, rendering all of them
  concurrently.

Each round starts a fresh pool, times its first invoice and the next ten
one at a time, then takes the three rates in turn. It prints each rate's
best and its spread over the rounds, the pool's rate against the bare rate
times the workers (aim: at least 0.9), both of the bests and round by
round, and the first invoice after start against the next ones (aim: no
slower). The host's other load moves single figures a lot: read the
spreads before the bests.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

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
    """The catalogue's example order as `count` issued invoices, each to
    another customer for another product."""
    placed: Any = examples.EXAMPLES["order.placed.v1"]
    order = BillingOrder.from_event(placed)
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
        _varied(draft, n).issued(
            number=f"INV-2025-{n:06d}", series="INV-2025", at=issued_at
        )
        for n in range(1, count + 1)
    ]


_FIRST_NAMES = ("Anna", "Jonas", "Léa", "Mehmet", "Sofia", "Lukas", "María", "Noah")
_LAST_NAMES = ("Beispiel", "Müller", "Dubois", "Kaya", "Rossi", "Nowak", "García")
_TOWNS = (("10115", "Berlin"), ("80331", "München"), ("50667", "Köln"))
_PRODUCTS = ("Mug", "Poster", "Notebook", "T-shirt", "Tote bag", "Sticker set")
_COLOURS = ("blue", "red", "green", "black", "white")


def _varied(draft: Document, n: int) -> Document:
    """The draft for another customer and product, as a day's invoices differ.

    Identical pages would let WeasyPrint's text caches serve every invoice
    after the first, which real invoices never allow.
    """
    postal_code, city = _TOWNS[n % len(_TOWNS)]
    buyer = draft.buyer.model_copy(
        update={
            "name": f"{_FIRST_NAMES[n % 8]} {_LAST_NAMES[n % 7]}",
            "line1": f"Hauptstraße {n}",
            "postal_code": postal_code,
            "city": city,
        }
    )
    ebook, mugs, *rest = draft.lines
    product = f"{_PRODUCTS[n % 6]}, {_COLOURS[n % 5]}"
    lines = (ebook, mugs.model_copy(update={"description": product}), *rest)
    return draft.model_copy(update={"buyer": buyer, "lines": lines})


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


# How many invoices after the first are timed one at a time, for a median.
FOLLOWING = 11


@dataclass
class Round:
    """One round's figures, each taken on a freshly started pool."""

    bare: float
    whole: float
    pool: float
    startup: float
    first: float
    following: float


async def measure_round(
    documents: list[Document], pages: list[str], workers: int
) -> Round:
    """Start a pool, time its first invoice and the next ones, then the rates."""
    renderer = Renderer(workers)
    started = time.perf_counter()
    async with renderer.running():
        startup = time.perf_counter() - started
        first = await _timed(renderer, documents[0])
        following = [await _timed(renderer, d) for d in documents[1:FOLLOWING]]
        pool = await pool_rate(renderer, documents)
    return Round(
        bare=bare_rate(pages),
        whole=whole_rate(documents),
        pool=pool,
        startup=startup,
        first=first,
        following=statistics.median(following),
    )


async def measure(documents: list[Document], workers: int, rounds: int) -> list[Round]:
    pages = [document_html(document) for document in documents]
    render_pdf(documents[0])
    return [await measure_round(documents, pages, workers) for _ in range(rounds)]


async def _timed(renderer: Renderer, document: Document) -> float:
    started = time.perf_counter()
    await renderer.render(document)
    return time.perf_counter() - started


def _spread(values: list[float], digits: int = 1, unit: str = "") -> str:
    return f"{min(values):.{digits}f}-{max(values):.{digits}f}{unit}"


def report(rounds: list[Round], count: int, workers: int) -> list[tuple[str, str]]:
    """The figures as rows of a table: bests, with each figure's spread."""
    best = Round(
        bare=max(r.bare for r in rounds),
        whole=max(r.whole for r in rounds),
        pool=max(r.pool for r in rounds),
        startup=statistics.median(r.startup for r in rounds),
        first=statistics.median(r.first for r in rounds),
        following=statistics.median(r.following for r in rounds),
    )
    paired = [r.pool / (r.bare * workers) for r in rounds]
    slower = sum(r.first > r.following for r in rounds)
    bare, whole, pool = (
        [r.bare for r in rounds],
        [r.whole for r in rounds],
        [r.pool for r in rounds],
    )
    return [
        ("invoices per measurement", f"{count}, {len(rounds)} rounds, fresh pool each"),
        ("bare WeasyPrint", f"{best.bare:.1f}/s best, {_spread(bare)} (one process)"),
        ("same work as the pool", f"{best.whole:.1f}/s best, {_spread(whole)}"),
        (
            "billing pool",
            f"{best.pool:.1f}/s best, {_spread(pool)} ({workers} workers)",
        ),
        (
            "pool / (bare x workers)",
            f"{best.pool / (best.bare * workers):.2f} of the bests, "
            f"{_spread(paired, 2)} round by round (aim >= 0.90)",
        ),
        ("pool / (same x workers)", f"{best.pool / (best.whole * workers):.2f}"),
        ("pool start-up", f"{best.startup:.2f} s median (spawned and warmed)"),
        (
            "first invoice after start",
            f"{best.first * 1000:.0f} ms median, "
            f"{_spread([r.first * 1000 for r in rounds], 0, ' ms')}",
        ),
        (
            "next invoices",
            f"{best.following * 1000:.0f} ms median; the first was slower "
            f"in {slower} of {len(rounds)} rounds",
        ),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--count", type=int, default=40, help="invoices per measurement"
    )
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--rounds", type=int, default=3, help="rounds to take")
    args = parser.parse_args()
    rounds = asyncio.run(measure(invoices(args.count), args.workers, args.rounds))

    for name, value in report(rounds, args.count, args.workers):
        print(f"{name:<26}{value}")


if __name__ == "__main__":
    main()
