"""The PDF shows what art. 226 asks for, and carries a valid Factur-X XML."""

from __future__ import annotations

import asyncio
import io
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from billing_orders import VALID_FR_VAT_ID, order_placed
from billing_pdf import embedded_xml, pdf_text, shows
from billing_saxon import passes_schematron
from pypdf import PdfReader

from orderflow.billing.adapters.renderer import Renderer, render_pdf
from orderflow.billing.domain.documents import (
    BankDetails,
    Document,
    Party,
    PaymentTerms,
)
from orderflow.billing.domain.invoicing import (
    BillingOrder,
    draft_credit_note,
    draft_invoice,
)
from orderflow.billing.errors import RenderingFailed
from orderflow.contracts import Address

SELLER = Party(
    name="Example Shop GmbH",
    line1="Musterstrasse 1",
    postal_code="10115",
    city="Berlin",
    country="DE",
    vat_id="DE136695976",
)
PAID = PaymentTerms(paid=True, method="card", reference="pay-1")


def _invoice(language: str = "en", **order: Any) -> Document:
    draft = draft_invoice(
        BillingOrder.from_event(order_placed(**order)),
        seller=SELLER,
        language=language,
        payment=PAID,
    )
    return draft.issued(
        number="INV-2025-000007",
        series="INV-2025",
        at=datetime(2025, 3, 15, tzinfo=UTC),
    )


# Each VAT case: the order, the rate column, the total VAT, the mentions.
CASES = {
    "domestic": ({}, "19 % S", "7.40 EUR", ()),
    "domestic_net_prices": ({"taxes_included": False}, "19 % S", "8.82 EUR", ()),
    "eu_consumer": ({"country": "FR"}, "20 % S", "7.74 EUR", ()),
    "eu_business_reverse_charge": (
        {"country": "FR", "vat_id": VALID_FR_VAT_ID, "company": "Exemple SARL"},
        "0 % AE",
        "0.00 EUR",
        ("Reverse charge", "Exempt intra-community supply"),
    ),
    "export": ({"country": "US"}, "0 % G", "0.00 EUR", ("Export outside the EU",)),
    "goods_sent_to_another_member_state": (
        {"shipping_address": Address(name="Marie", city="Lyon", country="FR")},
        "20 % S",
        "7.60 EUR",
        (),
    ),
}


def _mandatory(document: Document) -> list[str]:
    """What art. 226 of Directive 2006/112/EC asks the invoice to show."""
    seller, buyer = document.seller, document.buyer
    lines = [f"{line.description} {line.quantity}" for line in document.lines] + [
        f"{line.net:.2f} {line.tax:.2f} {line.gross:.2f}" for line in document.lines
    ]
    return [
        "Date of issue 15 Mar 2025",
        f"Invoice {document.number}",
        f"VAT ID: {seller.vat_id}",
        seller.name,
        *seller.address_lines,
        buyer.name,
        *buyer.address_lines,
        *lines,
        "Date of supply 14 Mar 2025",
        "Unit price (net)",
        f"Total net {document.totals.net:.2f} EUR",
    ]


@pytest.mark.parametrize(
    ("order", "rate", "vat", "mentions"), CASES.values(), ids=CASES
)
def test_invoice_shows_the_mandatory_fields_and_the_vat_of_its_case(
    tmp_path: Path, order: dict[str, Any], rate: str, vat: str, mentions: tuple[str]
) -> None:
    invoice = _invoice(**order)

    text = pdf_text(render_pdf(invoice), tmp_path)

    missing = [shown for shown in _mandatory(invoice) if not shows(text, shown)]
    assert missing == []
    assert shows(text, rate)
    assert shows(text, f"Total VAT {vat}")
    assert all(shows(text, mention) for mention in mentions)
    if "vat_id" in order:
        assert shows(text, f"VAT ID: {VALID_FR_VAT_ID}")


@pytest.mark.parametrize("order", [case[0] for case in CASES.values()], ids=CASES)
def test_embedded_xml_of_each_case_passes_the_facturx_checks(
    order: dict[str, Any], saxon_url: str
) -> None:
    invoice = _invoice(**order)

    xml = embedded_xml(render_pdf(invoice))

    assert passes_schematron(xml, saxon_url)
    assert b"<ram:ID>INV-2025-000007</ram:ID>" in xml


def test_pdf_says_it_is_pdf_a_3b_carrying_factur_x_en_16931() -> None:
    catalog: Any = PdfReader(io.BytesIO(render_pdf(_invoice()))).trailer["/Root"]

    xmp = catalog["/Metadata"].get_object().get_data()
    attached = [spec.get_object() for spec in catalog["/AF"]]
    assert b"<pdfaid:part>3</pdfaid:part>" in xmp
    assert b"<pdfaid:conformance>B</pdfaid:conformance>" in xmp
    assert b"<fx:ConformanceLevel>EN 16931</fx:ConformanceLevel>" in xmp
    assert b"<fx:DocumentFileName>factur-x.xml</fx:DocumentFileName>" in xmp
    assert [(f["/F"], f["/AFRelationship"]) for f in attached] == [
        ("factur-x.xml", "/Data")
    ]
    assert "/OutputIntents" in catalog


def test_intra_community_supply_names_the_country_the_goods_went_to() -> None:
    shipped = Address(name="Lager", line1="Rue 1", city="Lyon", country="FR")
    reverse_charged = {"country": "FR", "vat_id": VALID_FR_VAT_ID}

    xml = embedded_xml(
        render_pdf(_invoice(shipping_address=shipped, **reverse_charged))
    )

    ship_to = xml.split(b"<ram:ShipToTradeParty>")[1].split(b"</ram:ShipToTradeParty>")[
        0
    ]
    assert b"<ram:Name>Lager</ram:Name>" in ship_to
    assert b"<ram:CountryID>FR</ram:CountryID>" in ship_to
    assert b"<ram:CategoryCode>K</ram:CategoryCode>" in xml


def test_page_footer_prints_the_sellers_name_as_written(tmp_path: Path) -> None:
    seller = SELLER.model_copy(update={"name": 'Smith & Sons "Ltd" </style>'})
    invoice = _invoice().model_copy(update={"seller": seller})

    text = pdf_text(render_pdf(invoice), tmp_path)

    assert shows(text, 'Smith & Sons "Ltd" </style> · VAT ID DE136695976')
    assert "&amp;" not in text


@pytest.mark.parametrize(
    ("language", "shown"),
    [
        ("de", ("Rechnung INV-2025-000007", "Rechnungsdatum 15.03.2025", "46,40 EUR")),
        ("fr", ("Facture INV-2025-000007", "Date d'émission 15/03/2025", "46,40 EUR")),
        (
            "es",
            ("Factura INV-2025-000007", "Fecha de expedición 15/03/2025", "46,40 EUR"),
        ),
    ],
)
def test_invoice_is_in_the_customers_language(
    tmp_path: Path, language: str, shown: tuple[str, ...]
) -> None:
    text = pdf_text(render_pdf(_invoice(language=language)), tmp_path)

    assert [words for words in shown if not shows(text, words)] == []


async def test_credit_note_rendered_in_the_pool_refers_to_its_invoice(
    tmp_path: Path, saxon_url: str
) -> None:
    invoice = _invoice()
    note = draft_credit_note(
        invoice, [], payment=PAID, refunded_on=invoice.supplied_on, reason="returned"
    ).issued(number="CN-2025-000001", series="CN-2025", at=datetime.now(UTC))

    async with Renderer(workers=1).running() as renderer:
        pdf = await renderer.render(note)

    text = pdf_text(pdf, tmp_path)
    assert shows(text, "Credit note CN-2025-000001")
    assert shows(text, "Credits invoice INV-2025-000007 of 15 Mar 2025")
    xml = embedded_xml(pdf)
    assert b"<ram:TypeCode>381</ram:TypeCode>" in xml
    assert passes_schematron(xml, saxon_url)


def test_unpaid_invoice_shows_the_bank_details(tmp_path: Path) -> None:
    bank = BankDetails(
        bank_name="Example Bank", iban="DE89370400440532013000", bic="COBADEFFXXX"
    )
    unpaid = PaymentTerms(
        paid=False,
        method="bank_transfer",
        reference="#1001",
        due_date=datetime(2025, 3, 29, tzinfo=UTC).date(),
        bank=bank,
    )
    invoice = _invoice().model_copy(update={"payment": unpaid})

    text = pdf_text(render_pdf(invoice), tmp_path)

    assert shows(text, "IBAN DE89370400440532013000")
    assert shows(text, "29 Mar 2025")


async def test_a_burst_of_documents_waits_outside_the_pool() -> None:
    invoices = [
        _invoice().model_copy(update={"number": f"INV-2025-{n:06d}"}) for n in range(12)
    ]
    handed: list[int] = []

    async with Renderer(workers=1).running() as renderer:
        executor = renderer._executor
        assert executor is not None

        async def watch() -> None:
            while True:
                handed.append(len(executor._pending_work_items))
                await asyncio.sleep(0.01)

        watcher = asyncio.create_task(watch())
        pdfs = await asyncio.gather(*(renderer.render(i) for i in invoices))
        watcher.cancel()

    assert all(pdf.startswith(b"%PDF") for pdf in pdfs)
    assert max(handed) <= 2


async def test_renderer_replaces_a_pool_whose_worker_died() -> None:
    invoice = _invoice()

    async with Renderer(workers=1).running() as renderer:
        executor = renderer._executor
        assert executor is not None
        for process in list(executor._processes.values()):
            process.kill()
        with pytest.raises(RenderingFailed):
            await renderer.render(invoice)
        pdf = await renderer.render(invoice)

    assert pdf.startswith(b"%PDF")


def test_shop_logo_is_drawn_on_the_invoice(tmp_path: Path) -> None:
    logo = tmp_path / "logo.svg"
    logo.write_text(
        '<svg xmlns="http://www.w3.org/2000/svg" width="120" height="40">'
        '<rect width="120" height="40" fill="#1a5"/></svg>'
    )
    logo_colour = b"0.066667 0.666667 0.333333 rg"

    pdf = render_pdf(_invoice().model_copy(update={"logo": logo.as_uri()}))

    contents = PdfReader(io.BytesIO(pdf)).pages[0].get_contents()
    assert contents is not None
    assert logo_colour in contents.get_data()
