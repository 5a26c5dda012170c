"""The order confirmation: rendered per language, sent once, over real SMTP."""

from __future__ import annotations

from email.message import EmailMessage

import pytest
from crm_fakes import (
    SMTP_LOGIN,
    Certificate,
    SmtpInbox,
    dropping_gate,
    smtp_server,
)
from crm_harness import SHOP, CrmHarness, placed

from orderflow.backbone.testing import eventually
from orderflow.contracts import OrderConfirmationSent

# What each language must say about the example order: an e-book and two
# mugs, 46.40 EUR with VAT included, shipped to Berlin.
EXPECTED = {
    "en": {
        "subject": "Your order #ord-1 at Kaffeerösterei Beispiel",
        "phrases": [
            "Hello Anna,",
            "thank you for your order #ord-1 of 14 March 2025",
            "2 x Mug, blue (MUG-BLUE): €22.50",
            "Discounts (MUG10): -€2.50",
            "Shipping (DHL Paket): €4.90",
            "Total: €46.40",
            "Including tax: €7.40",
            "Shipping address:",
            "10115 Berlin",
            "Your downloads and licence keys follow in a separate email",
        ],
        "html": ["<strong>Shipping address</strong>", "€46.40", "MUG10"],
    },
    "es": {
        "subject": "Tu pedido #ord-1 en Kaffeerösterei Beispiel",
        "phrases": [
            "Hola, Anna:",
            "gracias por tu pedido #ord-1 del 14 de marzo de 2025",
            "2 x Mug, blue (MUG-BLUE): 22,50 €",
            "Descuentos (MUG10): -2,50 €",
            "Envío (DHL Paket): 4,90 €",
            "Total: 46,40 €",
            "IVA incluido: 7,40 €",
            "Dirección de envío:",
            "Recibirás tus descargas y claves de licencia en un correo aparte",
        ],
        "html": ["<strong>Dirección de envío</strong>", "46,40 €", "MUG10"],
    },
    "de": {
        "subject": "Ihre Bestellung #ord-1 bei Kaffeerösterei Beispiel",
        "phrases": [
            "Hallo Anna,",
            "vielen Dank für Ihre Bestellung #ord-1 vom 14. März 2025",
            "2 x Mug, blue (MUG-BLUE): 22,50 €",
            "Rabatte (MUG10): -2,50 €",
            "Versand (DHL Paket): 4,90 €",
            "Gesamtbetrag: 46,40 €",
            "Enthaltene MwSt.: 7,40 €",
            "Lieferadresse:",
            "Ihre Downloads und Lizenzschlüssel erhalten Sie",
        ],
        "html": ["<strong>Lieferadresse</strong>", "46,40 €", "MUG10"],
    },
}


def _text(message: EmailMessage) -> str:
    part = message.get_body(("plain",))
    assert part is not None
    return str(part.get_content())


def _html(message: EmailMessage) -> str:
    part = message.get_body(("html",))
    assert part is not None
    return str(part.get_content())


async def _received(inbox: SmtpInbox, count: int = 1) -> list[EmailMessage]:
    async def arrived() -> bool:
        return len(inbox.messages) >= count

    await eventually(arrived)
    return inbox.messages


@pytest.mark.parametrize(
    ("locale", "language"), [("en-GB", "en"), ("es", "es"), ("de-AT", "de")]
)
async def test_confirmation_arrives_in_the_customers_language(
    crm: CrmHarness, locale: str, language: str
) -> None:
    async with smtp_server() as (inbox, port):
        service = crm.service(smtp_port=port)
        async with crm.running(service):
            await crm.send(placed("ord-1", locale=locale))
            [message] = await _received(inbox)
            [sent] = await crm.wait_for_events(OrderConfirmationSent)

    expected = EXPECTED[language]
    assert message["Subject"] == expected["subject"]
    assert message["Content-Language"] == language
    assert message["To"].addresses[0].addr_spec == "ada@example.com"
    assert message["Reply-To"] == "support@roesterei.example"
    assert message["From"].addresses[0].addr_spec == "hello@roesterei.example"
    text, html = _text(message), _html(message)
    for phrase in expected["phrases"]:
        assert phrase in text
    assert f'<html lang="{language}">' in html
    greeting, intro = expected["phrases"][:2]
    assert f"<p>{greeting}</p>" in html
    assert intro in html
    for phrase in expected["html"]:
        assert phrase in html
    assert "Mug, blue" in html
    assert "Async Python, the e-book" in html
    assert "(DHL Paket)" in html
    assert "10115 Berlin" in html
    # SMTP folds a long Message-ID onto its own line; the id is the same.
    assert sent["message_id"] == message["Message-ID"].strip()


async def test_unsupported_language_falls_back_to_the_shops_default(
    crm: CrmHarness,
) -> None:
    shop = SHOP.model_copy(update={"default_language": "de"})
    async with smtp_server() as (inbox, port):
        service = crm.service(smtp_port=port, shop=shop)
        async with crm.running(service):
            await crm.send(placed("ord-1", locale="fr-FR"))
            [message] = await _received(inbox)

    assert message["Content-Language"] == "de"
    assert "Vielen Dank" not in message["Subject"]
    assert message["Subject"].startswith("Ihre Bestellung")


async def test_order_sent_again_is_confirmed_once(crm: CrmHarness) -> None:
    order = placed("ord-1")
    async with smtp_server() as (inbox, port):
        service = crm.service(smtp_port=port)
        async with crm.running(service):
            await crm.send(order)
            await crm.send(order)
            await crm.send(placed("ord-1"))
            await crm.send(placed("ord-2"))
            await _received(inbox, 2)
            await crm.wait_for_events(OrderConfirmationSent, 2)

    subjects = sorted(message["Subject"] for message in inbox.messages)
    assert len(subjects) == 2
    assert "#ord-1" in subjects[0]
    assert "#ord-2" in subjects[1]
    assert len(await crm.events(OrderConfirmationSent)) == 2


async def test_deferred_confirmation_is_retried_with_the_same_message_id(
    crm: CrmHarness,
) -> None:
    async with smtp_server() as (inbox, port):
        inbox.defer_next(2)
        service = crm.service(smtp_port=port)
        async with crm.running(service):
            await crm.send(placed("ord-1"))
            [message] = await _received(inbox)
            await crm.wait_for_events(OrderConfirmationSent)

    assert len(inbox.deferred) == 2
    assert {m["Message-ID"] for m in inbox.deferred} == {message["Message-ID"]}
    [row] = await crm.fetch("SELECT status FROM order_confirmations")
    assert row["status"] == "sent"


async def test_lost_connection_is_retried_and_the_confirmation_sent_once(
    crm: CrmHarness,
) -> None:
    async with smtp_server() as (inbox, port), dropping_gate(port, drops=2) as gate:
        service = crm.service(smtp_port=gate.port)
        async with crm.running(service):
            await crm.send(placed("ord-1"))
            [message] = await _received(inbox)
            [sent] = await crm.wait_for_events(OrderConfirmationSent)

    assert gate.dropped == 2
    assert sent["message_id"] == message["Message-ID"].strip()
    [row] = await crm.fetch("SELECT status FROM order_confirmations")
    assert row["status"] == "sent"
    assert await crm.dead_letters() == []


@pytest.mark.usefixtures("trusted_ca")
@pytest.mark.parametrize("security", ["starttls", "tls"])
async def test_confirmation_goes_out_encrypted_with_the_configured_login(
    crm: CrmHarness, certificate: Certificate, security: str
) -> None:
    async with smtp_server(security, certificate) as (inbox, port):
        service = crm.service(
            smtp_port=port, smtp_security=security, smtp_login=SMTP_LOGIN
        )
        async with crm.running(service):
            await crm.send(placed("ord-1", locale="de"))
            [message] = await _received(inbox)
            await crm.wait_for_events(OrderConfirmationSent)

    assert inbox.encrypted == [True]
    assert inbox.logins == [SMTP_LOGIN[0]]
    assert message["Subject"] == EXPECTED["de"]["subject"]
    assert "Gesamtbetrag: 46,40 €" in _text(message)


@pytest.mark.usefixtures("trusted_ca")
async def test_refused_smtp_login_is_dead_lettered_and_sent_once_replayed(
    crm: CrmHarness, certificate: Certificate
) -> None:
    async with smtp_server("starttls", certificate) as (inbox, port):
        misconfigured = crm.service(
            smtp_port=port,
            smtp_security="starttls",
            smtp_login=(SMTP_LOGIN[0], "not-the-password"),
        )
        async with crm.running(misconfigured):
            await crm.send(placed("ord-1"))
            [letter] = await crm.wait_for_dead_letters()
        fixed = crm.service(
            smtp_port=port, smtp_security="starttls", smtp_login=SMTP_LOGIN
        )
        async with crm.running(fixed):
            assert inbox.messages == []
            await crm.replay_dead_letters()
            [message] = await _received(inbox)
            [sent] = await crm.wait_for_events(OrderConfirmationSent)

    assert letter.reason == "exhausted"
    assert letter.error_type == "MailLoginRefused"
    assert letter.error_message is not None
    assert "SMTP 535" in letter.error_message
    assert sent["message_id"] == message["Message-ID"].strip()
    [row] = await crm.fetch("SELECT status FROM order_confirmations")
    assert row["status"] == "sent"


async def test_refused_address_is_recorded_and_dead_lettered_not_retried(
    crm: CrmHarness,
) -> None:
    async with smtp_server() as (inbox, port):
        service = crm.service(smtp_port=port)
        async with crm.running(service):
            await crm.send(placed("ord-1", email="nobody@bounce.test"))
            [letter] = await crm.wait_for_dead_letters()

    assert inbox.refused == ["nobody@bounce.test"]
    assert inbox.messages == []
    assert letter.reason == "permanent"
    assert letter.error_type == "ConfirmationRejected"
    assert letter.error_message is not None
    assert "SMTP 550" in letter.error_message
    assert "bounce.test" not in letter.error_message
    [row] = await crm.fetch("SELECT status, failure FROM order_confirmations")
    assert row["status"] == "rejected"
    assert await crm.events(OrderConfirmationSent) == []


async def test_without_smtp_the_confirmation_is_written_to_the_mail_folder(
    crm: CrmHarness,
) -> None:
    service = crm.service()
    async with crm.running(service):
        await crm.send(placed("ord-1", locale="en"))
        [sent] = await crm.wait_for_events(OrderConfirmationSent)

    [written] = list(crm.mail_dir.glob("*.eml"))
    content = written.read_text()
    assert sent["message_id"] in content
    assert "Subject: Your order #ord-1" in content
