"""Invoices and credit notes as data: every field the invoice shows.

A `Document` holds what Directive 2006/112/EC, art. 226, asks of an invoice
(date, sequential number, both parties with VAT ids, what was supplied, the
date of supply, net amounts per rate, rates, tax, exemption mentions) and
what EN 16931 needs beside it. It is built once, stored with the issued
invoice and never changed; the PDF and the Factur-X XML are drawn from it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from pydantic import BaseModel, ConfigDict

from orderflow.billing.domain.tax import (
    ZERO,
    LineAmount,
    SupplyDecisions,
    TaxedAmount,
    VatCategory,
    round_money,
    sum_lines,
    tax_line,
)


class DocumentKind(StrEnum):
    INVOICE = "invoice"
    CREDIT_NOTE = "credit_note"


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True)


class Party(Frozen):
    name: str
    attention: str | None = None
    line1: str | None = None
    line2: str | None = None
    postal_code: str | None = None
    city: str | None = None
    country: str
    vat_id: str | None = None
    email: str | None = None

    @property
    def address_lines(self) -> tuple[str, ...]:
        town = " ".join(p for p in (self.postal_code, self.city) if p)
        parts = (self.attention, self.line1, self.line2, town, self.country)
        return tuple(p for p in parts if p)


class BankDetails(Frozen):
    bank_name: str
    iban: str
    bic: str


class PaymentTerms(Frozen):
    """Whether the document is paid, and if not, how to pay it."""

    paid: bool
    method: str
    reference: str
    due_date: date | None = None
    bank: BankDetails | None = None


class DocumentLine(Frozen):
    position: int
    description: str
    quantity: Decimal
    unit_price: Decimal
    net: Decimal
    rate: Decimal
    tax: Decimal
    gross: Decimal
    category: VatCategory
    line_id: str | None = None


class VatBreakdown(Frozen):
    category: VatCategory
    rate: Decimal
    taxable: Decimal
    tax: Decimal


class DocumentTotals(Frozen):
    net: Decimal
    tax: Decimal
    gross: Decimal


class CreditedInvoice(Frozen):
    number: str
    issued_on: date


class Document(Frozen):
    """An invoice or credit note, complete but for its number until issued."""

    kind: DocumentKind
    shop_id: str
    order_id: str
    order_number: str
    language: str
    currency: str
    supplied_on: date
    seller: Party
    buyer: Party
    deliver_to: Party | None = None
    lines: tuple[DocumentLine, ...]
    totals: DocumentTotals
    payment: PaymentTerms
    totals_disagree: bool = False
    credited_invoice: CreditedInvoice | None = None
    reason: str | None = None
    number: str | None = None
    series: str | None = None
    issued_at: datetime | None = None
    logo: str | None = None

    @property
    def breakdown(self) -> tuple[VatBreakdown, ...]:
        """Net and tax per VAT category and rate, from the rounded lines."""
        groups: dict[tuple[VatCategory, Decimal], list[DocumentLine]] = {}
        for line in self.lines:
            groups.setdefault((line.category, line.rate), []).append(line)
        return tuple(
            VatBreakdown(
                category=category,
                rate=rate,
                taxable=sum((line.net for line in lines), ZERO),
                tax=sum((line.tax for line in lines), ZERO),
            )
            for (category, rate), lines in groups.items()
        )

    @property
    def categories(self) -> frozenset[VatCategory]:
        return frozenset(line.category for line in self.lines)

    def issued(self, *, number: str, series: str, at: datetime) -> Document:
        """The same document with the number and time it was issued under."""
        return self.model_copy(
            update={"number": number, "series": series, "issued_at": at}
        )


class Charge(Frozen):
    """One thing charged for, before tax is decided: a product, shipping, a discount."""

    description: str
    quantity: Decimal
    amount: Decimal
    physical: bool
    line_id: str | None = None
    negative: bool = False


def document_lines(
    charges: Sequence[Charge],
    decisions: SupplyDecisions,
    *,
    taxes_included: bool,
    currency: str,
) -> tuple[DocumentLine, ...]:
    """Tax each charge on its own, as goods or as a service.

    A discount becomes a line of negative amounts.
    """
    lines = []
    for position, charge in enumerate(charges, start=1):
        taxed = tax_line(
            LineAmount(charge.amount, charge.physical),
            decisions.for_line(charge.physical),
            taxes_included=taxes_included,
            currency=currency,
        )
        lines.append(_line(position, charge, _signed(taxed, charge.negative)))
    return tuple(lines)


def totals_of(lines: Sequence[DocumentLine]) -> DocumentTotals:
    taxed = [
        TaxedAmount(line.net, line.rate, line.tax, line.gross, line.category)
        for line in lines
    ]
    totals = sum_lines(taxed)
    return DocumentTotals(net=totals.net, tax=totals.tax, gross=totals.gross)


def _signed(taxed: TaxedAmount, negative: bool) -> TaxedAmount:
    if not negative:
        return taxed
    return TaxedAmount(-taxed.net, taxed.rate, -taxed.tax, -taxed.gross, taxed.category)


def _line(position: int, charge: Charge, taxed: TaxedAmount) -> DocumentLine:
    quantity = -charge.quantity if charge.negative else charge.quantity
    return DocumentLine(
        position=position,
        description=charge.description,
        quantity=quantity,
        unit_price=(taxed.net / quantity).quantize(Decimal("0.0001")).normalize(),
        net=taxed.net,
        rate=taxed.rate,
        tax=taxed.tax,
        gross=taxed.gross,
        category=taxed.category,
        line_id=charge.line_id,
    )


def credit_lines(
    invoice: Document, refunded: Sequence[Charge], *, currency: str
) -> tuple[DocumentLine, ...]:
    """The lines of a credit note for gross amounts refunded on `invoice`.

    Each refunded charge takes the rate and category of the invoice line it
    names (by line id), or of the invoice's first line.
    """
    by_id = {line.line_id: line for line in invoice.lines if line.line_id}
    first = invoice.lines[0]
    lines = []
    for position, charge in enumerate(refunded, start=1):
        model = by_id.get(charge.line_id or "", first)
        tax = round_money(charge.amount * model.rate / (1 + model.rate), currency)
        taxed = TaxedAmount(
            charge.amount - tax, model.rate, tax, charge.amount, model.category
        )
        lines.append(_line(position, charge, taxed))
    return tuple(lines)
