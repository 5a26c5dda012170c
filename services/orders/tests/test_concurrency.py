"""Deliveries of one order at the same time, in one process or across replicas."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from orders_fakes import (
    changed,
    encode,
    shopify_headers,
    shopify_order,
    shopify_refund,
)
from orders_harness import OrdersHarness

from orderflow.orders.adapters.order_store import settle
from orderflow.orders.domain import shopify
from orderflow.orders.domain.deliveries import Delivery
from orderflow.orders.domain.ledger import Outcome

PATH = "/webhooks/shopify"


async def test_one_delivery_sent_many_times_at_once_places_one_order(
    orders: OrdersHarness,
) -> None:
    body = encode(shopify_order())
    headers = shopify_headers(body, webhook_id="wh-storm")

    responses = await asyncio.gather(
        *(orders.post(PATH, body, headers) for _ in range(12))
    )

    statuses = sorted(response.json()["status"] for response in responses)
    assert statuses == ["duplicate"] * 11 + ["placed"]
    order_id = responses[0].json()["order_id"]
    assert await orders.event_types(order_id) == ["order.placed.v1"]
    assert await orders.deliveries(order_id) == ["placed"]


async def test_order_and_its_changes_at_once_apply_every_change(
    orders: OrdersHarness,
) -> None:
    order = shopify_order()
    note = changed(order, note="ring twice", updated_at="2026-03-01T12:00:00+01:00")

    await asyncio.gather(
        orders.shopify(shopify_refund(order, 9101, "5.00"), "refunds/create"),
        orders.shopify(note, "orders/updated"),
        orders.shopify(order),
        orders.shopify(shopify_refund(order, 9102, "7.00"), "refunds/create"),
    )

    placed = await orders.shopify(order)
    events = await orders.events(placed["order_id"])
    assert sorted(key for key, _ in events) == [
        "order.placed.v1",
        "order.refunded.v1",
        "order.refunded.v1",
        "order.updated.v1",
    ]
    assert events[0][0] == "order.placed.v1"
    [row] = await orders.fetch(
        "SELECT refunded, current->>'note' AS note FROM orders"
        " WHERE order_id = $1::uuid",
        placed["order_id"],
    )
    assert (row["refunded"], row["note"]) == (12, "ring twice")
    assert (
        await orders.fetch(
            "SELECT 1 FROM pending_changes WHERE order_id = $1::uuid",
            placed["order_id"],
        )
        == []
    )


async def test_two_replicas_placing_one_order_at_once_place_it_once(
    orders: OrdersHarness,
) -> None:
    # Each transaction stands for a replica: the second waits for the first
    # one's lock on the order and then finds the order placed.
    order = shopify_order()
    first, second = _placement(order, "replica-a"), _placement(order, "replica-b")
    locked = asyncio.Event()

    async def replica(delivery: Delivery, hold: float) -> list[Outcome]:
        async with orders.service.pool.acquire() as conn, conn.transaction():
            outcomes = await settle(
                conn, producer="orders", schema="orders", deliveries=[delivery]
            )
            locked.set()
            await asyncio.sleep(hold)
            return outcomes

    async def later_replica() -> list[Outcome]:
        await locked.wait()
        return await replica(second, 0)

    outcomes = await asyncio.gather(replica(first, 0.3), later_replica())

    assert list(outcomes) == [[Outcome.PLACED], [Outcome.DUPLICATE]]
    assert await orders.event_types(first.order_id) == ["order.placed.v1"]


def _placement(order: dict[str, object], webhook_id: str) -> Delivery:
    headers = {
        "x-shopify-topic": "orders/create",
        "x-shopify-shop-domain": "example.myshopify.com",
        "x-shopify-webhook-id": webhook_id,
    }
    delivery = shopify.normalise(headers, encode(order), datetime.now(UTC))
    assert delivery is not None
    return delivery
