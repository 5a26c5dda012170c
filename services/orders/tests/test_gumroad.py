"""Gumroad's pings: sales, refunds, and the pings that are not about a sale."""

from __future__ import annotations

from urllib.parse import urlencode

from orders_fakes import GUMROAD_KEY, gumroad_form
from orders_harness import FORM, OrdersHarness


async def test_sale_ping_becomes_a_digital_order(orders: OrdersHarness) -> None:
    receipt = await orders.gumroad(gumroad_form())

    [(_, placed)] = await orders.events(receipt["order_id"])

    assert placed["shop_id"] == "gumroad:gA0b1c2d3e4f=="
    assert placed["currency"] == "USD"
    assert placed["lines"][0]["kind"] == "digital"
    assert placed["totals"]["total"] == "15.00"
    assert placed["customer"]["marketing_consent"] is True


async def test_sale_with_shipping_is_physical(orders: OrdersHarness) -> None:
    shipping = {
        "full_name": "Sam Taylor",
        "street_address": "1 Main St",
        "zip_code": "94107",
        "city": "San Francisco",
        "state": "CA",
        "country": "United States",
    }
    fields = gumroad_form(shipping_rate="500") | {
        f"shipping_information[{name}]": value for name, value in shipping.items()
    }

    receipt = await orders.gumroad(fields)

    [(_, placed)] = await orders.events(receipt["order_id"])
    assert placed["lines"][0]["kind"] == "physical"
    assert placed["shipping_address"]["country"] == "US"
    assert placed["shipping_address"]["line1"] == "1 Main St"
    assert placed["shipping_address"]["name"] == "Sam Taylor"
    assert placed["totals"]["total"] == "20.00"


async def test_several_units_have_a_unit_price_that_gives_the_line(
    orders: OrdersHarness,
) -> None:
    receipt = await orders.gumroad(gumroad_form(price="1000", quantity="3"))

    [(_, placed)] = await orders.events(receipt["order_id"])
    [line] = placed["lines"]
    assert (line["quantity"], line["unit_price"], line["total"]) == (
        3,
        "3.3333",
        "10.00",
    )


async def test_ping_sent_again_creates_one_order(orders: OrdersHarness) -> None:
    fields = gumroad_form()

    first = await orders.gumroad(fields)
    second = await orders.gumroad(fields)

    assert second["status"] == "duplicate"
    assert await orders.event_types(first["order_id"]) == ["order.placed.v1"]


async def test_refund_ping_refunds_the_whole_sale(orders: OrdersHarness) -> None:
    fields = gumroad_form()
    placed = await orders.gumroad(fields)

    await orders.gumroad(fields | {"resource_name": "refund", "refunded": "true"})

    events = await orders.events(placed["order_id"])
    assert events[1][0] == "order.refunded.v1"
    assert events[1][1]["amount"] == "15.00"
    assert events[1][1]["full"] is True


async def test_refund_ping_before_the_sale_waits_for_it(
    orders: OrdersHarness,
) -> None:
    fields = gumroad_form()

    early = await orders.gumroad(
        fields | {"resource_name": "refund", "refunded": "true"}
    )
    placed = await orders.gumroad(fields)

    assert early["status"] == "pending"
    assert await orders.event_types(placed["order_id"]) == [
        "order.placed.v1",
        "order.refunded.v1",
    ]


async def test_partial_refund_is_kept_without_an_event(
    orders: OrdersHarness,
) -> None:
    fields = gumroad_form()
    placed = await orders.gumroad(fields)

    partial = await orders.gumroad(fields | {"resource_name": "refund"})
    full = await orders.gumroad(
        fields | {"resource_name": "refund", "refunded": "true"}
    )

    assert (partial["status"], full["status"]) == ("noted", "applied")
    assert await orders.event_types(placed["order_id"]) == [
        "order.placed.v1",
        "order.refunded.v1",
    ]


async def test_subscription_cancellation_is_ignored(orders: OrdersHarness) -> None:
    before = await orders.count("deliveries")
    fields = {
        "subscription_id": "sub_XyZ123==",
        "product_id": "Xk9PfQ1w2e3r==",
        "product_name": "Espresso club",
        "user_id": "u123",
        "user_email": "sam.taylor@example.com",
        "purchase_ids[]": "FQ1001xyz==",
        "created_at": "2026-01-01T09:00:00Z",
        "charge_occurrence_count": "",
        "recurrence": "monthly",
        "resource_name": "cancellation",
        "cancelled": "true",
        "cancelled_at": "2026-03-01T09:00:00Z",
        "cancelled_by_buyer": "true",
    }

    receipt = await orders.gumroad(fields)

    assert receipt["status"] == "ignored"
    assert await orders.count("deliveries") == before


async def test_ping_without_the_url_secret_is_refused(orders: OrdersHarness) -> None:
    body = urlencode(gumroad_form()).encode()

    response = await orders.post("/webhooks/gumroad?secret=guess", body, FORM)

    assert response.status_code == 401


async def test_body_that_is_not_a_form_is_400(orders: OrdersHarness) -> None:
    response = await orders.post(
        f"/webhooks/gumroad?secret={GUMROAD_KEY}", b"\xff\xfe", FORM
    )

    assert response.status_code == 400
    assert response.json()["error"] == "malformed_body"
