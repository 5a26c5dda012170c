"""What crm does with each event: record, sync, confirm, and erase customers.

Exactly one confirmation email per order
----------------------------------------
Sending mail cannot join a database transaction, so the confirmation takes
two steps, each its own subscription with its own inbox record:

1. `record_customer` handles `order.placed.v1`. In one transaction it
   upserts the customer, adds the order to their history, renders the
   confirmation and stores it, whole and with a Message-ID derived from the
   shop and order ids, in `order_confirmations` (one row per order), and
   queues `customer.upserted.v1` and the internal
   `crm.order_confirmation_recorded.v1`. A redelivered `order.placed` is
   skipped by the inbox; the same order under a new event id finds the
   order in the history (or among the orders of erased or anonymous
   customers) and changes nothing.
2. `send_order_confirmation` handles `crm.order_confirmation_recorded.v1`.
   It reads the stored message, does nothing if the row says `sent`, and
   otherwise sends it and marks it `sent` in the same transaction that
   emits `order.confirmation_sent.v1`.

A transient failure (SMTP 4xx, no connection) rolls step 2 back and the
backbone retries it later: the stored bytes, and so the Message-ID, are the
same on every attempt, and step 1 is not repeated. A refusal for good (SMTP
5xx, e.g. no such mailbox) is written to the row as `rejected` on a
connection of its own, so it survives the rollback, and the event goes to
the dead-letter queue with the SMTP code, where an operator sees it. One
duplicate remains possible: the server accepts the message and the commit
that marks it `sent` then fails. The retry sends the same message with the
same Message-ID, which mail clients show once; the mail folder writes each
Message-ID only once.

CRM sync
--------
`request_contact_syncs` handles crm's own `customer.upserted.v1` and queues
one internal `crm.contact_sync_requested.v1` per configured CRM, which
`sync_contact` handles: an outage of one CRM retries only that CRM's sync,
and a record one CRM refuses is dead-lettered for that CRM alone, while the
others are kept up to date; nothing of the upsert is redone. The handler
holds the customer's contact in that CRM (an advisory lock), so two syncs
of one new customer run one after the other and the second updates what
the first created; it also keeps the customer from being erased halfway.
Every adapter upserts, so repeating a sync is safe. With no CRM configured
nothing is queued: the own store is the CRM.

Erasure
-------
`erase_customer` deletes the customer and everything crm holds about them
and emits `customer.erased.v1`; the CRM ids of their contacts are set aside
in `crm_erasures`, with one `crm.contact_erasure_requested.v1` per CRM, and
the Message-IDs of their confirmations in `mail_erasures`.
`erase_crm_contact` deletes the contact in one CRM, so one CRM that is down
holds up no other; a contact already gone counts as done.
`erase_mail_copies` handles `customer.erased.v1` and removes the `.eml`
copies when mail goes to the mail folder.
"""

from __future__ import annotations

from collections.abc import Callable
from email import message_from_bytes, policy
from email.message import EmailMessage

import asyncpg

from orderflow.backbone import dead_letters
from orderflow.backbone.errors import OrderNotYetKnown
from orderflow.backbone.logging import get_logger
from orderflow.backbone.mail import Mailer, MailFolder, MailRejected
from orderflow.backbone.unit_of_work import UnitOfWork
from orderflow.contracts import (
    Customer,
    CustomerErased,
    CustomerUpserted,
    Envelope,
    OrderCancelled,
    OrderConfirmationSent,
    OrderPlaced,
    OrderRefunded,
    OrderUpdated,
    email_sha256,
)
from orderflow.crm.adapters import customer_store as store
from orderflow.crm.adapters.confirmation_email import ConfirmationRenderer
from orderflow.crm.adapters.crm_http import Contact, CrmAdapter
from orderflow.crm.domain.customers import CustomerRecord, CustomerUpsert
from orderflow.crm.domain.events import (
    ContactErasureRequested,
    ContactSyncRequested,
    OrderConfirmationRecorded,
)
from orderflow.crm.errors import ConfirmationRejected, UnaddressableCustomer

log = get_logger(__name__)

# Headers are folded only past SMTP's hard limit of 998 characters: Python's
# parser keeps the whitespace of a folded `Message-ID`, which would make the
# same message carry two different-looking ids.
STORED_MAIL = policy.default.clone(max_line_length=998)

# A handler that needs a second connection while holding one must not wait
# forever for a pool that its peers have emptied; the timeout is retried.
_SECOND_CONNECTION_WAIT = 10.0


class CrmHandlers:
    """crm's handlers and what they need: renderer, mailer, CRMs, the pool."""

    def __init__(
        self,
        *,
        renderer: ConfirmationRenderer,
        mailer: Mailer,
        crms: list[CrmAdapter],
        pool: Callable[[], asyncpg.Pool],
    ) -> None:
        self.renderer = renderer
        self.mailer = mailer
        self.crms = crms
        self._pool = pool

    async def record_customer(
        self, event: Envelope[OrderPlaced], uow: UnitOfWork
    ) -> None:
        """Upsert the order's customer, add the order, record its confirmation."""
        order = event.payload
        known = await store.order_without_customer(
            uow.conn, order.shop_id, order.order_id
        )
        if known is not None:
            log.info("customer.skipped", order_id=order.order_id, reason=known)
            return
        upsert = await store.upsert_customer(
            uow.conn, order.shop_id, order.customer, order.placed_at
        )
        if upsert is None:
            await store.record_order_without_customer(
                uow.conn, order.shop_id, order.order_id
            )
            log.info("customer.skipped", order_id=order.order_id, reason="anonymous")
            return

        record = upsert.record
        if not await store.record_order(uow.conn, record.customer_id, order):
            log.info("order.already_recorded", order_id=order.order_id)
            return
        _announce(uow, upsert, order.order_id)
        await self._record_confirmation(order, record, uow)

    async def follow_order_update(
        self, event: Envelope[OrderUpdated], uow: UnitOfWork
    ) -> None:
        """Follow a new total, or a change of customer, the platform reports.

        An update of an order crm has not recorded yet waits for it: the
        orders service sends updates only of orders it has placed.
        """
        update = event.payload
        owner = await store.order_owner(uow.conn, update.shop_id, update.order_id)
        if owner is None:
            reason = await store.order_without_customer(
                uow.conn, update.shop_id, update.order_id
            )
            if reason is None:
                raise OrderNotYetKnown(update.order_id)
            log.info("order_update.skipped", order_id=update.order_id, reason=reason)
            return

        if update.totals is not None:
            await store.record_total(
                uow.conn,
                update.shop_id,
                update.order_id,
                update.totals.total,
                update.updated_at,
            )
        if update.customer is not None and update.updated_at > owner.customer_as_of:
            await self._follow_customer_change(update, update.customer, uow)
        log.info("order_update.recorded", order_id=update.order_id)

    async def _follow_customer_change(
        self, update: OrderUpdated, customer: Customer, uow: UnitOfWork
    ) -> None:
        upsert = await store.upsert_customer(
            uow.conn, update.shop_id, customer, update.updated_at
        )
        if upsert is None:
            return

        await store.assign_order(
            uow.conn,
            update.shop_id,
            update.order_id,
            upsert.record.customer_id,
            update.updated_at,
        )
        _announce(uow, upsert, update.order_id)

    async def record_refund(
        self, event: Envelope[OrderRefunded], uow: UnitOfWork
    ) -> None:
        """Lower the customer's lifetime value by the money returned."""
        await store.record_refund(uow.conn, event.payload)
        log.info("order_refund.recorded", order_id=event.payload.order_id)

    async def record_cancellation(
        self, event: Envelope[OrderCancelled], uow: UnitOfWork
    ) -> None:
        """Leave a cancelled order out of the customer's lifetime value."""
        order = event.payload
        await store.record_cancellation(uow.conn, order.shop_id, order.order_id)
        log.info("order_cancellation.recorded", order_id=order.order_id)

    async def _record_confirmation(
        self, order: OrderPlaced, record: CustomerRecord, uow: UnitOfWork
    ) -> None:
        if not order.customer.email:
            log.info(
                "order_confirmation.skipped", order_id=order.order_id, reason="no_email"
            )
            return
        try:
            message = self.renderer.render(order, order.customer)
        except UnaddressableCustomer:
            log.warning(
                "order_confirmation.skipped",
                order_id=order.order_id,
                reason="unaddressable",
            )
            return

        recorded = await store.record_confirmation(
            uow.conn,
            order,
            record.customer_id,
            str(message["Message-ID"]),
            message.as_bytes(policy=STORED_MAIL),
        )
        if recorded:
            uow.emit(
                OrderConfirmationRecorded(
                    shop_id=order.shop_id,
                    order_id=order.order_id,
                    customer_id=record.customer_id,
                )
            )

    async def send_order_confirmation(
        self, event: Envelope[OrderConfirmationRecorded], uow: UnitOfWork
    ) -> None:
        """Send the stored confirmation once; retries reuse its Message-ID."""
        due = event.payload
        confirmation = await store.load_confirmation(
            uow.conn, due.shop_id, due.order_id
        )
        if confirmation is None or confirmation.status == "sent":
            log.info(
                "order_confirmation.not_sent",
                order_id=due.order_id,
                reason="erased" if confirmation is None else "already_sent",
            )
            return

        try:
            await self.mailer.send(_parse(confirmation.message))
        except MailRejected as exc:
            await self._record_rejection(due, str(exc))
            raise ConfirmationRejected(due.order_id, str(exc)) from None

        await store.mark_confirmation_sent(uow.conn, due.shop_id, due.order_id)
        uow.emit(
            OrderConfirmationSent(
                shop_id=due.shop_id,
                order_id=due.order_id,
                customer_id=due.customer_id,
                message_id=confirmation.message_id,
            )
        )
        log.info("order_confirmation.sent", order_id=due.order_id)

    async def _record_rejection(
        self, due: OrderConfirmationRecorded, failure: str
    ) -> None:
        """Mark the confirmation rejected outside the transaction that fails."""
        async with self._pool().acquire(timeout=_SECOND_CONNECTION_WAIT) as conn:
            await store.mark_confirmation_rejected(
                conn, due.shop_id, due.order_id, failure
            )
        log.error("order_confirmation.rejected", order_id=due.order_id)

    async def request_contact_syncs(
        self, event: Envelope[CustomerUpserted], uow: UnitOfWork
    ) -> None:
        """Queue a sync of the changed customer for each configured CRM."""
        customer = event.payload
        for crm in self.crms:
            uow.emit(
                ContactSyncRequested(
                    shop_id=customer.shop_id,
                    customer_id=customer.customer_id,
                    crm=crm.name,
                )
            )

    async def sync_contact(
        self, event: Envelope[ContactSyncRequested], uow: UnitOfWork
    ) -> None:
        """Bring the customer's contact in one CRM up to date."""
        request = event.payload
        crm = self._crm_named(request.crm)
        if crm is None:
            _log_crm_missing("customer_sync.skipped", request.customer_id, request.crm)
            return
        await store.lock_contact(uow.conn, request.customer_id, crm.name)
        record = await store.load_customer(uow.conn, request.customer_id, lock=True)
        if record is None:
            log.info(
                "customer_sync.skipped",
                customer_id=request.customer_id,
                crm=crm.name,
                reason="erased",
            )
            return

        known_id = await store.crm_link(uow.conn, record.customer_id, crm.name)
        external_id = await crm.upsert(Contact.of(record), known_id)
        if external_id != known_id:
            await store.save_crm_link(
                uow.conn, record.customer_id, crm.name, external_id
            )
        log.info("customer.synced", customer_id=record.customer_id, crm=crm.name)

    async def erase_crm_contact(
        self, event: Envelope[ContactErasureRequested], uow: UnitOfWork
    ) -> None:
        """Delete an erased customer's contact in one CRM."""
        request = event.payload
        crm = self._crm_named(request.crm)
        if crm is None:
            _log_crm_missing("crm_contact.not_erased", request.customer_id, request.crm)
            return
        external_id = await store.crm_erasure(uow.conn, request.customer_id, crm.name)
        if external_id is None:
            return

        await crm.delete(external_id)
        await store.forget_crm_erasure(uow.conn, request.customer_id, crm.name)
        log.info("crm_contact.erased", customer_id=request.customer_id, crm=crm.name)

    async def erase_mail_copies(
        self, event: Envelope[CustomerErased], uow: UnitOfWork
    ) -> None:
        """Remove an erased customer's confirmations from the mail folder."""
        customer_id = event.payload.customer_id
        message_ids = await store.mail_erasures(uow.conn, customer_id)
        if not isinstance(self.mailer, MailFolder):
            return
        for message_id in message_ids:
            stub = EmailMessage()
            stub["Message-ID"] = message_id
            self.mailer.path_for(stub).unlink(missing_ok=True)
        log.info("mail_copies.erased", customer_id=customer_id)

    def _crm_named(self, name: str) -> CrmAdapter | None:
        return next((crm for crm in self.crms if crm.name == name), None)


async def erase_customer(
    uow: UnitOfWork, email: str, shop_id: str | None = None
) -> list[str]:
    """Erase the customer with this address, in one shop or all of them.

    Each erased record emits `customer.erased.v1`, which names the customer
    by ids and the address's hash, so every other service can erase its copy;
    crm's own dead letters about the customer are blanked at once. Returns the
    ids of the erased customers.
    """
    records = await store.find_by_email(uow.conn, email, shop_id)
    for record in records:
        crms = await store.erase_customer(uow.conn, record.customer_id)
        erased = CustomerErased(
            shop_id=record.shop_id,
            customer_id=record.customer_id,
            platform_customer_id=record.customer.platform_customer_id,
            email_sha256=email_sha256(email),
        )
        await dead_letters.erase_customer(uow.conn, erased)
        uow.emit(erased, correlation_id=record.customer_id)
        for crm in crms:
            uow.emit(
                ContactErasureRequested(
                    shop_id=record.shop_id, customer_id=record.customer_id, crm=crm
                ),
                correlation_id=record.customer_id,
            )
        log.info("customer.erased", customer_id=record.customer_id)

    return [record.customer_id for record in records]


def _announce(uow: UnitOfWork, upsert: CustomerUpsert, order_id: str) -> None:
    record = upsert.record
    uow.emit(
        CustomerUpserted(
            shop_id=record.shop_id,
            customer_id=record.customer_id,
            created=upsert.created,
            customer=record.customer,
            order_id=order_id,
        )
    )
    log.info(
        "customer.upserted",
        customer_id=record.customer_id,
        order_id=order_id,
        created=upsert.created,
    )


def _log_crm_missing(event: str, customer_id: str, crm: str) -> None:
    """A CRM named in a queued event whose settings have since been removed."""
    log.warning(event, customer_id=customer_id, crm=crm, reason="not_configured")


def _parse(message: bytes) -> EmailMessage:
    parsed = message_from_bytes(message, policy=STORED_MAIL)
    assert isinstance(parsed, EmailMessage)
    return parsed
