"""What billing does with each of Stripe's webhook events.

Each event is applied once (by its id); one that lacks a field billing
reads is refused as malformed, and one about a payment billing never asked
for (no `payment_id` of billing's in its metadata) is passed over. The
payment's state is derived from the facts recorded, so the same events in
another order end in the same state: a refund that arrives before the
capture it refunds records the capture first, from the charge it names.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from orderflow.backbone.logging import get_logger
from orderflow.backbone.unit_of_work import UnitOfWork
from orderflow.billing.adapters import payment_store as payments
from orderflow.billing.adapters.payment_store import Payment, Refund
from orderflow.billing.adapters.stripe_gateway import StripeGateway, WebhookEvent
from orderflow.billing.errors import WebhookMalformed
from orderflow.billing.handlers import capture, refund_payment
from orderflow.contracts import PaymentFailed, PaymentSource, from_minor_units

log = get_logger(__name__)

StripeObject = dict[str, Any]


async def apply_stripe_event(
    event: WebhookEvent, uow: UnitOfWork, gateway: StripeGateway
) -> None:
    """Apply a verified Stripe webhook once; events about others' payments pass."""
    if not await payments.first_sight_of_gateway_event(
        uow.conn, event.event_id, event.type
    ):
        return
    apply = _APPLY.get(event.type)
    if apply is None:
        return
    try:
        await apply(event.object, uow, gateway)
    except (KeyError, TypeError) as exc:
        raise WebhookMalformed(event.event_id, event.type) from exc


async def checkout_completed(
    session: StripeObject, uow: UnitOfWork, _: StripeGateway
) -> None:
    payment = await payments.by_checkout_session(uow.conn, session["id"])
    if payment is None or session.get("payment_status") != "paid":
        return
    await _capture(payment, uow, session["amount_total"], session.get("payment_intent"))


async def intent_succeeded(
    intent: StripeObject, uow: UnitOfWork, gateway: StripeGateway
) -> None:
    payment = await _payment_of_intent(intent["id"], uow, gateway, intent)
    if payment is not None:
        await _capture(payment, uow, intent["amount_received"], intent["id"])


async def intent_failed(
    intent: StripeObject, uow: UnitOfWork, gateway: StripeGateway
) -> None:
    payment = await _payment_of_intent(intent["id"], uow, gateway, intent)
    if payment is None or payment.facts.is_captured:
        return
    await payments.save_facts(
        uow.conn, payment.payment_id, replace(payment.facts, failed=True), intent["id"]
    )

    error = intent.get("last_payment_error") or {}
    uow.emit(
        PaymentFailed(
            shop_id=payment.shop_id,
            order_id=payment.order_id,
            payment_id=str(payment.payment_id),
            amount=payment.amount,
            currency=payment.currency,
            failed_at=datetime.now(UTC),
            reason=str(error.get("type") or "payment_failed"),
            code=error.get("decline_code") or error.get("code"),
        ),
        correlation_id=payment.order_id,
    )
    log.info("payment.failed", order_id=payment.order_id)


async def charge_refunded(
    charge: StripeObject, uow: UnitOfWork, gateway: StripeGateway
) -> None:
    """Stripe reports the charge's refunded total; record what is new in it."""
    intent_id = charge.get("payment_intent")
    payment = await _payment_of_intent(intent_id, uow, gateway) if intent_id else None
    if payment is None:
        return
    if not payment.facts.is_captured:
        await _capture(payment, uow, charge["amount_captured"], intent_id)
        payment = await payments.by_id(uow.conn, payment.payment_id) or payment
    refunded = from_minor_units(charge["amount_refunded"], payment.currency)
    new = refunded - payment.facts.refunded
    if new <= 0:
        return
    refund = Refund(
        refund_id=f"{charge['id']}:{charge['amount_refunded']}",
        amount=new,
        full=refunded >= payment.facts.captured,
    )

    await payments.record_refund(uow.conn, payment.payment_id, refund)
    await refund_payment(payment, refund, uow, refunded_at=datetime.now(UTC))


async def _capture(
    payment: Payment, uow: UnitOfWork, minor_units: int, intent_id: str | None
) -> None:
    await capture(
        payment,
        uow,
        amount=from_minor_units(minor_units, payment.currency),
        source=PaymentSource.STRIPE,
        gateway="stripe",
        reference=intent_id,
        captured_at=datetime.now(UTC),
    )


async def _payment_of_intent(
    intent_id: str,
    uow: UnitOfWork,
    gateway: StripeGateway,
    intent: StripeObject | None = None,
) -> Payment | None:
    """The payment a PaymentIntent pays, by the id billing put in its metadata."""
    payment = await payments.by_payment_intent(uow.conn, intent_id)
    if payment is not None:
        return payment
    if intent is None:
        intent = await gateway.payment_intent(intent_id) or {}
    payment_id = (intent.get("metadata") or {}).get("payment_id")
    try:
        ours = uuid.UUID(payment_id)
    except (TypeError, ValueError):
        return None
    return await payments.by_id(uow.conn, ours)


_APPLY: dict[
    str, Callable[[StripeObject, UnitOfWork, StripeGateway], Awaitable[None]]
] = {
    "checkout.session.completed": checkout_completed,
    "payment_intent.succeeded": intent_succeeded,
    "payment_intent.payment_failed": intent_failed,
    "charge.refunded": charge_refunded,
}
