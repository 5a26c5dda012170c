"""Stripe Checkout's events: sessions, asynchronous payments and refunds."""

from __future__ import annotations

import time
from typing import Any

from orders_fakes import (
    encode,
    stripe_charge_refunded_event,
    stripe_event,
    stripe_headers,
    stripe_refund,
    stripe_refund_event,
    stripe_session_event,
)
from orders_harness import OrdersHarness
from structlog.testing import capture_logs

PATH = "/webhooks/stripe"


def _item(
    item_id: str, title: str, unit: int, quantity: int, discount: int, tax: int
) -> dict[str, Any]:
    return {
        "id": item_id,
        "object": "item",
        "amount_discount": discount,
        "amount_subtotal": unit * quantity,
        "amount_tax": tax,
        "amount_total": unit * quantity - discount + tax,
        "currency": "eur",
        "description": title,
        "price": {
            "id": f"price_{item_id}",
            "object": "price",
            "product": f"prod_{item_id}",
            "unit_amount": unit,
        },
        "quantity": quantity,
        "taxes": [
            {
                "amount": tax,
                "rate": {"display_name": "DPH", "percentage": 19.0},
                "taxability_reason": "standard_rated",
                "taxable_amount": unit * quantity - discount,
            }
        ],
    }


async def test_session_becomes_an_order(orders: OrdersHarness) -> None:
    receipt = await orders.stripe(stripe_session_event())

    [(_, placed)] = await orders.events(receipt["order_id"])

    assert placed["shop_id"] == "stripe:default"
    assert placed["platform_order_id"].startswith("pi_3Q")
    assert placed["currency"] == "EUR"
    assert placed["customer"]["vat_id"] == "CZ12345678"
    assert placed["customer"]["last_name"] == "Novak"
    assert placed["customer"]["locale"] == "cs"
    assert placed["lines"][0]["kind"] == "digital"
    assert placed["lines"][0]["unit_price"] == "49.00"
    assert placed["lines"][0]["taxes"][0]["rate"] == "0.19"
    assert placed["totals"]["total"] == "58.31"
    assert placed["totals"]["taxes_included"] is False
    assert placed["totals_mismatch"] is False
    assert placed["test"] is True


async def test_business_order_with_discount_and_shipping(
    orders: OrdersHarness,
) -> None:
    address = {
        "city": "Brno",
        "country": "CZ",
        "line1": "Masarykova 12",
        "line2": None,
        "postal_code": "602 00",
        "state": None,
    }
    event = stripe_session_event(
        amount_subtotal=5100,
        amount_total=6224,
        total_details={
            "amount_discount": 360,
            "amount_shipping": 490,
            "amount_tax": 994,
        },
        customer_details={
            "email": "nakup@prazirna.example.cz",
            "name": "Lukas Novak",
            "individual_name": "Lukas Novak",
            "business_name": "Pražírna Novák s.r.o.",
            "phone": "+420 601 123 456",
            "address": address,
            "tax_exempt": "none",
            "tax_ids": [{"type": "eu_vat", "value": "CZ87654321"}],
        },
        collected_information={
            "shipping_details": {"name": "Lukas Novak", "address": address}
        },
        line_items={
            "object": "list",
            "data": [
                _item("li_beans", "Green coffee, 1 kg", 1800, 2, 360, 616),
                _item("li_guide", "Roasting guide", 1500, 1, 0, 285),
            ],
        },
    )

    receipt = await orders.stripe(event)

    [(_, placed)] = await orders.events(receipt["order_id"])
    assert placed["customer"]["company"] == "Pražírna Novák s.r.o."
    assert placed["customer"]["vat_id"] == "CZ87654321"
    assert placed["shipping_address"]["city"] == "Brno"
    assert [line["total"] for line in placed["lines"]] == ["32.40", "15.00"]
    assert placed["lines"][0]["discount"] == "3.60"
    assert placed["shipping_lines"][0]["amount"] == "4.90"
    assert placed["totals"] == {
        "subtotal": "51.00",
        "discounts": "3.60",
        "shipping": "4.90",
        "tax": "9.94",
        "total": "62.24",
        "taxes_included": False,
    }
    assert placed["totals_mismatch"] is False


async def test_session_with_tax_included_in_its_prices(
    orders: OrdersHarness,
) -> None:
    event = stripe_session_event(
        amount_subtotal=5831,
        amount_total=5831,
        total_details={"amount_discount": 0, "amount_shipping": 0, "amount_tax": 931},
        shipping_details={
            "name": "Lukas Novak",
            "address": {"line1": "Vodičkova 1", "city": "Praha", "country": "CZ"},
        },
    )

    receipt = await orders.stripe(event)

    [(_, placed)] = await orders.events(receipt["order_id"])
    assert placed["totals"]["taxes_included"] is True
    assert placed["totals_mismatch"] is False
    assert placed["shipping_address"]["city"] == "Praha"
    assert placed["lines"][0]["kind"] == "physical"


async def test_asynchronous_payment_marks_the_order_paid(
    orders: OrdersHarness,
) -> None:
    completed = stripe_session_event(payment_status="unpaid")
    session = completed["data"]["object"] | {"payment_status": "paid"}
    placed = await orders.stripe(completed)

    await orders.stripe(
        stripe_event("checkout.session.async_payment_succeeded", session)
    )

    [(_, order), (key, update)] = await orders.events(placed["order_id"])
    assert (order["paid"], order["financial_status"]) == (False, "pending")
    assert key == "order.updated.v1"
    assert (update["paid"], update["financial_status"]) == (True, "paid")


async def test_failed_asynchronous_payment_cancels_the_order(
    orders: OrdersHarness,
) -> None:
    completed = stripe_session_event(payment_status="unpaid")
    session = completed["data"]["object"]
    placed = await orders.stripe(completed)

    await orders.stripe(stripe_event("checkout.session.async_payment_failed", session))

    events = await orders.events(placed["order_id"])
    assert events[1][0] == "order.cancelled.v1"
    assert events[1][1]["reason"] == "payment_failed"


async def test_refund_before_the_session_waits_for_it(orders: OrdersHarness) -> None:
    event = stripe_session_event()
    payment_intent = event["data"]["object"]["payment_intent"]

    early = await orders.stripe(stripe_refund_event(payment_intent, "re_1", 1000))
    placed = await orders.stripe(event)

    assert early["status"] == "pending"
    events = await orders.events(placed["order_id"])
    assert [key for key, _ in events] == ["order.placed.v1", "order.refunded.v1"]
    assert events[1][1]["amount"] == "10.00"
    assert events[1][1]["full"] is False


async def test_charge_refunded_applies_each_refund_once(orders: OrdersHarness) -> None:
    event = stripe_session_event()
    payment_intent = event["data"]["object"]["payment_intent"]
    placed = await orders.stripe(event)
    first = stripe_refund(payment_intent, "re_first", 1000)
    rest = stripe_refund(payment_intent, "re_rest", 4831)

    await orders.stripe(stripe_refund_event(payment_intent, "re_first", 1000))
    await orders.stripe(stripe_charge_refunded_event(payment_intent, [first, rest]))

    events = await orders.events(placed["order_id"])
    refunds = [payload for key, payload in events if key == "order.refunded.v1"]
    assert [(r["refund_id"], r["amount"], r["full"]) for r in refunds] == [
        ("re_first", "10.00", False),
        ("re_rest", "48.31", True),
    ]


async def test_charge_refunded_without_its_refunds_is_ignored(
    orders: OrdersHarness,
) -> None:
    event = stripe_charge_refunded_event("pi_3Qnone", [])
    del event["data"]["object"]["refunds"]

    receipt = await orders.stripe(event)

    assert receipt == {
        "status": "ignored",
        "delivery_id": event["id"],
        "order_id": None,
    }


async def test_signature_outside_the_tolerance_is_refused(
    orders: OrdersHarness,
) -> None:
    body = encode(stripe_session_event())
    headers = stripe_headers(body, timestamp=int(time.time()) - 3600)

    response = await orders.post(PATH, body, headers)

    assert response.status_code == 401
    assert "tolerance" in response.json()["message"]


async def test_session_that_does_not_fit_names_the_path_from_the_event(
    orders: OrdersHarness,
) -> None:
    event = stripe_session_event()
    del event["data"]["object"]["currency"]
    body = encode(event)

    with capture_logs() as logs:
        response = await orders.post(PATH, body, stripe_headers(body))

    assert response.status_code == 422
    assert [f["path"] for f in response.json()["fields"]] == ["data.object.currency"]
    [line] = [log for log in logs if log["event"] == "delivery.rejected"]
    assert line["delivery_id"] == event["id"]
