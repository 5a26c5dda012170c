"""Orders through billing without a Stripe key: real RabbitMQ, PostgreSQL, SMTP."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from billing_flow import BillingUnderTest, billing_running, settle
from billing_orders import order_placed
from billing_pdf import embedded_xml, pdf_text, shows
from billing_saxon import passes_schematron

from orderflow.backbone.dead_letters import DeadLetter
from orderflow.backbone.testing import dead_letters, eventually
from orderflow.contracts import OrderCancelled, OrderRefunded, RefundedLine


@pytest.fixture(scope="module")
async def billing(amqp_url: str, database_url: str) -> AsyncIterator[BillingUnderTest]:
    async with billing_running(amqp_url, database_url) as running:
        yield running


def _attachment(message: object) -> bytes:
    for part in message.iter_attachments():  # type: ignore[attr-defined]
        payload: bytes = part.get_content()
        return payload
    raise AssertionError("no attachment")


async def test_paid_order_is_invoiced_and_mailed_once(
    billing: BillingUnderTest, tmp_path: Path, saxon_url: str
) -> None:
    placed = order_placed(paid=True)

    await billing.publish(placed)
    await billing.wait_handled(await billing.publish(placed))
    invoices = await billing.wait_for_events("invoice.issued.v1", placed.order_id)
    mails = await billing.wait_for_mail(invoices[0]["invoice_number"])
    await settle()

    captured = await billing.events("payment.captured.v1", placed.order_id)
    assert [c["source"] for c in captured] == ["platform"]
    assert invoices[0]["totals_disagree"] is False
    assert len(await billing.events("invoice.issued.v1", placed.order_id)) == 1
    assert len(billing.smtp.with_id(mails[0]["Message-ID"])) == 1
    pdf = _attachment(mails[0])
    assert shows(pdf_text(pdf, tmp_path), f"Rechnung {invoices[0]['invoice_number']}")
    xml = embedded_xml(pdf)
    assert b"<ram:TypeCode>380</ram:TypeCode>" in xml
    assert passes_schematron(xml, saxon_url)


async def test_platform_totals_that_disagree_are_flagged_on_the_invoice(
    billing: BillingUnderTest,
) -> None:
    placed = order_placed(paid=True)
    wrong = placed.totals.model_copy(update={"tax": Decimal("7.45")})

    await billing.publish(placed.model_copy(update={"totals": wrong}))
    invoices = await billing.wait_for_events("invoice.issued.v1", placed.order_id)

    assert invoices[0]["totals_disagree"] is True
    assert invoices[0]["totals"]["tax"] == "7.40"


async def test_unpaid_order_without_stripe_gets_bank_details_on_its_invoice(
    billing: BillingUnderTest, tmp_path: Path
) -> None:
    placed = order_placed(paid=False, locale="en-GB")

    await billing.publish(placed)
    requested = await billing.wait_for_events("payment.requested.v1", placed.order_id)
    invoices = await billing.wait_for_events("invoice.issued.v1", placed.order_id)
    mails = await billing.wait_for_mail(invoices[0]["invoice_number"])

    assert requested[0]["method"] == "bank_transfer"
    assert requested[0]["reference"] == placed.order_number
    text = pdf_text(_attachment(mails[0]), tmp_path)
    assert shows(text, "IBAN DE89370400440532013000")
    assert shows(text, "Please pay by bank transfer by")


async def test_refund_issues_credit_note_for_the_invoice(
    billing: BillingUnderTest, tmp_path: Path
) -> None:
    placed = order_placed(paid=True, locale="en-US")
    await billing.publish(placed)
    invoices = await billing.wait_for_events("invoice.issued.v1", placed.order_id)
    refund = OrderRefunded(
        shop_id=placed.shop_id,
        order_id=placed.order_id,
        platform_order_id=placed.platform_order_id,
        refund_id="refund-1",
        refunded_at=datetime(2025, 3, 20, tzinfo=UTC),
        amount=Decimal("11.25"),
        currency="EUR",
        lines=(RefundedLine(line_id="line-2", quantity=1, amount=Decimal("11.25")),),
        full=False,
    )

    await billing.publish(refund)
    await billing.wait_handled(await billing.publish(refund))
    notes = await billing.wait_for_events("credit_note.issued.v1", placed.order_id)
    mails = await billing.wait_for_mail(notes[0]["credit_note_number"])
    await settle()

    refunded = await billing.events("payment.refunded.v1", placed.order_id)
    assert [r["amount"] for r in refunded] == ["11.25"]
    assert len(await billing.events("credit_note.issued.v1", placed.order_id)) == 1
    assert notes[0]["invoice_number"] == invoices[0]["invoice_number"]
    assert notes[0]["credit_note_number"].startswith("CN-")
    assert notes[0]["series"] != invoices[0]["series"]
    assert notes[0]["totals"]["gross"] == "11.25"
    text = pdf_text(_attachment(mails[0]), tmp_path)
    assert shows(text, f"Credits invoice {invoices[0]['invoice_number']}")
    rows = await billing.fetch(
        "SELECT status FROM payments WHERE order_id = $1", placed.order_id
    )
    assert rows[0]["status"] == "partially_refunded"


@pytest.mark.parametrize(
    ("amount", "currency"), [("46.41", "EUR"), ("10.00", "USD")], ids=["more", "USD"]
)
async def test_refund_the_payment_cannot_carry_is_dead_lettered_and_changes_nothing(
    billing: BillingUnderTest, amount: str, currency: str
) -> None:
    placed = order_placed(paid=True)
    await billing.wait_handled(await billing.publish(placed))
    refund = OrderRefunded(
        shop_id=placed.shop_id,
        order_id=placed.order_id,
        platform_order_id=placed.platform_order_id,
        refund_id=f"too-much-{currency}",
        refunded_at=datetime(2025, 3, 20, tzinfo=UTC),
        amount=Decimal(amount),
        currency=currency,
        full=True,
    )

    sent = await billing.publish(refund)
    letter = await _dead_letter_of(billing, str(sent.event_id))

    assert letter.error_type == "RefundNotValid"
    assert await billing.events("payment.refunded.v1", placed.order_id) == []
    rows = await billing.fetch(
        "SELECT status FROM payments WHERE order_id = $1", placed.order_id
    )
    assert rows[0]["status"] == "captured"


async def _dead_letter_of(billing: BillingUnderTest, event_id: str) -> DeadLetter:
    found: list[DeadLetter] = []

    async def dead_lettered() -> bool:
        letters = await dead_letters(billing.amqp_url, billing.database_url, "billing")
        found[:] = [letter for letter in letters if letter.event_id == event_id]
        return bool(found)

    await eventually(dead_lettered)
    return found[0]


async def test_cancelled_unpaid_order_has_its_invoice_credited_once(
    billing: BillingUnderTest,
) -> None:
    placed = order_placed(paid=False)
    await billing.publish(placed)
    invoices = await billing.wait_for_events("invoice.issued.v1", placed.order_id)
    cancelled = OrderCancelled(
        shop_id=placed.shop_id,
        order_id=placed.order_id,
        platform_order_id=placed.platform_order_id,
        cancelled_at=datetime(2025, 3, 16, tzinfo=UTC),
        reason="customer",
    )

    await billing.publish(cancelled)
    await billing.wait_handled(await billing.publish(cancelled))
    notes = await billing.wait_for_events("credit_note.issued.v1", placed.order_id)
    await settle()

    assert len(await billing.events("credit_note.issued.v1", placed.order_id)) == 1
    assert notes[0]["invoice_number"] == invoices[0]["invoice_number"]
    assert notes[0]["totals"] == invoices[0]["totals"]
    assert notes[0]["refund_id"] is None


async def test_cancelled_paid_order_waits_for_its_refund_to_be_credited(
    billing: BillingUnderTest,
) -> None:
    placed = order_placed(paid=True)
    await billing.publish(placed)
    await billing.wait_for_events("invoice.issued.v1", placed.order_id)

    cancellation = await billing.publish(
        OrderCancelled(
            shop_id=placed.shop_id,
            order_id=placed.order_id,
            platform_order_id=placed.platform_order_id,
            cancelled_at=datetime(2025, 3, 16, tzinfo=UTC),
        )
    )
    await billing.wait_handled(cancellation)

    assert await billing.events("credit_note.issued.v1", placed.order_id) == []


async def test_products_are_registered_once_per_sku(
    billing: BillingUnderTest,
) -> None:
    first, second = order_placed(), order_placed()

    await billing.publish(first)
    await billing.wait_handled(await billing.publish(second))

    rows = await billing.fetch(
        "SELECT body FROM outbox WHERE routing_key = 'product.registered.v1'"
    )
    skus = sorted(json.loads(row["body"])["payload"]["sku"] for row in rows)
    assert skus == ["EBOOK-ASYNC", "MUG-BLUE"]


async def test_pdf_route_serves_the_document_to_the_holder_of_its_link(
    billing: BillingUnderTest,
) -> None:
    placed = order_placed(paid=True)
    await billing.publish(placed)
    invoices = await billing.wait_for_events("invoice.issued.v1", placed.order_id)
    url = invoices[0]["pdf_url"].removeprefix("http://127.0.0.1:8003")
    number = invoices[0]["invoice_number"]

    async with billing.http() as client:
        served = await client.get(url)
        guessed = await client.get(f"/invoices/{number}.pdf?token=guess")

    assert served.status_code == 200
    assert served.headers["content-type"] == "application/pdf"
    assert served.content.startswith(b"%PDF")
    assert guessed.status_code == 404
