"""WooCommerce, Stripe Checkout, Gumroad and the generic API."""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import urlencode

from orders_fakes import (
    API_KEY,
    GUMROAD_KEY,
    changed,
    encode,
    generic_order,
    gumroad_form,
    stripe_headers,
    stripe_refund_event,
    stripe_session_event,
    woocommerce_headers,
    woocommerce_order,
)
from orders_harness import OrdersHarness

FORM = {"Content-Type": "application/x-www-form-urlencoded"}


async def _accepted(response: Any) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    receipt: dict[str, Any] = response.json()
    return receipt


async def _woocommerce(
    orders: OrdersHarness, payload: dict[str, Any], topic: str = "order.created"
) -> dict[str, Any]:
    body = encode(payload)
    headers = woocommerce_headers(body, topic)
    return await _accepted(await orders.post("/webhooks/woocommerce", body, headers))


async def _stripe(orders: OrdersHarness, event: dict[str, Any]) -> dict[str, Any]:
    body = encode(event)
    return await _accepted(
        await orders.post("/webhooks/stripe", body, stripe_headers(body))
    )


async def _gumroad(orders: OrdersHarness, fields: dict[str, str]) -> dict[str, Any]:
    path = f"/webhooks/gumroad?secret={GUMROAD_KEY}"
    body = urlencode(fields).encode()
    return await _accepted(await orders.post(path, body, FORM))


async def test_woocommerce_order_with_coupon_and_added_vat(
    orders: OrdersHarness,
) -> None:
    receipt = await _woocommerce(orders, woocommerce_order())

    [(_, placed)] = await orders.events(receipt["order_id"])

    assert placed["shop_id"] == "woocommerce:kaffee.example"
    assert placed["customer"]["vat_id"] == "FR12345678901"
    assert placed["customer"]["company"] == "Atelier Martin SARL"
    assert placed["billing_address"]["country"] == "FR"
    assert placed["lines"][1]["unit_price"] == "5.00"
    assert placed["lines"][1]["discount"] == "2.00"
    assert placed["lines"][0]["taxes"] == [
        {"title": "TVA", "rate": "0.2", "amount": "5.40"}
    ]
    assert placed["discounts"] == [
        {"code": "bienvenue", "title": None, "amount": "5.00"}
    ]
    assert placed["totals"]["taxes_included"] is False
    assert placed["totals_mismatch"] is False
    assert placed["paid"] is True
    assert placed["payment_reference"] == "pi_3PwooX2eZvKYlo2C0"


async def test_woocommerce_creation_ping_stores_nothing(orders: OrdersHarness) -> None:
    before = await orders.fetch("SELECT count(*) AS n FROM deliveries")

    response = await orders.post("/webhooks/woocommerce", b"webhook_id=7", FORM)

    assert response.status_code == 200
    assert response.json()["status"] == "ping"
    after = await orders.fetch("SELECT count(*) AS n FROM deliveries")
    assert after[0]["n"] == before[0]["n"]


async def test_woocommerce_refund_and_cancellation_in_an_update(
    orders: OrdersHarness,
) -> None:
    order = woocommerce_order()
    placed = await _woocommerce(orders, order)
    refunded = changed(
        order,
        status="cancelled",
        date_modified_gmt="2026-03-02T08:00:00",
        refunds=[{"id": 412, "reason": "Changed mind", "total": "-49.20"}],
    )

    await _woocommerce(orders, refunded, "order.updated")
    again = await _woocommerce(orders, refunded, "order.updated")

    assert again["status"] == "duplicate"
    events = await orders.events(placed["order_id"])
    assert [key for key, _ in events] == [
        "order.placed.v1",
        "order.updated.v1",
        "order.cancelled.v1",
        "order.refunded.v1",
    ]
    refund = events[3][1]
    assert refund["amount"] == "49.20"
    assert refund["full"] is True


async def test_stripe_checkout_session_becomes_an_order(orders: OrdersHarness) -> None:
    receipt = await _stripe(orders, stripe_session_event())

    [(_, placed)] = await orders.events(receipt["order_id"])

    assert placed["shop_id"] == "stripe:default"
    assert placed["platform_order_id"].startswith("pi_3Q")
    assert placed["currency"] == "EUR"
    assert placed["customer"]["vat_id"] == "CZ12345678"
    assert placed["customer"]["last_name"] == "Novak"
    assert placed["lines"][0]["kind"] == "digital"
    assert placed["lines"][0]["unit_price"] == "49.00"
    assert placed["lines"][0]["taxes"][0]["rate"] == "0.19"
    assert placed["totals"]["total"] == "58.31"
    assert placed["totals"]["taxes_included"] is False
    assert placed["totals_mismatch"] is False
    assert placed["test"] is True


async def test_stripe_refund_before_the_session_waits_for_it(
    orders: OrdersHarness,
) -> None:
    event = stripe_session_event()
    payment_intent = event["data"]["object"]["payment_intent"]

    early = await _stripe(orders, stripe_refund_event(payment_intent, "re_1", 1000))
    placed = await _stripe(orders, event)

    assert early["status"] == "pending"
    events = await orders.events(placed["order_id"])
    assert [key for key, _ in events] == ["order.placed.v1", "order.refunded.v1"]
    assert events[1][1]["amount"] == "10.00"
    assert events[1][1]["full"] is False


async def test_stripe_signature_outside_the_tolerance_is_refused(
    orders: OrdersHarness,
) -> None:
    body = encode(stripe_session_event())
    headers = stripe_headers(body, timestamp=int(time.time()) - 3600)

    response = await orders.post("/webhooks/stripe", body, headers)

    assert response.status_code == 401
    assert "tolerance" in response.json()["message"]


async def test_gumroad_sale_ping_becomes_a_digital_order(orders: OrdersHarness) -> None:
    receipt = await _gumroad(orders, gumroad_form())

    [(_, placed)] = await orders.events(receipt["order_id"])

    assert placed["shop_id"] == "gumroad:gA0b1c2d3e4f=="
    assert placed["currency"] == "USD"
    assert placed["lines"][0]["kind"] == "digital"
    assert placed["totals"]["total"] == "15.00"
    assert placed["customer"]["marketing_consent"] is True


async def test_gumroad_ping_sent_again_creates_one_order(orders: OrdersHarness) -> None:
    fields = gumroad_form()

    first = await _gumroad(orders, fields)
    second = await _gumroad(orders, fields)

    assert second["status"] == "duplicate"
    assert await orders.event_types(first["order_id"]) == ["order.placed.v1"]


async def test_gumroad_refund_ping_refunds_the_whole_sale(
    orders: OrdersHarness,
) -> None:
    fields = gumroad_form()
    placed = await _gumroad(orders, fields)

    await _gumroad(orders, fields | {"refunded": "true"})

    events = await orders.events(placed["order_id"])
    assert events[1][0] == "order.refunded.v1"
    assert events[1][1]["full"] is True


async def test_gumroad_ping_without_the_url_secret_is_refused(
    orders: OrdersHarness,
) -> None:
    body = urlencode(gumroad_form()).encode()

    response = await orders.post("/webhooks/gumroad?secret=guess", body, FORM)

    assert response.status_code == 401


async def test_generic_api_places_an_order_once(orders: OrdersHarness) -> None:
    body = encode(generic_order())
    headers = {"X-Api-Key": API_KEY, "Content-Type": "application/json"}

    first = await _accepted(await orders.post("/orders", body, headers))
    second = await _accepted(await orders.post("/orders", body, headers))

    assert second["status"] == "duplicate"
    [(_, placed)] = await orders.events(first["order_id"])
    assert placed["shop_id"] == "generic:tea.example"
    assert placed["totals_mismatch"] is False


async def test_generic_api_refuses_a_wrong_key(orders: OrdersHarness) -> None:
    body = encode(generic_order())

    response = await orders.post("/orders", body, {"X-Api-Key": "wrong"})

    assert response.status_code == 401


async def test_order_can_be_read_back_with_its_updates(orders: OrdersHarness) -> None:
    order = woocommerce_order()
    placed = await _woocommerce(orders, order)
    note = changed(order, customer_note="Leave at the door")
    await _woocommerce(
        orders, changed(note, date_modified_gmt="2026-03-01T12:00:00"), "order.updated"
    )
    assert orders.client is not None

    response = await orders.client.get(
        f"/orders/{placed['order_id']}", headers={"X-Api-Key": API_KEY}
    )

    assert response.status_code == 200
    assert response.json()["status"] == "placed"
    assert response.json()["order"]["note"] == "Leave at the door"


async def test_woocommerce_order_without_shipping_is_digital(
    orders: OrdersHarness,
) -> None:
    payload = woocommerce_order(
        shipping_lines=[],
        shipping_total="0.00",
        shipping_tax="0.00",
        total="42.00",
        total_tax="7.00",
    )

    receipt = await _woocommerce(orders, payload)

    [(_, placed)] = await orders.events(receipt["order_id"])
    assert {line["kind"] for line in placed["lines"]} == {"digital"}
    assert placed["totals_mismatch"] is False


async def test_stripe_session_with_tax_included_in_its_prices(
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

    receipt = await _stripe(orders, event)

    [(_, placed)] = await orders.events(receipt["order_id"])
    assert placed["totals"]["taxes_included"] is True
    assert placed["totals_mismatch"] is False
    assert placed["shipping_address"]["city"] == "Praha"
    assert placed["lines"][0]["kind"] == "physical"


async def test_gumroad_sale_with_shipping_is_physical(orders: OrdersHarness) -> None:
    fields = gumroad_form(shipping_rate="500") | {
        "shipping_information[name]": "Sam Taylor",
        "shipping_information[street]": "1 Main St",
        "shipping_information[zip_code]": "94107",
        "shipping_information[city]": "San Francisco",
        "shipping_information[state]": "CA",
        "shipping_information[country]": "United States",
    }

    receipt = await _gumroad(orders, fields)

    [(_, placed)] = await orders.events(receipt["order_id"])
    assert placed["lines"][0]["kind"] == "physical"
    assert placed["shipping_address"]["country"] == "US"
    assert placed["totals"]["total"] == "20.00"
