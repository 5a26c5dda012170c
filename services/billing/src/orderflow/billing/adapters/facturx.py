"""The Factur-X (EN 16931) XML of a document, and the PDF that carries it.

The `factur-x` package builds the Cross Industry Invoice XML from EN 16931
business terms (BT-1, BT-2...), checks it against the XSD, and writes the
XMP metadata Factur-X asks for. WeasyPrint attaches the XML to the PDF/A-3
as it renders it, so the PDF is written once rather than rewritten.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pydyf  # type: ignore[import-untyped]
from facturx import generate_cii_xml
from facturx.facturx import (
    FACTURX_FILENAME,
    FACTURX_LEVEL2xmp,
    generate_xmp_object,
)
from lxml import etree  # type: ignore[import-untyped]
from weasyprint import Attachment

from orderflow.billing.domain.documents import Document, DocumentKind, Party
from orderflow.billing.domain.tax import VatCategory
from orderflow.billing.domain.wording import EXEMPTION_REASONS

LEVEL = "en16931"
PRODUCER = "Orderflow billing (WeasyPrint, factur-x)"
TYPE_CODES = {DocumentKind.INVOICE: "380", DocumentKind.CREDIT_NOTE: "381"}
# UNTDID 4461: 58 is a SEPA credit transfer, 48 a card payment.
BANK_TRANSFER_CODE = "58"
CARD_CODE = "48"


def facturx_xml(document: Document) -> bytes:
    """The CII XML at the EN 16931 level, checked against its XSD."""
    xml: bytes = generate_cii_xml(
        business_terms(document), level=LEVEL, check_xsd=True, check_schematron=False
    )
    return xml


def attachment(xml: bytes) -> Attachment:
    """The XML as the PDF/A-3 attachment Factur-X names and relates to the PDF."""
    encoded = base64.b64encode(xml).decode()
    return Attachment(
        url=f"data:text/xml;base64,{encoded}",
        name=FACTURX_FILENAME,
        description="Factur-X invoice",
        relationship="Data",
    )


def with_facturx_metadata(document: Document) -> Callable[[Any, Any], None]:
    """A WeasyPrint finisher that writes the Factur-X XMP metadata.

    PDF/A wants the document information dictionary to say what the XMP
    says, so both are written from the same values; the time is the
    document's date of issue, so rendering twice gives the same metadata.
    """
    kind = "Invoice" if document.kind is DocumentKind.INVOICE else "Credit note"
    issued_at = _issued_at(document)
    values = {
        "title": f"{document.seller.name}: {kind} {document.number}",
        "author": document.seller.name,
        "subject": f"{kind} {document.number} issued by {document.seller.name}",
        "producer": PRODUCER,
        "creator_tool": PRODUCER,
        "timestamp": issued_at.isoformat(timespec="seconds"),
    }
    xmp = _xmp(values)

    def finish(_: Any, pdf: Any) -> None:
        stream = pydyf.Stream([xmp], {"Type": "/Metadata", "Subtype": "/XML"})
        pdf.add_object(stream)
        pdf.catalog["Metadata"] = stream.reference
        if "AF" in pdf.catalog:
            pdf.catalog["AF"] = pydyf.Array(dict.fromkeys(pdf.catalog["AF"]))
        pdf_date = pydyf.String(issued_at.strftime("D:%Y%m%d%H%M%S+00'00'"))
        pdf.info.update(
            {
                "Title": pydyf.String(values["title"]),
                "Author": pydyf.String(values["author"]),
                "Subject": pydyf.String(values["subject"]),
                "Producer": pydyf.String(PRODUCER),
                "Creator": pydyf.String(PRODUCER),
                "CreationDate": pdf_date,
                "ModDate": pdf_date,
            }
        )

    return finish


def _xmp(values: dict[str, str]) -> bytes:
    root = generate_xmp_object(
        values
        | {
            "pdfa3_flavor": "B",
            "version": "1.0",
            "documenttype": "INVOICE",
            "xml_filename": FACTURX_FILENAME,
            "xmp_level": FACTURX_LEVEL2xmp[LEVEL],
            "urn": "urn:factur-x:pdfa:CrossIndustryDocument:invoice:1p0#",
        }
    )
    body: bytes = etree.tostring(root, encoding="utf-8")
    head = '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>\n'.encode()
    return head + body + b'\n<?xpacket end="w"?>'


def _issued_at(document: Document) -> datetime:
    if document.issued_at is None:
        raise ValueError("a draft has no Factur-X metadata: issue it first")
    return document.issued_at.astimezone(UTC)


def business_terms(document: Document) -> dict[str, Any]:
    """The document as the EN 16931 business terms `factur-x` builds XML from."""
    issued_on = _issued_on(document)
    terms: dict[str, Any] = {
        "BT-24": "urn:cen.eu:en16931:2017",
        "BT-1": document.number,
        "BT-2": issued_on,
        "BT-3": TYPE_CODES[document.kind],
        "BT-5": document.currency,
        "BT-13": document.order_number,
        "BT-72": document.supplied_on,
        "BG-4": _party(document.seller),
        "BG-7": _party(document.buyer),
        **_payment(document, issued_on),
        "BG-23": [_breakdown(entry) for entry in document.breakdown],
        "BT-106": _money(document.totals.net),
        "BT-109": _money(document.totals.net),
        "BT-110": _money(document.totals.tax),
        "BT-112": _money(document.totals.gross),
        "BG-25": [_line(line) for line in document.lines],
    }
    if document.credited_invoice is not None:
        terms["BG-3"] = [
            {
                "BT-25": document.credited_invoice.number,
                "BT-26": document.credited_invoice.issued_on,
            }
        ]
    deliver_to = _deliver_to(document)
    if deliver_to is not None:
        terms["BG-13"] = deliver_to
    return terms


def _deliver_to(document: Document) -> dict[str, Any] | None:
    """Where the goods went (BG-13); an intra-community supply must say so."""
    party = document.deliver_to
    if party is None and VatCategory.INTRA_COMMUNITY in document.categories:
        party = document.buyer
    if party is None:
        return None
    return _party(party.model_copy(update={"vat_id": None, "email": None}))


def _issued_on(document: Document) -> date:
    if document.issued_at is None:
        raise ValueError("a draft has no Factur-X XML: issue it first")
    return document.issued_at.date()


def _party(party: Party) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "name": party.name,
        "vat_identifier": party.vat_id,
        "addr_l1": party.line1,
        "addr_l2": party.line2,
        "postcode": party.postal_code,
        "city": party.city,
        "country_code": party.country,
    }
    if party.email:
        fields["contacts"] = [{"email": party.email}]
    return {key: value for key, value in fields.items() if value}


def _payment(document: Document, issued_on: date) -> dict[str, Any]:
    payment = document.payment
    paid = payment.paid or document.kind is DocumentKind.CREDIT_NOTE
    terms: dict[str, Any] = {
        "BT-113": _money(document.totals.gross if paid else Decimal(0)),
        "BT-115": _money(Decimal(0) if paid else document.totals.gross),
        "BT-83": payment.reference,
    }
    if payment.bank is None:
        terms["BT-81"] = CARD_CODE
    else:
        terms |= {
            "BT-81": BANK_TRANSFER_CODE,
            "BT-84": payment.bank.iban.replace(" ", ""),
            "BT-86": payment.bank.bic,
        }
    if not paid:
        terms["BT-9"] = payment.due_date or issued_on + timedelta(days=14)
    return terms


def _breakdown(entry: Any) -> dict[str, Any]:
    terms = {
        "BT-116": _money(entry.taxable),
        "BT-117": _money(entry.tax),
        "BT-118": entry.category.value,
        "BT-119": _percent(entry.rate),
    }
    reason = EXEMPTION_REASONS.get(entry.category)
    if reason:
        terms["BT-120"] = reason
    return terms


def _line(line: Any) -> dict[str, Any]:
    return {
        "BT-126": str(line.position),
        "BT-153": line.description,
        "BT-146": _price(abs(line.unit_price)),
        "BT-129": str(line.quantity),
        "BT-130": "C62",
        "BT-131": _money(line.net),
        "BT-151": line.category.value,
        "BT-152": _percent(line.rate),
    }


def _money(amount: Decimal) -> str:
    return format(amount.quantize(Decimal("0.01")), "f")


def _price(price: Decimal) -> str:
    """A net unit price to four places, so quantity x price gives the line."""
    return format(price.quantize(Decimal("0.0001")), "f")


def _percent(rate: Decimal) -> str:
    return format((rate * 100).quantize(Decimal("0.01")), "f")
