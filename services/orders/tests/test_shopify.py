"""Shopify's webhooks: one order.placed per order, its changes in order."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Any

from orders_fakes import (
    changed,
    encode,
    shopify_headers,
    shopify_order,
    shopify_refund,
)
from orders_harness import OrdersHarness

PATH = "/webhooks/shopify"


async def _send(
    orders: OrdersHarness,
    payload: dict[str, Any],
    topic: str = "orders/create",
    **kw: str,
) -> dict[str, Any]:
    body = encode(payload)
    response = await orders.post(PATH, body, shopify_headers(body, topic, **kw))
    assert response.status_code == 200, response.text
    receipt: dict[str, Any] = response.json()
    return receipt


async def test_order_is_normalised_into_order_placed(orders: OrdersHarness) -> None:
    receipt = await _send(orders, shopify_order())

    [(key, placed)] = await orders.events(receipt["order_id"])

    assert key == "order.placed.v1"
    assert receipt["status"] == "placed"
    assert placed["shop_id"] == "shopify:example.myshopify.com"
    assert placed["currency"] == "EUR"
    assert placed["customer"]["email"] == "anna.schmidt@example.de"
    assert placed["customer"]["vat_id"] == "DE123456789"
    assert placed["customer"]["company"] == "Kaffee Schmidt GmbH"
    assert placed["customer"]["locale"] == "de-DE"
    assert placed["shipping_address"]["country"] == "DE"
    assert [line["kind"] for line in placed["lines"]] == ["physical", "digital"]
    assert placed["lines"][0]["taxes"][0]["rate"] == "0.19"
    assert placed["lines"][0]["total"] == "22.00"
    assert placed["totals"] == {
        "subtotal": "59.00",
        "discounts": "5.00",
        "shipping": "4.90",
        "tax": "9.38",
        "total": "58.90",
        "taxes_included": True,
    }
    assert placed["paid"] is True
    assert placed["totals_mismatch"] is False


async def test_large_shopify_ids_are_kept_exactly_as_strings(
    orders: OrdersHarness,
) -> None:
    receipt = await _send(orders, shopify_order(order_id=9007199254740993123))

    [(_, placed)] = await orders.events(receipt["order_id"])

    assert placed["platform_order_id"] == "9007199254740993123"


async def test_totals_that_do_not_add_up_are_flagged(orders: OrdersHarness) -> None:
    receipt = await _send(orders, shopify_order(total_price="60.00"))

    [(_, placed)] = await orders.events(receipt["order_id"])

    assert placed["totals_mismatch"] is True
    assert placed["totals"]["total"] == "60.00"


async def test_tax_excluded_order_adds_tax_to_the_total(orders: OrdersHarness) -> None:
    payload = shopify_order(
        taxes_included=False, total_tax="11.21", total_price="70.11", currency="USD"
    )

    receipt = await _send(orders, payload)

    [(_, placed)] = await orders.events(receipt["order_id"])
    assert placed["totals"]["taxes_included"] is False
    assert placed["totals_mismatch"] is False


async def test_duplicate_webhook_creates_one_order(orders: OrdersHarness) -> None:
    body = encode(shopify_order())
    headers = shopify_headers(body, webhook_id="wh-duplicate-1")

    first = await orders.post(PATH, body, headers)
    second = await orders.post(PATH, body, headers)

    assert first.json()["status"] == "placed"
    assert second.json()["status"] == "duplicate"
    assert await orders.event_types(first.json()["order_id"]) == ["order.placed.v1"]


async def test_same_order_with_new_delivery_id_creates_one_order(
    orders: OrdersHarness,
) -> None:
    payload = shopify_order()

    first = await _send(orders, payload)
    second = await _send(orders, payload)

    assert second["status"] == "duplicate"
    assert await orders.event_types(first["order_id"]) == ["order.placed.v1"]


async def test_concurrent_deliveries_of_one_order_create_one_order(
    orders: OrdersHarness,
) -> None:
    payload = shopify_order()

    receipts = await asyncio.gather(*(_send(orders, payload) for _ in range(20)))

    assert sorted(r["status"] for r in receipts).count("placed") == 1
    assert await orders.event_types(receipts[0]["order_id"]) == ["order.placed.v1"]


async def test_refund_before_its_order_is_applied_when_the_order_arrives(
    orders: OrdersHarness,
) -> None:
    order = shopify_order()

    early = await _send(orders, shopify_refund(order, 5001, "12.00"), "refunds/create")
    placed = await _send(orders, order)

    assert early["status"] == "pending"
    events = await orders.events(placed["order_id"])
    assert [key for key, _ in events] == ["order.placed.v1", "order.refunded.v1"]
    refund = events[1][1]
    assert refund["amount"] == "12.00"
    assert refund["full"] is False
    assert refund["lines"][0]["quantity"] == 1


async def test_updates_before_the_order_apply_in_the_platforms_order(
    orders: OrdersHarness,
) -> None:
    order = shopify_order()
    later = changed(order, note="second", updated_at="2026-03-01T12:00:00+01:00")
    earlier = changed(order, note="first", updated_at="2026-03-01T11:00:00+01:00")

    await _send(orders, later, "orders/updated")
    await _send(orders, earlier, "orders/updated")
    placed = await _send(orders, order)

    events = await orders.events(placed["order_id"])
    assert [(key, p.get("note")) for key, p in events] == [
        ("order.placed.v1", "Bitte klingeln"),
        ("order.updated.v1", "first"),
        ("order.updated.v1", "second"),
    ]


async def test_stale_update_after_a_newer_one_emits_nothing(
    orders: OrdersHarness,
) -> None:
    order = shopify_order()
    placed = await _send(orders, order)
    newer = changed(order, note="newer", updated_at="2026-03-01T12:00:00+01:00")
    older = changed(order, note="older", updated_at="2026-03-01T11:00:00+01:00")

    await _send(orders, newer, "orders/updated")
    stale = await _send(orders, older, "orders/updated")

    assert stale["status"] == "stale"
    events = await orders.events(placed["order_id"])
    assert [p.get("note") for _, p in events] == ["Bitte klingeln", "newer"]


async def test_update_carries_only_the_fields_that_changed(
    orders: OrdersHarness,
) -> None:
    order = shopify_order(financial_status="pending")
    placed = await _send(orders, order)
    paid = changed(
        order, financial_status="paid", updated_at="2026-03-01T10:20:00+01:00"
    )

    await _send(orders, paid, "orders/paid")

    [_, (key, update)] = await orders.events(placed["order_id"])
    assert key == "order.updated.v1"
    assert update["financial_status"] == "paid"
    assert update["paid"] is True
    assert update["lines"] is None
    assert update["customer"] is None


async def test_full_refund_is_marked_full(orders: OrdersHarness) -> None:
    order = shopify_order()
    placed = await _send(orders, order)

    await _send(orders, shopify_refund(order, 6001, "58.90"), "refunds/create")

    [_, (_, refund)] = await orders.events(placed["order_id"])
    assert Decimal(refund["amount"]) == Decimal("58.90")
    assert refund["full"] is True


async def test_cancellation_is_emitted_once(orders: OrdersHarness) -> None:
    order = shopify_order()
    placed = await _send(orders, order)
    cancelled = changed(
        order, cancelled_at="2026-03-02T08:00:00+01:00", cancel_reason="customer"
    )

    await _send(orders, cancelled, "orders/cancelled")
    again = await _send(orders, cancelled, "orders/cancelled")

    assert again["status"] == "duplicate"
    events = await orders.events(placed["order_id"])
    assert [key for key, _ in events] == ["order.placed.v1", "order.cancelled.v1"]
    assert events[1][1]["reason"] == "customer"


async def test_topic_not_about_orders_is_ignored(orders: OrdersHarness) -> None:
    body = b'{"id": 1, "title": "A product"}'

    response = await orders.post(PATH, body, shopify_headers(body, "products/create"))

    assert response.status_code == 200
    assert response.json()["status"] == "ignored"


async def test_early_update_older_than_the_placed_figures_is_stale(
    orders: OrdersHarness,
) -> None:
    order = shopify_order(updated_at="2026-03-01T11:00:00+01:00")
    older = changed(order, note="older", updated_at="2026-03-01T10:30:00+01:00")

    await _send(orders, older, "orders/updated")
    placed = await _send(orders, order)

    assert await orders.event_types(placed["order_id"]) == ["order.placed.v1"]
    assert await orders.deliveries(placed["order_id"]) == ["pending", "placed"]


async def test_delivery_with_a_seen_event_id_is_a_duplicate(
    orders: OrdersHarness,
) -> None:
    order = shopify_order()
    placed = await orders.shopify(order)
    paid = changed(order, note="paid", updated_at="2026-03-01T10:20:00+01:00")

    first = await orders.shopify(paid, "orders/updated", event_id="event-paid-1")
    again = await orders.shopify(paid, "orders/updated", event_id="event-paid-1")

    assert (first["status"], again["status"]) == ("applied", "duplicate")
    assert again["delivery_id"] == "event-paid-1"
    assert await orders.deliveries(placed["order_id"]) == ["placed", "applied"]


async def test_refund_that_moved_no_money_is_noted(orders: OrdersHarness) -> None:
    order = shopify_order()
    placed = await orders.shopify(order)
    restock = shopify_refund(order, 7001, "0.00") | {"transactions": []}

    receipt = await orders.shopify(restock, "refunds/create")

    assert receipt["status"] == "noted"
    assert await orders.event_types(placed["order_id"]) == ["order.placed.v1"]


async def test_refund_of_shipping_names_the_shipping_part(
    orders: OrdersHarness,
) -> None:
    order = shopify_order()
    placed = await orders.shopify(order)
    shipping_line = order["shipping_lines"][0]
    refund = shopify_refund(order, 8201, "16.90") | {
        "refund_shipping_lines": [
            {
                "id": 8202,
                "shipping_line_id": shipping_line["id"],
                "subtotal_amount_set": _money("4.12"),
                "tax_amount_set": _money("0.78"),
                "shipping_line": shipping_line,
            }
        ]
    }

    await orders.shopify(refund, "refunds/create")

    [_, (_, refunded)] = await orders.events(placed["order_id"])
    assert refunded["amount"] == "16.90"
    assert refunded["shipping"] == "4.90"


async def test_refund_of_shipping_before_api_version_2024_10(
    orders: OrdersHarness,
) -> None:
    order = shopify_order()
    placed = await orders.shopify(order)
    refund = shopify_refund(order, 8001, "16.90") | {
        "order_adjustments": [
            {
                "id": 8101,
                "order_id": order["id"],
                "refund_id": 8001,
                "amount": "-4.12",
                "tax_amount": "-0.78",
                "kind": "shipping_refund",
                "reason": "Shipping refund",
            }
        ]
    }

    await orders.shopify(refund, "refunds/create")

    [_, (_, refunded)] = await orders.events(placed["order_id"])
    assert refunded["amount"] == "16.90"
    assert refunded["shipping"] == "4.90"
    assert refunded["lines"] == [
        {"line_id": str(order["line_items"][0]["id"]), "quantity": 1, "amount": "12.00"}
    ]


async def test_nul_in_the_customers_note_is_dropped(orders: OrdersHarness) -> None:
    receipt = await orders.shopify(shopify_order(note="Bitte\u0000 klingeln"))

    [(_, placed)] = await orders.events(receipt["order_id"])
    assert placed["note"] == "Bitte klingeln"
    [row] = await orders.fetch(
        "SELECT body FROM deliveries WHERE order_id = $1::uuid", receipt["order_id"]
    )
    assert b"\\u0000" in row["body"]


def _money(amount: str) -> dict[str, dict[str, str]]:
    return {
        "shop_money": {"amount": amount, "currency_code": "EUR"},
        "presentment_money": {"amount": amount, "currency_code": "EUR"},
    }


async def test_cancellation_before_its_order_cancels_it_once_placed(
    orders: OrdersHarness,
) -> None:
    order = shopify_order()
    cancelled = changed(
        order, cancelled_at="2026-03-01T10:30:00+01:00", cancel_reason="inventory"
    )

    early = await orders.shopify(cancelled, "orders/cancelled")
    placed = await orders.shopify(order)

    assert early["status"] == "pending"
    events = await orders.events(placed["order_id"])
    assert [key for key, _ in events] == ["order.placed.v1", "order.cancelled.v1"]
    [row] = await orders.fetch(
        "SELECT status FROM orders WHERE order_id = $1::uuid", placed["order_id"]
    )
    assert row["status"] == "cancelled"
