"""What billing does with each event: register, request, record, issue.

Each handler runs in the transaction of its unit of work; the events it
emits and the email it records commit with the change that caused them.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from orderflow.backbone.logging import get_logger
from orderflow.backbone.mail import message_id_for
from orderflow.backbone.shop import ShopIdentity
from orderflow.backbone.unit_of_work import UnitOfWork
from orderflow.billing.adapters import invoice_store, mail_outbox, order_store
from orderflow.billing.adapters import payment_store as payments
from orderflow.billing.adapters.invoice_store import IssuedDocument
from orderflow.billing.adapters.mail_outbox import OutgoingMail
from orderflow.billing.adapters.payment_store import Payment, Refund
from orderflow.billing.adapters.stripe_gateway import StripeGateway
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
    refunded_charges,
)
from orderflow.billing.domain.tax import round_money
from orderflow.billing.domain.wording import language_for, words
from orderflow.billing.errors import (
    InvoiceNotIssued,
    OrderNotRecorded,
    RefundNotValid,
)
from orderflow.billing.settings import Settings
from orderflow.contracts import (
    CreditNoteIssued,
    Envelope,
    InvoiceIssued,
    OrderCancelled,
    OrderPlaced,
    OrderRefunded,
    PaymentCaptured,
    PaymentMethod,
    PaymentRefunded,
    PaymentRequested,
    PaymentSource,
    ProductRegistered,
    to_minor_units,
)
from orderflow.contracts import DocumentTotals as EventTotals

log = get_logger(__name__)


@dataclass(frozen=True)
class Billing:
    """What the handlers need beside the unit of work."""

    settings: Settings
    shop: ShopIdentity
    gateway: StripeGateway | None

    @property
    def seller(self) -> Party:
        shop = self.shop
        return Party(
            name=shop.legal_name,
            line1=shop.street,
            postal_code=shop.postal_code,
            city=shop.city,
            country=shop.country,
            vat_id=shop.vat_id,
            email=str(shop.email),
        )

    @property
    def bank(self) -> BankDetails:
        shop = self.shop
        return BankDetails(bank_name=shop.bank_name, iban=shop.iban, bic=shop.bic)

    @property
    def logo(self) -> str | None:
        """The shop's logo as a file URI the renderer reads, if one is set."""
        return self.shop.logo.resolve().as_uri() if self.shop.logo else None

    def pdf_url(self, issued: IssuedDocument) -> str:
        base = self.settings.public_url.rstrip("/")
        return f"{base}/invoices/{issued.number}.pdf?token={issued.access_token}"


async def record_order(
    event: Envelope[OrderPlaced], uow: UnitOfWork, billing: Billing
) -> None:
    """Keep the order, register its products, and take or ask for its payment."""
    placed = event.payload
    order = BillingOrder.from_event(placed)
    if not await order_store.record_order(uow.conn, order):
        return

    await register_products(placed, uow, billing)

    if placed.paid:
        await record_platform_payment(placed, uow)
    elif billing.gateway is not None:
        await request_card_payment(order, uow, billing, billing.gateway)
    else:
        await request_bank_transfer(order, uow, billing)


async def register_products(
    placed: OrderPlaced, uow: UnitOfWork, billing: Billing
) -> None:
    """Register each SKU not seen before, at Stripe too when it is configured.

    The SKU is claimed in billing's table before Stripe hears of it, so two
    orders with the same new SKU never register it twice; the SKUs are taken
    in order, so two such orders cannot wait for each other.
    """
    lines = {line.sku: line for line in placed.lines if line.sku}
    new = await order_store.unregistered_skus(uow.conn, placed.shop_id, list(lines))
    for sku in sorted(new):
        line = lines[sku]
        product_id = await order_store.claim_product(
            uow.conn, shop_id=placed.shop_id, sku=sku, title=line.title
        )
        if product_id is None:
            continue
        gateway_product_id = None
        if billing.gateway is not None:
            registered = await billing.gateway.register_product(
                shop_id=placed.shop_id,
                sku=sku,
                title=line.title,
                unit_amount=_minor(line.unit_price, placed.currency),
                currency=placed.currency,
            )
            gateway_product_id = registered.product_id
            await order_store.attach_gateway_product(
                uow.conn, product_id, registered.product_id, registered.price_id
            )

        uow.emit(
            ProductRegistered(
                shop_id=placed.shop_id,
                product_id=str(product_id),
                sku=sku,
                title=line.title,
                kind=line.kind,
                platform_product_id=line.product_id,
                platform_variant_id=line.variant_id,
                gateway_product_id=gateway_product_id,
            ),
            correlation_id=placed.order_id,
        )


async def record_platform_payment(placed: OrderPlaced, uow: UnitOfWork) -> None:
    """The platform took the money: record the payment as captured."""
    payment = await payments.open_payment(
        uow.conn,
        shop_id=placed.shop_id,
        order_id=placed.order_id,
        amount=placed.totals.total,
        currency=placed.currency,
        source=PaymentSource.PLATFORM.value,
        reference=placed.payment_reference,
    )
    await capture(
        payment,
        uow,
        amount=placed.totals.total,
        source=PaymentSource.PLATFORM,
        gateway=placed.payment_gateway,
        reference=placed.payment_reference,
        captured_at=placed.placed_at,
    )


async def request_card_payment(
    order: BillingOrder, uow: UnitOfWork, billing: Billing, gateway: StripeGateway
) -> None:
    """Open a Stripe Checkout Session and email its link to the customer."""
    amount = order.totals.total
    payment = await payments.open_payment(
        uow.conn,
        shop_id=order.shop_id,
        order_id=order.order_id,
        amount=amount,
        currency=order.currency,
        source=PaymentSource.STRIPE.value,
    )
    language = language_for(order.customer.locale, billing.shop.default_language)
    checkout = await gateway.create_checkout(
        payment_id=str(payment.payment_id),
        order_id=order.order_id,
        description=f"{words(language)['order']} {order.order_number}",
        amount=_minor(amount, order.currency),
        currency=order.currency,
        email=order.customer.email,
        language=language,
        success_url=billing.settings.checkout_success_url,
        cancel_url=billing.settings.checkout_cancel_url,
    )
    await payments.attach_checkout(
        uow.conn, payment.payment_id, checkout.session_id, checkout.url
    )

    if order.customer.email:
        await _record_payment_mail(order, uow, billing, checkout.url)
    uow.emit(
        PaymentRequested(
            shop_id=order.shop_id,
            order_id=order.order_id,
            payment_id=str(payment.payment_id),
            amount=amount,
            currency=order.currency,
            method=PaymentMethod.CARD,
            reference=checkout.session_id,
            payment_url=checkout.url,
        ),
        correlation_id=order.order_id,
    )
    log.info("payment.requested", order_id=order.order_id, method="card")


async def _record_payment_mail(
    order: BillingOrder, uow: UnitOfWork, billing: Billing, url: str
) -> None:
    w = words(language_for(order.customer.locale, billing.shop.default_language))
    values = {
        "order": order.order_number,
        "amount": order.totals.total,
        "currency": order.currency,
        "url": url,
    }
    await mail_outbox.record(
        uow.conn,
        OutgoingMail(
            message_id=message_id_for(
                "payment-request", order.order_id, billing.shop.mail_domain
            ),
            shop_id=order.shop_id,
            purpose="payment_request",
            recipient=order.customer.email or "",
            subject=w["mail_payment_subject"].format(**values),
            body=w["mail_payment_body"].format(**values),
        ),
    )


async def request_bank_transfer(
    order: BillingOrder, uow: UnitOfWork, billing: Billing
) -> None:
    """Without a payment provider the invoice asks for a bank transfer."""
    amount = order.totals.total
    payment = await payments.open_payment(
        uow.conn,
        shop_id=order.shop_id,
        order_id=order.order_id,
        amount=amount,
        currency=order.currency,
        source=PaymentSource.BANK_TRANSFER.value,
        reference=order.order_number,
    )
    due_at = datetime.now(UTC) + timedelta(days=billing.settings.payment_due_days)
    terms = PaymentTerms(
        paid=False,
        method=PaymentMethod.BANK_TRANSFER.value,
        reference=order.order_number,
        due_date=due_at.date(),
        bank=billing.bank,
    )

    await issue_invoice_of(order, terms, uow, billing)
    uow.emit(
        PaymentRequested(
            shop_id=order.shop_id,
            order_id=order.order_id,
            payment_id=str(payment.payment_id),
            amount=amount,
            currency=order.currency,
            method=PaymentMethod.BANK_TRANSFER,
            reference=order.order_number,
            due_at=due_at,
        ),
        correlation_id=order.order_id,
    )
    log.info("payment.requested", order_id=order.order_id, method="bank_transfer")


async def capture(
    payment: Payment,
    uow: UnitOfWork,
    *,
    amount: Decimal,
    source: PaymentSource,
    captured_at: datetime,
    gateway: str | None = None,
    reference: str | None = None,
) -> None:
    """Record the capture once; a second report of it changes nothing."""
    if payment.facts.is_captured:
        return
    facts = replace(payment.facts, captured=amount)
    await payments.save_facts(
        uow.conn,
        payment.payment_id,
        facts,
        reference if source is PaymentSource.STRIPE else None,
    )

    uow.emit(
        PaymentCaptured(
            shop_id=payment.shop_id,
            order_id=payment.order_id,
            payment_id=str(payment.payment_id),
            amount=amount,
            currency=payment.currency,
            captured_at=captured_at,
            source=source,
            gateway=gateway,
            reference=reference,
        ),
        correlation_id=payment.order_id,
    )
    log.info("payment.captured", order_id=payment.order_id, source=source.value)


async def issue_invoice(
    event: Envelope[PaymentCaptured], uow: UnitOfWork, billing: Billing
) -> None:
    """Invoice a paid order, once."""
    captured = event.payload
    order = await order_store.order(uow.conn, captured.shop_id, captured.order_id)
    if order is None:
        raise OrderNotRecorded(captured.order_id)
    if await invoice_store.invoice_of_order(uow.conn, order.shop_id, order.order_id):
        return

    terms = PaymentTerms(
        paid=True,
        method=captured.gateway or captured.source.value,
        reference=captured.reference or captured.payment_id,
    )
    await issue_invoice_of(order, terms, uow, billing)


async def issue_invoice_of(
    order: BillingOrder, terms: PaymentTerms, uow: UnitOfWork, billing: Billing
) -> IssuedDocument:
    language = language_for(order.customer.locale, billing.shop.default_language)
    draft = draft_invoice(
        order, seller=billing.seller, language=language, payment=terms
    ).model_copy(update={"logo": billing.logo})
    if draft.totals_disagree:
        log.warning("invoice_totals.disagreed", order_id=order.order_id)

    issued = await invoice_store.issue(uow.conn, draft, issued_at=datetime.now(UTC))
    await _record_document_mail(issued, uow, billing)

    document = issued.document
    uow.emit(
        InvoiceIssued(
            shop_id=order.shop_id,
            order_id=order.order_id,
            invoice_id=str(issued.document_id),
            invoice_number=issued.number,
            series=document.series or "",
            issued_at=document.issued_at or datetime.now(UTC),
            totals=_event_totals(document),
            pdf_url=billing.pdf_url(issued),
            customer_email=order.customer.email,
            totals_disagree=document.totals_disagree,
        ),
        correlation_id=order.order_id,
    )
    log.info(
        "invoice.issued", invoice_id=str(issued.document_id), order_id=order.order_id
    )
    return issued


async def record_refund(
    event: Envelope[OrderRefunded], uow: UnitOfWork, billing: Billing
) -> None:
    """Record a refund made at the platform, or make it at Stripe, once."""
    refunded = event.payload
    payment = await payments.of_order(uow.conn, refunded.shop_id, refunded.order_id)
    if payment is None:
        raise OrderNotRecorded(refunded.order_id)
    refund = Refund(
        refund_id=refunded.refund_id,
        amount=refunded.amount,
        full=refunded.full,
        lines=tuple((r.line_id, r.quantity, r.amount) for r in refunded.lines),
        shipping=refunded.shipping,
        reason=refunded.reason,
    )
    if await payments.refund(uow.conn, payment.payment_id, refund.refund_id):
        return
    _check_refund(refunded, payment)
    await payments.record_refund(uow.conn, payment.payment_id, refund)

    gateway = billing.gateway
    if payment.source == PaymentSource.STRIPE and gateway and payment.payment_intent_id:
        await gateway.refund(
            payment_id=str(payment.payment_id),
            payment_intent=payment.payment_intent_id,
            amount=_minor(refund.amount, payment.currency),
            refund_id=refund.refund_id,
        )
    await refund_payment(payment, refund, uow, refunded_at=refunded.refunded_at)


def _check_refund(refunded: OrderRefunded, payment: Payment) -> None:
    if refunded.currency != payment.currency:
        why = f"in {refunded.currency}, paid in {payment.currency}"
        raise RefundNotValid(refunded.order_id, refunded.refund_id, why)
    if refunded.amount > payment.facts.refundable:
        why = f"{refunded.amount} is more than the {payment.facts.refundable} left"
        raise RefundNotValid(refunded.order_id, refunded.refund_id, why)


async def refund_payment(
    payment: Payment, refund: Refund, uow: UnitOfWork, *, refunded_at: datetime
) -> None:
    """Add a recorded refund to the payment's facts and announce it."""
    facts = replace(payment.facts, refunded=payment.facts.refunded + refund.amount)
    await payments.save_facts(uow.conn, payment.payment_id, facts)

    uow.emit(
        PaymentRefunded(
            shop_id=payment.shop_id,
            order_id=payment.order_id,
            payment_id=str(payment.payment_id),
            refund_id=refund.refund_id,
            amount=refund.amount,
            currency=payment.currency,
            refunded_at=refunded_at,
            reason=refund.reason,
            full=refund.full,
        ),
        correlation_id=payment.order_id,
    )
    log.info("payment.refunded", order_id=payment.order_id, status=facts.status.value)


async def issue_credit_note(
    event: Envelope[PaymentRefunded], uow: UnitOfWork, billing: Billing
) -> None:
    """Credit the order's invoice for a refund, once per refund."""
    refunded = event.payload
    conn = uow.conn
    invoice = await invoice_store.invoice_of_order(
        conn, refunded.shop_id, refunded.order_id
    )
    if invoice is None:
        raise InvoiceNotIssued(refunded.order_id)
    if await invoice_store.credit_note_of_refund(
        conn, refunded.shop_id, refunded.refund_id
    ):
        return
    payment_id = uuid.UUID(refunded.payment_id)
    refund = await payments.refund(conn, payment_id, refunded.refund_id) or Refund(
        refund_id=refunded.refund_id, amount=refunded.amount, full=refunded.full
    )

    whole = refund.full and not await invoice_store.credit_notes_of(
        conn, invoice.document_id
    )
    charges = refunded_charges(
        invoice.document,
        amount=refund.amount,
        lines=refund.lines,
        shipping=refund.shipping,
        full=whole,
    )
    draft = draft_credit_note(
        invoice.document,
        charges,
        payment=invoice.document.payment.model_copy(
            update={"paid": True, "reference": refund.refund_id}
        ),
        refunded_on=refunded.refunded_at.date(),
        reason=refund.reason,
    )
    issued = await invoice_store.issue(
        conn,
        draft,
        issued_at=datetime.now(UTC),
        credited_document_id=invoice.document_id,
        refund_id=refund.refund_id,
    )
    await _record_document_mail(issued, uow, billing)

    _emit_credit_note(issued, invoice, refund.refund_id, uow, billing)


async def cancel_order(
    event: Envelope[OrderCancelled], uow: UnitOfWork, billing: Billing
) -> None:
    """Close the payment link and credit the invoice of an order never paid.

    A paid order's money comes back through `order.refunded`, which brings
    its own credit note; crediting it here as well would credit it twice.
    """
    cancelled = event.payload
    conn = uow.conn
    payment = await payments.of_order(conn, cancelled.shop_id, cancelled.order_id)
    if payment is None:
        raise OrderNotRecorded(cancelled.order_id)
    if not payment.facts.is_captured:
        await _close_payment_link(payment, billing)
    invoice = await invoice_store.invoice_of_order(
        conn, cancelled.shop_id, cancelled.order_id
    )
    if payment.facts.is_captured or invoice is None:
        return
    if await invoice_store.credit_notes_of(conn, invoice.document_id):
        return

    draft = draft_credit_note(
        invoice.document,
        [],
        payment=invoice.document.payment,
        refunded_on=cancelled.cancelled_at.date(),
        reason=cancelled.reason or "cancelled",
    )
    issued = await invoice_store.issue(
        conn,
        draft,
        issued_at=datetime.now(UTC),
        credited_document_id=invoice.document_id,
    )
    await _record_document_mail(issued, uow, billing)

    _emit_credit_note(issued, invoice, None, uow, billing)


async def _close_payment_link(payment: Payment, billing: Billing) -> None:
    """Expire the Checkout Session of a cancelled order, so it cannot be paid.

    A session that is no longer open was paid or expired already; a payment
    that went through is captured by its webhook and refunded as usual.
    """
    session_id = payment.checkout_session_id
    if billing.gateway is None or session_id is None:
        return
    expired = await billing.gateway.expire_checkout(
        payment_id=str(payment.payment_id), session_id=session_id
    )
    log.info("payment_link.closed", order_id=payment.order_id, expired=expired)


def _emit_credit_note(
    issued: IssuedDocument,
    invoice: IssuedDocument,
    refund_id: str | None,
    uow: UnitOfWork,
    billing: Billing,
) -> None:
    document = issued.document
    uow.emit(
        CreditNoteIssued(
            shop_id=document.shop_id,
            order_id=document.order_id,
            credit_note_id=str(issued.document_id),
            credit_note_number=issued.number,
            series=document.series or "",
            invoice_number=invoice.number,
            issued_at=document.issued_at or datetime.now(UTC),
            totals=_event_totals(document),
            refund_id=refund_id,
            reason=document.reason,
            pdf_url=billing.pdf_url(issued),
            customer_email=document.buyer.email,
        ),
        correlation_id=document.order_id,
    )
    log.info(
        "credit_note.issued",
        credit_note_id=str(issued.document_id),
        order_id=document.order_id,
    )


async def _record_document_mail(
    issued: IssuedDocument, uow: UnitOfWork, billing: Billing
) -> None:
    document = issued.document
    if not document.buyer.email:
        return
    kind = document.kind.value
    w = words(document.language)
    values = {"number": issued.number, "order": document.order_number}
    await mail_outbox.record(
        uow.conn,
        OutgoingMail(
            message_id=message_id_for(
                kind.replace("_", "-"),
                str(issued.document_id),
                billing.shop.mail_domain,
            ),
            shop_id=document.shop_id,
            purpose=kind,
            recipient=document.buyer.email,
            subject=w[f"mail_{kind}_subject"].format(**values),
            body=w[f"mail_{kind}_body"].format(**values),
            document_id=issued.document_id,
        ),
    )


def _event_totals(document: Document) -> EventTotals:
    totals = document.totals
    return EventTotals(
        net=totals.net, tax=totals.tax, gross=totals.gross, currency=document.currency
    )


def _minor(amount: Decimal, currency: str) -> int:
    return to_minor_units(round_money(amount, currency), currency)
