"""Drafting invoices and credit notes from an order, without I/O."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from billing_orders import VALID_FR_VAT_ID, order_placed

from orderflow.billing.domain.documents import (
    Document,
    DocumentKind,
    Party,
    PaymentTerms,
)
from orderflow.billing.domain.invoicing import (
    BillingOrder,
    draft_credit_note,
    draft_invoice,
    refunded_charges,
)
from orderflow.billing.domain.numbering import document_number, series_for
from orderflow.billing.domain.payments import PaymentFacts, PaymentStatus
from orderflow.billing.domain.tax import VatCategory
from orderflow.billing.domain.wording import language_for
from orderflow.contracts import Address

SELLER = Party(name="Example Shop GmbH", country="DE", vat_id="DE136695976")
PAID = PaymentTerms(paid=True, method="card", reference="pay-1")


def _invoice(**order: Any) -> Document:
    billing_order = BillingOrder.from_event(order_placed(**order))
    return draft_invoice(billing_order, seller=SELLER, language="de", payment=PAID)


def test_domestic_invoice_matches_the_platforms_totals() -> None:
    invoice = _invoice()

    assert invoice.totals.gross == Decimal("46.40")
    assert invoice.totals.tax == Decimal("7.40")
    assert not invoice.totals_disagree


def test_platform_tax_that_differs_from_ours_is_flagged() -> None:
    placed = order_placed()
    totals = placed.totals.model_copy(update={"tax": Decimal("7.41")})
    order = BillingOrder.from_event(placed.model_copy(update={"totals": totals}))

    invoice = draft_invoice(order, seller=SELLER, language="de", payment=PAID)

    assert invoice.totals_disagree


def test_invoice_lines_cover_products_and_shipping() -> None:
    invoice = _invoice()

    assert [line.description for line in invoice.lines] == [
        "Async Python, the e-book",
        "Mug, blue",
        "DHL Paket",
    ]
    assert invoice.lines[1].quantity == 2


def test_reverse_charged_invoice_has_no_tax_and_names_both_vat_ids() -> None:
    invoice = _invoice(country="FR", vat_id=VALID_FR_VAT_ID, company="Exemple SARL")

    assert invoice.totals.tax == 0
    assert invoice.buyer.vat_id == VALID_FR_VAT_ID
    assert invoice.buyer.name == "Exemple SARL"
    assert invoice.categories == {
        VatCategory.REVERSE_CHARGE,
        VatCategory.INTRA_COMMUNITY,
    }


def test_goods_sent_abroad_are_taxed_there_and_the_ebook_at_home() -> None:
    gift = Address(name="Marie", line1="Rue 1", city="Lyon", country="FR")

    invoice = _invoice(shipping_address=gift)

    rates = {line.description: line.rate for line in invoice.lines}
    assert rates == {
        "Async Python, the e-book": Decimal("0.19"),
        "Mug, blue": Decimal("0.20"),
        "DHL Paket": Decimal("0.20"),
    }
    assert invoice.totals.tax == Decimal("7.60")
    assert [(b.rate, b.tax) for b in invoice.breakdown] == [
        (Decimal("0.19"), Decimal("3.03")),
        (Decimal("0.20"), Decimal("4.57")),
    ]
    assert invoice.totals_disagree


def _discounted(**order: Any) -> Document:
    placed = order_placed(**order)
    totals = placed.totals.model_copy(
        update={"discounts": Decimal("7.50"), "total": Decimal("41.40")}
    )
    discounted = BillingOrder.from_event(placed.model_copy(update={"totals": totals}))
    return draft_invoice(discounted, seller=SELLER, language="en", payment=PAID)


def test_order_discount_becomes_negative_lines_shared_by_goods_and_services() -> None:
    invoice = _discounted()

    discounts = [line for line in invoice.lines if line.description == "Discount"]
    assert [line.gross for line in discounts] == [Decimal("-2.71"), Decimal("-2.29")]
    assert invoice.totals.gross == Decimal("41.40")


def test_discount_share_of_exported_goods_carries_no_vat() -> None:
    abroad = Address(name="Jo", city="Boston", country="US")

    invoice = _discounted(shipping_address=abroad)

    goods, services = (line for line in invoice.lines if line.description == "Discount")
    assert (goods.category, goods.tax) == (VatCategory.EXPORT, Decimal(0))
    assert (services.rate, services.tax) == (Decimal("0.19"), Decimal("-0.37"))


def test_full_credit_note_repeats_the_invoice_lines() -> None:
    invoice = _invoice().issued(
        number="INV-2025-000001", series="INV-2025", at=datetime.now(UTC)
    )

    note = draft_credit_note(
        invoice, [], payment=PAID, refunded_on=invoice.supplied_on, reason=None
    )

    assert note.kind is DocumentKind.CREDIT_NOTE
    assert note.lines == invoice.lines
    assert note.credited_invoice is not None
    assert note.credited_invoice.number == "INV-2025-000001"
    assert note.number is None


def test_partial_credit_note_splits_the_refund_at_the_invoice_rate() -> None:
    invoice = _invoice().issued(
        number="INV-2025-000001", series="INV-2025", at=datetime.now(UTC)
    )
    charges = refunded_charges(
        invoice,
        amount=Decimal("16.15"),
        lines=[("line-2", 1, Decimal("11.25"))],
        shipping=Decimal("4.90"),
        full=False,
    )

    note = draft_credit_note(
        invoice, charges, payment=PAID, refunded_on=invoice.supplied_on, reason="x"
    )

    assert [line.description for line in note.lines] == ["Mug, blue", "Versand"]
    assert note.totals.gross == Decimal("16.15")
    assert note.lines[0].tax == Decimal("1.80")


def test_refunded_shipping_is_credited_at_the_shippings_vat_category() -> None:
    invoice = _invoice(country="FR", vat_id=VALID_FR_VAT_ID).issued(
        number="INV-2025-000001", series="INV-2025", at=datetime.now(UTC)
    )
    charges = refunded_charges(
        invoice, amount=Decimal("4.90"), lines=[], shipping=Decimal("4.90"), full=False
    )

    note = draft_credit_note(
        invoice, charges, payment=PAID, refunded_on=invoice.supplied_on, reason=None
    )

    assert invoice.lines[0].category is VatCategory.REVERSE_CHARGE
    assert [(line.description, line.category) for line in note.lines] == [
        ("Versand", VatCategory.INTRA_COMMUNITY)
    ]


def test_numbers_are_per_kind_and_year() -> None:
    at = datetime(2025, 12, 31, tzinfo=UTC)

    assert series_for(DocumentKind.CREDIT_NOTE, at) == "CN-2025"
    assert document_number("INV-2025", 42) == "INV-2025-000042"


def test_payment_state_follows_the_facts_in_any_order() -> None:
    def status(captured: str, refunded: str, failed: bool) -> PaymentStatus:
        return PaymentFacts(
            Decimal(10), Decimal(captured), Decimal(refunded), failed
        ).status

    assert status("0", "0", False) is PaymentStatus.REQUESTED
    assert status("0", "0", True) is PaymentStatus.FAILED
    assert status("10", "0", True) is PaymentStatus.CAPTURED
    assert status("10", "4", False) is PaymentStatus.PARTIALLY_REFUNDED
    assert status("0", "10", False) is PaymentStatus.REFUNDED


def test_language_follows_the_customers_locale() -> None:
    assert language_for("fr-CA", "en") == "fr"
    assert language_for("pt-BR", "de") == "de"
    assert language_for(None, "en") == "en"
