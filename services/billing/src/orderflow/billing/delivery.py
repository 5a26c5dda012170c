"""After a document is issued: render its PDF and send the email recorded with it.

Runs beside the consumers. Each email is locked while it is sent, marked sent
in the same transaction, and never sent again once marked; a failed attempt
leaves it to a later round with the same Message-ID, so the customer's mail
server sees one message even if a send is repeated after a crash.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import timedelta
from email.message import EmailMessage
from email.utils import formataddr

import asyncpg

from orderflow.backbone.database import Connection
from orderflow.backbone.logging import get_logger
from orderflow.backbone.mail import Mailer, MailRejected
from orderflow.backbone.shop import ShopIdentity
from orderflow.billing.adapters import invoice_store, mail_outbox
from orderflow.billing.adapters.invoice_store import IssuedDocument
from orderflow.billing.adapters.mail_outbox import OutgoingMail
from orderflow.billing.adapters.renderer import Renderer

log = get_logger(__name__)


class DocumentDelivery:
    """Renders documents that have no PDF yet and sends the mail that is due."""

    def __init__(
        self,
        pool: Callable[[], asyncpg.Pool],
        renderer: Renderer,
        mailer: Mailer,
        shop: ShopIdentity,
        *,
        batch: int,
        retry_delays: list[float],
    ) -> None:
        self._pool = pool
        self.renderer = renderer
        self._mailer = mailer
        self._shop = shop
        self._batch = batch
        self._retry_delays = retry_delays

    async def pdf(self, issued: IssuedDocument) -> bytes:
        """The document's PDF, rendered and stored now if it was not yet."""
        async with self._pool().acquire() as conn:
            pdf = await invoice_store.pdf_of(conn, issued.document_id)
        if pdf is not None:
            return pdf
        pdf = await self.renderer.render(issued.document)
        async with self._pool().acquire() as conn:
            await invoice_store.store_pdf(conn, issued.document_id, pdf)
            stored = await invoice_store.pdf_of(conn, issued.document_id)
        log.info("document.rendered", document_id=str(issued.document_id))
        return stored or pdf

    async def _render(self, document_id: uuid.UUID) -> None:
        async with self._pool().acquire() as conn:
            issued = await invoice_store.document(conn, document_id)
        await self.pdf(issued)

    async def render_pending(self) -> int:
        """Render documents that have no PDF yet; returns how many it rendered."""
        async with self._pool().acquire() as conn:
            pending = await invoice_store.unrendered(conn, self._batch)
        results = await asyncio.gather(
            *(self._render(document_id) for document_id in pending),
            return_exceptions=True,
        )
        failed = 0
        for document_id, result in zip(pending, results, strict=True):
            if isinstance(result, Exception):
                failed += 1
                log.warning(
                    "document_render.failed",
                    document_id=str(document_id),
                    error=type(result).__name__,
                )
        return len(pending) - failed

    async def send_due(self) -> int:
        async with self._pool().acquire() as conn, conn.transaction():
            due = await mail_outbox.claim_due(conn, self._batch)
            for mail in due:
                await self._send(conn, mail)
        return len(due)

    async def deliver(self) -> int:
        """One round: render, then send. Returns how much it did."""
        return await self.render_pending() + await self.send_due()

    async def run(self, interval: float) -> None:
        while True:
            try:
                done = await self.deliver()
            except Exception as exc:  # noqa: BLE001 - the loop outlives any round
                log.warning("document_delivery.failed", error=type(exc).__name__)
                done = 0
            if not done:
                await asyncio.sleep(interval)

    async def _send(self, conn: Connection, mail: OutgoingMail) -> None:
        try:
            await self._mailer.send(await self._message(mail))
        except MailRejected as exc:
            await mail_outbox.give_up(conn, mail.message_id, str(exc))
            log.warning("mail.rejected", message_id=mail.message_id)
        except Exception as exc:  # noqa: BLE001 - any other failure is retried later
            delay = self._retry_delays[min(mail.attempts, len(self._retry_delays) - 1)]
            await mail_outbox.postpone(
                conn, mail.message_id, timedelta(seconds=delay), type(exc).__name__
            )
            log.warning(
                "mail.deferred", message_id=mail.message_id, attempt=mail.attempts + 1
            )
        else:
            await mail_outbox.mark_sent(conn, mail.message_id)
            log.info("mail.sent", message_id=mail.message_id, purpose=mail.purpose)

    async def _message(self, mail: OutgoingMail) -> EmailMessage:
        message = EmailMessage()
        message["Message-ID"] = mail.message_id
        message["From"] = formataddr((self._shop.name, str(self._shop.email)))
        message["To"] = mail.recipient
        message["Subject"] = mail.subject
        if self._shop.reply_to:
            message["Reply-To"] = str(self._shop.reply_to)
        message.set_content(mail.body)
        if mail.document_id is not None:
            async with self._pool().acquire() as conn:
                issued = await invoice_store.document(conn, mail.document_id)
            message.add_attachment(
                await self.pdf(issued),
                maintype="application",
                subtype="pdf",
                filename=f"{issued.number}.pdf",
            )
        return message

    @asynccontextmanager
    async def running(self, interval: float) -> AsyncIterator[None]:
        async with self.renderer.running():
            task = asyncio.create_task(self.run(interval), name="billing-delivery")
            try:
                yield
            finally:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
