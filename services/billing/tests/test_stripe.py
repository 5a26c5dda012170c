"""Stripe through the real SDK against a fake Stripe API on loopback."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import asyncpg
import httpx
import pytest
from billing_flow import SHOP, BillingUnderTest, billing_running, settle
from billing_orders import order_placed
from billing_stripe_fake import (
    API_KEY,
    WEBHOOK_SECRET,
    FakeStripe,
    signed_body,
    signed_event,
)

from orderflow.backbone.testing import eventually
from orderflow.backbone.unit_of_work import UnitOfWork
from orderflow.billing import handlers
from orderflow.billing.adapters.stripe_gateway import StripeGateway
from orderflow.billing.errors import StripeRejected
from orderflow.billing.handlers import Billing
from orderflow.billing.settings import Settings
from orderflow.contracts import OrderCancelled, OrderPlaced, OrderRefunded

# NOTE: the Stripe SDK's httpx client posts its form body as `data=bytes`,
# which httpx deprecates; the warning is the SDK's, not billing's.
pytestmark = pytest.mark.filterwarnings(
    "ignore:Use 'content=<...>' to upload raw bytes:DeprecationWarning"
)

OTHER_SECRET = "whsec_someone_else"  # noqa: S105 - a forger's secret


@pytest.fixture(scope="module")
async def stripe() -> AsyncIterator[FakeStripe]:
    async with FakeStripe().serving() as fake:
        yield fake


@pytest.fixture(scope="module")
async def billing(
    amqp_url: str, database_url: str, stripe: FakeStripe
) -> AsyncIterator[BillingUnderTest]:
    async with billing_running(
        amqp_url,
        database_url,
        stripe_api_key=API_KEY,
        stripe_webhook_secret=WEBHOOK_SECRET,
        stripe_api_base=stripe.url,
    ) as running:
        yield running


async def _requested(billing: BillingUnderTest, placed: OrderPlaced) -> dict[str, Any]:
    await billing.publish(placed)
    requested = await billing.wait_for_events("payment.requested.v1", placed.order_id)
    return requested[0]


async def _webhook(
    billing: BillingUnderTest, event_type: str, obj: dict[str, Any], event_id: str
) -> httpx.Response:
    body, signature = signed_event(event_type, obj, event_id=event_id)
    async with billing.http() as client:
        return await client.post(
            "/stripe/webhook", content=body, headers={"Stripe-Signature": signature}
        )


def _intent(payment: dict[str, Any], intent_id: str) -> dict[str, Any]:
    return {
        "id": intent_id,
        "object": "payment_intent",
        "amount": 4640,
        "amount_received": 4640,
        "currency": "eur",
        "status": "succeeded",
        "metadata": {"payment_id": payment["payment_id"]},
    }


def _charge(intent_id: str, refunded: int) -> dict[str, Any]:
    return {
        "id": f"ch_{intent_id}",
        "object": "charge",
        "amount": 4640,
        "amount_captured": 4640,
        "amount_refunded": refunded,
        "payment_intent": intent_id,
        "refunded": refunded == 4640,
    }


async def _status(billing: BillingUnderTest, order_id: str) -> str:
    rows = await billing.fetch(
        "SELECT status FROM payments WHERE order_id = $1", order_id
    )
    return str(rows[0]["status"])


async def test_unpaid_order_gets_a_checkout_link_by_email(
    billing: BillingUnderTest, stripe: FakeStripe
) -> None:
    placed = order_placed(paid=False, locale="en")

    payment = await _requested(billing, placed)
    mails = await billing.wait_for_mail(f"Payment for your order {placed.order_number}")

    session = stripe.objects[payment["reference"]]
    asked = next(
        call.params
        for call in stripe.creations("/v1/checkout/sessions")
        if call.params["metadata"]["order_id"] == placed.order_id
    )
    assert payment["method"] == "card"
    assert asked["locale"] == "en"
    assert asked["line_items"]["0"]["price_data"]["product_data"]["name"] == (
        f"Order {placed.order_number}"
    )
    assert payment["payment_url"] == session["url"]
    assert session["amount_total"] == 4640
    assert session["metadata"]["payment_id"] == payment["payment_id"]
    assert session["url"] in mails[-1].get_content()


async def test_checkout_page_speaks_the_customers_language(
    billing: BillingUnderTest, stripe: FakeStripe
) -> None:
    placed = order_placed(paid=False, locale="fr-FR", country="FR")

    await _requested(billing, placed)

    asked = next(
        call.params
        for call in stripe.creations("/v1/checkout/sessions")
        if call.params["metadata"]["order_id"] == placed.order_id
    )
    assert asked["locale"] == "fr"
    assert asked["line_items"]["0"]["price_data"]["product_data"]["name"] == (
        f"Commande {placed.order_number}"
    )


async def test_products_are_registered_once_per_sku_with_idempotency_keys(
    billing: BillingUnderTest, stripe: FakeStripe
) -> None:
    first, second = order_placed(paid=True), order_placed(paid=True)

    await billing.publish(first)
    await billing.wait_for_events("payment.captured.v1", first.order_id)
    await billing.publish(second)
    await billing.wait_for_events("payment.captured.v1", second.order_id)

    skus = [call.params["metadata"]["sku"] for call in stripe.creations("/v1/products")]
    assert sorted(set(skus)) == ["EBOOK-ASYNC", "MUG-BLUE"]
    assert len(stripe.objects_of("product")) == 2
    writes = [call for call in stripe.calls if "payment_intents" not in call.path]
    assert all(call.idempotency_key for call in writes)
    rows = await billing.fetch("SELECT gateway_price_id FROM products ORDER BY sku")
    assert [row["gateway_price_id"][:6] for row in rows] == ["price_", "price_"]
    products = {p["metadata"]["sku"]: p["id"] for p in stripe.objects_of("product")}
    mug = next(
        p for p in stripe.objects_of("price") if p["metadata"]["sku"] == "MUG-BLUE"
    )
    assert (mug["product"], mug["unit_amount"]) == (products["MUG-BLUE"], 1250)
    assert mug["metadata"]["shop_id"] == first.shop_id


async def test_product_registration_retried_after_stripe_failed_creates_one_product(
    billing: BillingUnderTest, stripe: FakeStripe
) -> None:
    placed = order_placed(paid=True)
    line = placed.lines[0].model_copy(update={"sku": "POSTER-RETRY"})
    placed = placed.model_copy(update={"lines": (line,)})
    stripe.fail("/v1/prices", times=3)

    await billing.publish(placed)
    await billing.wait_for_events("payment.captured.v1", placed.order_id)

    products = [
        p
        for p in stripe.objects_of("product")
        if p["metadata"]["sku"] == "POSTER-RETRY"
    ]
    keys = {
        c.idempotency_key
        for c in stripe.creations("/v1/products")
        if c.params["metadata"]["sku"] == "POSTER-RETRY"
    }
    assert len(products) == 1
    assert len(keys) == 1
    registered = await billing.events("product.registered.v1", placed.order_id)
    assert [r["sku"] for r in registered] == ["POSTER-RETRY"]


async def test_checkout_whose_answer_was_lost_opens_one_session_after_the_retry(
    billing: BillingUnderTest, stripe: FakeStripe
) -> None:
    placed = order_placed(paid=False)
    stripe.lose("/v1/checkout/sessions", times=3)

    payment = await _requested(billing, placed)

    asked = [
        call
        for call in stripe.creations("/v1/checkout/sessions")
        if call.params["metadata"]["order_id"] == placed.order_id
    ]
    sessions = [
        session
        for session in stripe.objects_of("checkout.session")
        if session["metadata"]["order_id"] == placed.order_id
    ]
    assert len(asked) > 3
    assert len({call.idempotency_key for call in asked}) == 1
    assert [session["id"] for session in sessions] == [payment["reference"]]


async def test_two_orders_with_the_same_new_sku_register_it_at_stripe_once(
    billing: BillingUnderTest, stripe: FakeStripe, amqp_url: str, database_url: str
) -> None:
    gateway = StripeGateway(API_KEY, webhook_secret=None, api_base=stripe.url)
    settings = Settings(amqp_url=amqp_url, database_url=database_url)
    shop_billing = Billing(settings=settings, shop=SHOP, gateway=gateway)
    first, second = (
        _with_one_line(title, price)
        for title, price in (("Lamp", "30"), ("Lamp 2", "35"))
    )

    async with _connection(database_url) as conn, conn.transaction():
        await handlers.register_products(first, UnitOfWork(conn, "tests"), shop_billing)
        racing = asyncio.create_task(_register(database_url, second, shop_billing))
        await eventually(lambda: _waiting_for_a_lock(database_url))
    await racing

    lamps = [p for p in stripe.objects_of("product") if p["metadata"]["sku"] == "LAMP"]
    assert [lamp["name"] for lamp in lamps] == ["Lamp"]
    rows = await billing.fetch("SELECT title FROM products WHERE sku = 'LAMP'")
    assert [row["title"] for row in rows] == ["Lamp"]


async def test_a_refund_sent_again_with_another_amount_is_refused(
    stripe: FakeStripe,
) -> None:
    gateway = StripeGateway(API_KEY, webhook_secret=None, api_base=stripe.url)
    refund = {"payment_id": "p-1", "payment_intent": "pi_twice", "refund_id": "r-1"}

    first = await gateway.refund(amount=500, **refund)
    again = await gateway.refund(amount=500, **refund)
    with pytest.raises(StripeRejected):
        await gateway.refund(amount=700, **refund)

    assert again == first


def _with_one_line(title: str, price: str) -> OrderPlaced:
    placed = order_placed(paid=True)
    line = placed.lines[0].model_copy(
        update={"sku": "LAMP", "title": title, "unit_price": Decimal(price)}
    )
    return placed.model_copy(update={"lines": (line,)})


@asynccontextmanager
async def _connection(database_url: str) -> AsyncIterator[asyncpg.Connection]:
    """A connection of its own on billing's schema, outside the service's pool."""
    conn = await asyncpg.connect(
        database_url, server_settings={"search_path": "billing"}
    )
    try:
        yield conn
    finally:
        await conn.close()


async def _register(database_url: str, placed: OrderPlaced, billing: Billing) -> None:
    async with _connection(database_url) as conn, conn.transaction():
        await handlers.register_products(placed, UnitOfWork(conn, "tests"), billing)


async def _waiting_for_a_lock(database_url: str) -> bool:
    async with _connection(database_url) as conn:
        waiting: bool = await conn.fetchval(
            "SELECT count(*) > 0 FROM pg_stat_activity"
            " WHERE datname = current_database() AND wait_event_type = 'Lock'"
            " AND query LIKE 'INSERT INTO products%'"
        )
    return waiting


async def test_duplicate_and_reordered_webhooks_capture_once_and_refund_once(
    billing: BillingUnderTest,
) -> None:
    placed = order_placed(paid=False)
    payment = await _requested(billing, placed)
    session = {
        "id": payment["reference"],
        "object": "checkout.session",
        "payment_status": "paid",
        "amount_total": 4640,
        "payment_intent": "pi_reordered",
    }

    replies = [
        await _webhook(
            billing,
            "payment_intent.succeeded",
            _intent(payment, "pi_reordered"),
            "evt_1",
        ),
        await _webhook(billing, "checkout.session.completed", session, "evt_2"),
        await _webhook(
            billing,
            "payment_intent.succeeded",
            _intent(payment, "pi_reordered"),
            "evt_1",
        ),
        await _webhook(
            billing, "charge.refunded", _charge("pi_reordered", 1000), "evt_3"
        ),
        await _webhook(
            billing, "charge.refunded", _charge("pi_reordered", 1000), "evt_4"
        ),
    ]
    await billing.wait_for_events("credit_note.issued.v1", placed.order_id)
    await settle()

    assert [reply.status_code for reply in replies] == [200] * 5
    assert len(await billing.events("payment.captured.v1", placed.order_id)) == 1
    assert len(await billing.events("invoice.issued.v1", placed.order_id)) == 1
    refunds = await billing.events("payment.refunded.v1", placed.order_id)
    assert [r["amount"] for r in refunds] == ["10.00"]
    assert len(await billing.events("credit_note.issued.v1", placed.order_id)) == 1
    assert await _status(billing, placed.order_id) == "partially_refunded"


async def test_partial_refunds_reported_out_of_order_end_at_the_larger_total(
    billing: BillingUnderTest,
) -> None:
    placed = order_placed(paid=False)
    payment = await _requested(billing, placed)
    await _webhook(
        billing, "payment_intent.succeeded", _intent(payment, "pi_twice"), "evt_14"
    )

    await _webhook(billing, "charge.refunded", _charge("pi_twice", 3000), "evt_16")
    await _webhook(billing, "charge.refunded", _charge("pi_twice", 1000), "evt_15")
    await billing.wait_for_events("credit_note.issued.v1", placed.order_id)
    await settle()

    refunds = await billing.events("payment.refunded.v1", placed.order_id)
    assert [r["amount"] for r in refunds] == ["30.00"]
    rows = await billing.fetch(
        "SELECT refunded FROM payments WHERE order_id = $1", placed.order_id
    )
    assert rows[0]["refunded"] == Decimal("30.00")
    assert await _status(billing, placed.order_id) == "partially_refunded"


async def test_refund_that_arrives_before_its_capture_records_both_once(
    billing: BillingUnderTest, stripe: FakeStripe
) -> None:
    placed = order_placed(paid=False)
    payment = await _requested(billing, placed)
    intent = stripe.add(_intent(payment, "pi_early"))

    replies = [
        await _webhook(billing, "charge.refunded", _charge("pi_early", 4640), "evt_5"),
        await _webhook(billing, "payment_intent.succeeded", intent, "evt_6"),
    ]
    await billing.wait_for_events("credit_note.issued.v1", placed.order_id)

    assert [reply.status_code for reply in replies] == [200, 200]
    assert await _status(billing, placed.order_id) == "refunded"
    assert len(await billing.events("payment.captured.v1", placed.order_id)) == 1
    refunds = await billing.events("payment.refunded.v1", placed.order_id)
    assert [(r["amount"], r["full"]) for r in refunds] == [("46.40", True)]


async def test_refund_of_a_payment_billing_never_asked_for_is_ignored(
    billing: BillingUnderTest,
) -> None:
    reply = await _webhook(
        billing, "charge.refunded", _charge("pi_elsewhere", 4640), "evt_other"
    )

    assert reply.status_code == 200
    rows = await billing.fetch(
        "SELECT 1 FROM refunds WHERE refund_id LIKE 'ch_pi_else%'"
    )
    assert rows == []


async def test_failed_payment_is_reported_and_a_later_success_captures(
    billing: BillingUnderTest,
) -> None:
    placed = order_placed(paid=False)
    payment = await _requested(billing, placed)
    failed = _intent(payment, "pi_retry") | {
        "status": "requires_payment_method",
        "amount_received": 0,
        "last_payment_error": {"type": "card_error", "code": "card_declined"},
    }

    await _webhook(billing, "payment_intent.payment_failed", failed, "evt_7")
    assert await _status(billing, placed.order_id) == "failed"
    await _webhook(
        billing, "payment_intent.succeeded", _intent(payment, "pi_retry"), "evt_8"
    )

    failures = await billing.events("payment.failed.v1", placed.order_id)
    assert [f["code"] for f in failures] == ["card_declined"]
    assert await _status(billing, placed.order_id) == "captured"


async def test_order_refunded_at_the_shop_is_refunded_at_stripe_once(
    billing: BillingUnderTest, stripe: FakeStripe
) -> None:
    placed = order_placed(paid=False)
    payment = await _requested(billing, placed)
    await _webhook(
        billing, "payment_intent.succeeded", _intent(payment, "pi_shop"), "evt_9"
    )
    refund = OrderRefunded(
        shop_id=placed.shop_id,
        order_id=placed.order_id,
        platform_order_id=placed.platform_order_id,
        refund_id="shop-refund-1",
        refunded_at=datetime.now(UTC),
        amount=Decimal("46.40"),
        currency="EUR",
        full=True,
    )

    await billing.publish(refund)
    await billing.publish(refund)
    await billing.wait_for_events("credit_note.issued.v1", placed.order_id)
    echoed = await _webhook(
        billing, "charge.refunded", _charge("pi_shop", 4640), "evt_10"
    )
    await settle()

    refunds = [
        c
        for c in stripe.creations("/v1/refunds")
        if c.params["payment_intent"] == "pi_shop"
    ]
    assert len({c.idempotency_key for c in refunds}) == 1
    assert (
        len(
            [r for r in stripe.objects_of("refund") if r["payment_intent"] == "pi_shop"]
        )
        == 1
    )
    assert echoed.status_code == 200
    assert len(await billing.events("payment.refunded.v1", placed.order_id)) == 1
    assert await _status(billing, placed.order_id) == "refunded"


async def test_webhook_with_a_wrong_signature_is_refused(
    billing: BillingUnderTest,
) -> None:
    body, _ = signed_event("payment_intent.succeeded", {"id": "pi_x"}, event_id="evt_x")
    _, forged = signed_event(
        "payment_intent.succeeded",
        {"id": "pi_x"},
        event_id="evt_x",
        secret=OTHER_SECRET,
    )

    async with billing.http() as client:
        reply = await client.post(
            "/stripe/webhook", content=body, headers={"Stripe-Signature": forged}
        )

    assert reply.status_code == 400


@pytest.mark.parametrize(
    "body", [b"[]", b'{"id": "evt_y", "type": "charge.refunded"}', b'{"data": 1}']
)
async def test_signed_webhook_that_is_no_stripe_event_is_refused(
    billing: BillingUnderTest, body: bytes
) -> None:
    content, signature = signed_body(body)

    async with billing.http() as client:
        reply = await client.post(
            "/stripe/webhook", content=content, headers={"Stripe-Signature": signature}
        )

    assert reply.status_code == 400


async def test_event_without_the_fields_of_its_type_is_rejected_and_changes_nothing(
    billing: BillingUnderTest,
) -> None:
    placed = order_placed(paid=False)
    payment = await _requested(billing, placed)
    session = {"id": payment["reference"], "payment_status": "paid"}

    reply = await _webhook(billing, "checkout.session.completed", session, "evt_11")

    assert reply.json() == {"status": "rejected"}
    assert await _status(billing, placed.order_id) == "requested"
    seen = await billing.fetch("SELECT 1 FROM gateway_events WHERE event_id = 'evt_11'")
    assert seen == []


async def test_intent_of_another_system_with_a_payment_id_of_its_own_is_ignored(
    billing: BillingUnderTest,
) -> None:
    intent = _intent({"payment_id": "order-77"}, "pi_foreign")

    reply = await _webhook(billing, "payment_intent.succeeded", intent, "evt_12")

    assert reply.json() == {"status": "ok"}
    rows = await billing.fetch(
        "SELECT 1 FROM payments WHERE payment_intent_id = 'pi_foreign'"
    )
    assert rows == []


async def test_webhook_signed_long_ago_is_refused_as_a_replay(
    billing: BillingUnderTest,
) -> None:
    event, _ = signed_event("payment_intent.succeeded", {"id": "pi_z"}, event_id="e")
    body, old_signature = signed_body(event, age=600)

    async with billing.http() as client:
        reply = await client.post(
            "/stripe/webhook", content=body, headers={"Stripe-Signature": old_signature}
        )

    assert reply.status_code == 400


async def test_cancelled_unpaid_order_has_its_payment_link_closed_once(
    billing: BillingUnderTest, stripe: FakeStripe
) -> None:
    placed = order_placed(paid=False)
    payment = await _requested(billing, placed)
    cancelled = OrderCancelled(
        shop_id=placed.shop_id,
        order_id=placed.order_id,
        platform_order_id=placed.platform_order_id,
        cancelled_at=datetime.now(UTC),
    )

    await billing.publish(cancelled)
    await billing.wait_handled(await billing.publish(cancelled))

    path = f"/v1/checkout/sessions/{payment['reference']}/expire"
    expiries = [call for call in stripe.calls if call.path == path]
    assert stripe.objects[payment["reference"]]["status"] == "expired"
    assert len({call.idempotency_key for call in expiries}) == 1
    assert await billing.events("credit_note.issued.v1", placed.order_id) == []


async def test_cancellation_after_the_link_was_paid_leaves_the_capture(
    billing: BillingUnderTest, stripe: FakeStripe
) -> None:
    placed = order_placed(paid=False)
    payment = await _requested(billing, placed)
    stripe.objects[payment["reference"]]["status"] = "complete"

    handled = await billing.publish(
        OrderCancelled(
            shop_id=placed.shop_id,
            order_id=placed.order_id,
            platform_order_id=placed.platform_order_id,
            cancelled_at=datetime.now(UTC),
        )
    )
    await billing.wait_handled(handled)
    await _webhook(
        billing, "payment_intent.succeeded", _intent(payment, "pi_late"), "evt_13"
    )

    assert await _status(billing, placed.order_id) == "captured"
