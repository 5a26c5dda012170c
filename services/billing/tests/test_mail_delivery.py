"""Recorded email is sent with its own Message-ID, retried with it, and sent once."""

from __future__ import annotations

from email.message import EmailMessage

import asyncpg

from orderflow.backbone.mail import MailDeferred, MailRejected
from orderflow.backbone.shop import ShopIdentity
from orderflow.billing.adapters import mail_outbox
from orderflow.billing.adapters.mail_outbox import OutgoingMail
from orderflow.billing.adapters.renderer import Renderer
from orderflow.billing.delivery import DocumentDelivery


class ScriptedMailer:
    """Fails as scripted, then accepts; remembers every Message-ID it was given."""

    def __init__(self, *failures: Exception) -> None:
        self.failures = list(failures)
        self.attempted: list[str] = []

    async def send(self, message: EmailMessage) -> None:
        self.attempted.append(str(message["Message-ID"]))
        if self.failures:
            raise self.failures.pop(0)


def _delivery(pool: asyncpg.Pool, mailer: ScriptedMailer) -> DocumentDelivery:
    return DocumentDelivery(
        lambda: pool,
        Renderer(workers=1),
        mailer,
        ShopIdentity(),
        batch=10,
        retry_delays=[0.0],
    )


async def _record(pool: asyncpg.Pool, message_id: str) -> None:
    async with pool.acquire() as conn:
        await mail_outbox.record(
            conn,
            OutgoingMail(
                message_id=message_id,
                shop_id="generic:test",
                purpose="payment_request",
                recipient="anna@example.com",
                subject="Payment",
                body="Please pay.",
            ),
        )


async def _state(pool: asyncpg.Pool, message_id: str) -> asyncpg.Record:
    row = await pool.fetchrow(
        "SELECT attempts, sent_at, failed_at FROM outgoing_mail WHERE message_id = $1",
        message_id,
    )
    assert row is not None
    return row


async def test_deferred_mail_is_retried_with_the_same_message_id_and_sent_once(
    billing_pool: asyncpg.Pool,
) -> None:
    mailer = ScriptedMailer(MailDeferred("SMTP 451"))
    delivery = _delivery(billing_pool, mailer)
    await _record(billing_pool, "<payment.retry@shop.example>")

    rounds = [await delivery.send_due() for _ in range(3)]

    assert rounds == [1, 1, 0]
    assert mailer.attempted == ["<payment.retry@shop.example>"] * 2
    state = await _state(billing_pool, "<payment.retry@shop.example>")
    assert state["attempts"] == 2
    assert state["sent_at"] is not None


async def test_mail_recorded_twice_is_sent_once(billing_pool: asyncpg.Pool) -> None:
    mailer = ScriptedMailer()
    delivery = _delivery(billing_pool, mailer)
    await _record(billing_pool, "<payment.twice@shop.example>")
    await _record(billing_pool, "<payment.twice@shop.example>")

    await delivery.send_due()
    await delivery.send_due()

    assert mailer.attempted == ["<payment.twice@shop.example>"]


async def test_refused_mail_is_given_up_and_not_retried(
    billing_pool: asyncpg.Pool,
) -> None:
    message_id = "<payment.refused@shop.example>"
    mailer = ScriptedMailer(MailRejected("SMTP 550"))
    delivery = _delivery(billing_pool, mailer)
    await _record(billing_pool, message_id)

    await delivery.send_due()
    await delivery.send_due()

    assert mailer.attempted == [message_id]
    assert (await _state(billing_pool, message_id))["failed_at"] is not None
