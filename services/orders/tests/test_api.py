"""The generic order API: `POST /orders` from any shop, `GET /orders/{id}`."""

from __future__ import annotations

import uuid

from orders_fakes import API_KEY, changed, encode, generic_order, woocommerce_order
from orders_harness import OrdersHarness


async def test_order_is_placed_once(orders: OrdersHarness) -> None:
    order = generic_order()

    first = await orders.api(order)
    second = await orders.api(order)

    assert second["status"] == "duplicate"
    [(_, placed)] = await orders.events(first["order_id"])
    assert placed["shop_id"] == "generic:tea.example"
    assert placed["platform_order_id"] == order["order_id"]
    assert placed["order_number"] == order["order_id"]
    assert placed["totals_mismatch"] is False


async def test_idempotency_key_recognises_a_post_sent_again(
    orders: OrdersHarness,
) -> None:
    key = f"retry-{uuid.uuid4()}"
    first = await orders.api(generic_order(), **{"Idempotency-Key": key})

    again = await orders.api(generic_order(), **{"Idempotency-Key": key})

    assert (first["delivery_id"], again["delivery_id"]) == (key, key)
    assert again["status"] == "duplicate"


async def test_totals_that_do_not_add_up_are_flagged(orders: OrdersHarness) -> None:
    order = generic_order()
    order["totals"] = order["totals"] | {"total": "25.00"}

    receipt = await orders.api(order)

    [(_, placed)] = await orders.events(receipt["order_id"])
    assert placed["totals_mismatch"] is True
    assert placed["totals"]["total"] == "25.00"


async def test_order_that_does_not_fit_is_422_with_the_field_paths(
    orders: OrdersHarness,
) -> None:
    order = generic_order(currency="euro")
    order["lines"][0]["unit_price"] = 8.5
    body = encode(order)

    response = await orders.post("/orders", body, {"X-Api-Key": API_KEY})

    assert response.status_code == 422
    assert [f["path"] for f in response.json()["fields"]] == [
        "currency",
        "lines.0.unit_price",
    ]
    assert "float is refused" in response.json()["fields"][1]["problem"]


async def test_bearer_token_is_accepted_as_the_key(orders: OrdersHarness) -> None:
    body = encode(generic_order())
    headers = {"Authorization": f"Bearer {API_KEY}"}

    response = await orders.post("/orders", body, headers)

    assert response.status_code == 200


async def test_wrong_key_is_refused(orders: OrdersHarness) -> None:
    body = encode(generic_order())

    response = await orders.post("/orders", body, {"X-Api-Key": "wrong"})

    assert response.status_code == 401


async def test_order_can_be_read_back_with_its_updates(orders: OrdersHarness) -> None:
    order = woocommerce_order()
    placed = await orders.woocommerce(order)
    note = changed(
        order, customer_note="Leave at the door", date_modified_gmt="2026-03-01T12:00"
    )
    await orders.woocommerce(note, "order.updated")
    assert orders.client is not None

    response = await orders.client.get(
        f"/orders/{placed['order_id']}", headers={"X-Api-Key": API_KEY}
    )

    assert response.status_code == 200
    assert response.json()["status"] == "placed"
    assert response.json()["order"]["note"] == "Leave at the door"


async def test_unknown_order_is_404_and_needs_the_key(orders: OrdersHarness) -> None:
    assert orders.client is not None
    path = f"/orders/{uuid.uuid4()}"

    unknown = await orders.client.get(path, headers={"X-Api-Key": API_KEY})
    no_key = await orders.client.get(path)
    not_an_id = await orders.client.get("/orders/42", headers={"X-Api-Key": API_KEY})

    assert (unknown.status_code, unknown.json()["error"]) == (404, "order_not_found")
    assert no_key.status_code == 401
    assert not_an_id.status_code == 404
