"""Documents to PDF/A-3 with their Factur-X XML, rendered in worker processes.

WeasyPrint holds the CPU for tens of milliseconds per page, so it never runs
in the event loop: a `Renderer` hands each document to a pool of processes
started (and warmed up with a sample document) when the service starts, so
the first invoice is rendered as fast as the rest. At most two documents per
worker wait for the pool at a time, which bounds the memory a burst can take.
"""

from __future__ import annotations

import asyncio
import gc
import multiprocessing
import os
import string
import time
from collections.abc import AsyncIterator
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import asynccontextmanager
from datetime import UTC, date, datetime
from decimal import Decimal
from functools import cache

import jinja2
from markupsafe import Markup
from weasyprint import HTML

from orderflow.backbone.logging import get_logger
from orderflow.billing.adapters.facturx import (
    attachment,
    facturx_xml,
    with_facturx_metadata,
)
from orderflow.billing.domain.documents import (
    BankDetails,
    CreditedInvoice,
    Document,
    DocumentKind,
    DocumentLine,
    DocumentTotals,
    Party,
    PaymentTerms,
)
from orderflow.billing.domain.tax import VatCategory
from orderflow.billing.domain.wording import WORDING, words
from orderflow.billing.errors import RenderingFailed

PDF_VARIANT = "pdf/a-3b"
_READY_PAUSE = 0.02

log = get_logger(__name__)

_SEPARATORS = {
    "en": (",", "."),
    "de": (".", ","),
    "es": (".", ","),
    "fr": ("\u202f", ","),
}
_DATE_FORMATS = {"en": "%d %b %Y", "de": "%d.%m.%Y", "es": "%d/%m/%Y", "fr": "%d/%m/%Y"}


@cache
def _templates() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("orderflow.billing", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
    )


def css_string(text: str) -> Markup:
    """Text for the inside of a quoted CSS string, such as the page footer.

    HTML escaping does not apply inside a style sheet (it would print
    `&amp;`), so every character but letters, digits and spaces is written
    as a CSS escape instead.
    """
    escaped = "".join(c if c.isalnum() or c == " " else f"\\{ord(c):x} " for c in text)
    return Markup(escaped)  # noqa: S704 - nothing but letters, digits and spaces left


def document_html(document: Document) -> str:
    """The document as HTML, in its language."""
    language = document.language
    thousands, point = _SEPARATORS.get(language, _SEPARATORS["en"])

    def money(amount: Decimal) -> str:
        text = f"{amount:,.2f}"
        return text.replace(",", "\0").replace(".", point).replace("\0", thousands)

    def price(amount: Decimal) -> str:
        """A unit price to four places when cents would not give the line."""
        places = 2 if amount == round(amount, 2) else 4
        text = f"{amount:,.{places}f}"
        return text.replace(",", "\0").replace(".", point).replace("\0", thousands)

    def percent(rate: Decimal) -> str:
        return f"{(rate * 100).normalize():f} %".replace(".", point)

    def day(value: date | datetime | None) -> str:
        return value.strftime(_DATE_FORMATS.get(language, "%Y-%m-%d")) if value else ""

    notes = sorted(
        c.value for c in document.categories if c is not VatCategory.STANDARD
    )
    return (
        _templates()
        .get_template("document.html")
        .render(
            doc=document,
            w=words(language),
            money=money,
            price=price,
            percent=percent,
            date=day,
            notes=notes,
            css=css_string,
        )
    )


def render_pdf(document: Document) -> bytes:
    """Render the PDF/A-3 with the Factur-X XML attached, in this process."""
    pdf: bytes = HTML(string=document_html(document)).write_pdf(
        pdf_variant=PDF_VARIANT,
        attachments=[attachment(facturx_xml(document))],
        finisher=with_facturx_metadata(document),
    )
    return pdf


def _render_json(content: str) -> bytes:
    return render_pdf(Document.model_validate_json(content))


def _warm_up() -> None:
    """Load fonts, glyphs, templates and the XSD before the first real document.

    One sample per language and kind, with bank details and every exemption
    note, so that the first real invoice finds every code path warm. What
    the samples leave behind is collected, and what stays (fonts, caches) is
    frozen out of later collections, so that no early invoice pays for a
    full collection of the warm-up's objects.
    """
    for sample in samples():
        _render_json(sample.model_dump_json())
    gc.collect()
    gc.freeze()


def _worker_id() -> int:
    time.sleep(_READY_PAUSE)
    return os.getpid()


class Renderer:
    """Renders documents in a pool of worker processes."""

    def __init__(self, workers: int) -> None:
        self.workers = workers
        self._executor: ProcessPoolExecutor | None = None
        self._slots = asyncio.Semaphore(2 * workers)

    def _new_executor(self) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(
            max_workers=self.workers,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_warm_up,
        )

    async def start(self) -> None:
        self._executor = self._new_executor()
        await self._until_every_worker_is_warm(self._executor)

    async def _until_every_worker_is_warm(self, executor: ProcessPoolExecutor) -> None:
        """Wait until each worker has answered, so each has run its warm-up."""
        loop = asyncio.get_running_loop()
        seen: set[int] = set()
        while len(seen) < self.workers:
            answers = await asyncio.gather(
                *(
                    loop.run_in_executor(executor, _worker_id)
                    for _ in range(self.workers)
                )
            )
            seen.update(answers)

    async def stop(self) -> None:
        if self._executor is not None:
            await asyncio.to_thread(self._executor.shutdown, wait=True)
            self._executor = None

    async def render(self, document: Document) -> bytes:
        """The document's PDF; a crashed worker pool is replaced for the next one."""
        content = document.model_dump_json()
        async with self._slots:
            executor = self._executor
            if executor is None:
                raise RuntimeError("the renderer has not started")
            loop = asyncio.get_running_loop()
            try:
                return await loop.run_in_executor(executor, _render_json, content)
            except BrokenProcessPool:
                log.warning("renderer_pool.broken", document_number=document.number)
                if self._executor is executor:
                    executor.shutdown(wait=False)
                    self._executor = self._new_executor()
                raise RenderingFailed(document.number or "draft") from None

    @asynccontextmanager
    async def running(self) -> AsyncIterator[Renderer]:
        await self.start()
        try:
            yield self
        finally:
            await self.stop()


# Every glyph an invoice in these languages is likely to use, so the fonts'
# glyph caches are filled before the first real document, in regular and bold.
_ALL_GLYPHS = (
    string.ascii_letters
    + string.digits
    + string.punctuation
    + " ÀÂÄÆÇÈÉÊËÎÏÔŒÙÛÜàâäæçèéêëîïôœùûüÿßÖöÑñ€£§°·"
    + "\u2013\u2014\u2018\u2019\u201c\u201d\u201e\u2026"
)


def samples() -> list[Document]:
    """Small issued documents that between them use the whole template.

    Per language: an unpaid invoice with every glyph and exemption note, its
    credit note, and the same invoice laid out as most are. Without the last,
    each worker's first real invoice took about a tenth longer than the rest.
    """
    line = DocumentLine(
        position=1,
        description=_ALL_GLYPHS,
        quantity=Decimal(2),
        unit_price=Decimal("10.0050"),
        net=Decimal("20.01"),
        rate=Decimal("0.19"),
        tax=Decimal("3.80"),
        gross=Decimal("23.81"),
        category=VatCategory.STANDARD,
    )
    exempt = [
        line.model_copy(
            update={"category": category, "rate": Decimal(0), "tax": Decimal(0)}
        )
        for category in (VatCategory.REVERSE_CHARGE, VatCategory.EXPORT)
    ]
    invoice = Document(
        kind=DocumentKind.INVOICE,
        shop_id="generic:sample",
        order_id="sample",
        order_number="sample",
        language="en",
        currency="EUR",
        supplied_on=date(2025, 1, 1),
        seller=Party(name="Sample seller", country="DE", vat_id="DE136695976"),
        buyer=Party(name=_ALL_GLYPHS, country="FR", vat_id="FR40303265045"),
        lines=(line, *exempt),
        totals=DocumentTotals(
            net=Decimal("60.03"), tax=Decimal("3.80"), gross=Decimal("63.83")
        ),
        payment=PaymentTerms(
            paid=False,
            method="bank_transfer",
            reference="sample",
            due_date=date(2025, 1, 15),
            bank=BankDetails(bank_name="Bank", iban="DE89370400440532013000", bic="X"),
        ),
        number="SAMPLE-1",
        series="SAMPLE",
        issued_at=datetime(2025, 1, 1, tzinfo=UTC),
    )
    note = invoice.model_copy(
        update={
            "kind": DocumentKind.CREDIT_NOTE,
            "credited_invoice": CreditedInvoice(
                number="SAMPLE-1", issued_on=date(2025, 1, 1)
            ),
            "reason": "sample",
        }
    )
    return [
        document.model_copy(update={"language": language})
        for language in WORDING
        for document in (invoice, note, _typical(invoice))
    ]


def _typical_line(n: int) -> DocumentLine:
    net = Decimal("9.50") * n
    tax = (net * Decimal("0.19")).quantize(Decimal("0.01"))
    return DocumentLine(
        position=n,
        description=f"Product {n}",
        quantity=Decimal(n),
        unit_price=Decimal("9.50"),
        net=net,
        rate=Decimal("0.19"),
        tax=tax,
        gross=net + tax,
        category=VatCategory.STANDARD,
    )


def _typical(sample: Document) -> Document:
    """The sample laid out as most invoices are: short lines at one rate,
    both parties with an address, prices in cents."""
    address = {"line1": "Hauptstrasse 5", "postal_code": "10115", "city": "Berlin"}
    lines = tuple(_typical_line(n) for n in (1, 2, 3))
    return sample.model_copy(
        update={
            "seller": sample.seller.model_copy(update=address),
            "buyer": Party(name="Erika Muster", country="DE", **address),
            "lines": lines,
            "totals": DocumentTotals(
                net=sum((line.net for line in lines), Decimal(0)),
                tax=sum((line.tax for line in lines), Decimal(0)),
                gross=sum((line.gross for line in lines), Decimal(0)),
            ),
        }
    )
