"""Bad input: a clear answer, a log line with the delivery id, nothing stored."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

from orders_fakes import encode, shopify_headers, shopify_order
from orders_harness import OrdersHarness
from structlog.testing import capture_logs

PATH = "/webhooks/shopify"


async def _stored(orders: OrdersHarness, delivery_id: str) -> bool:
    rows = await orders.fetch(
        "SELECT 1 FROM deliveries WHERE delivery_id = $1", delivery_id
    )
    return bool(rows)


async def test_malformed_json_is_400_with_a_log_line_naming_the_delivery(
    orders: OrdersHarness,
) -> None:
    body = b'{"id": 1, "line_items": ['
    headers = shopify_headers(body)

    with capture_logs() as logs:
        response = await orders.post(PATH, body, headers)

    assert response.status_code == 400
    assert response.json()["error"] == "malformed_body"
    [line] = [log for log in logs if log["event"] == "delivery.rejected"]
    assert line["delivery_id"] == headers["X-Shopify-Event-Id"]
    assert line["status"] == 400
    assert not await _stored(orders, headers["X-Shopify-Event-Id"])


async def test_payload_that_does_not_fit_is_422_with_the_field_paths(
    orders: OrdersHarness,
) -> None:
    payload = shopify_order()
    payload["line_items"][1]["quantity"] = "several"
    del payload["currency"]
    body = encode(payload)
    headers = shopify_headers(body)

    response = await orders.post(PATH, body, headers)

    assert response.status_code == 422
    paths = [field["path"] for field in response.json()["fields"]]
    assert paths == ["currency", "line_items.1.quantity"]
    assert not await _stored(orders, headers["X-Shopify-Event-Id"])


async def test_order_that_breaks_the_contract_is_422(orders: OrdersHarness) -> None:
    body = encode(shopify_order(email="not-an-address", contact_email=None))

    response = await orders.post(PATH, body, shopify_headers(body))

    assert response.status_code == 422
    assert [f["path"] for f in response.json()["fields"]] == ["customer.email"]


async def test_body_over_one_mebibyte_is_413(orders: OrdersHarness) -> None:
    padding = "x" * (1024 * 1024)
    body = encode(shopify_order(note=padding))
    headers = shopify_headers(body)
    before = await orders.count("deliveries")

    with capture_logs() as logs:
        response = await orders.post(PATH, body, headers)

    assert response.status_code == 413
    assert response.json()["error"] == "body_too_large"
    [line] = [log for log in logs if log["event"] == "delivery.rejected"]
    assert line["delivery_id"] == headers["X-Shopify-Event-Id"]
    assert await orders.count("deliveries") == before


async def test_body_streamed_past_the_limit_is_413(orders: OrdersHarness) -> None:
    assert orders.client is not None

    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(17):
            yield b" " * 65536

    response = await orders.client.post(PATH, content=chunks())

    assert response.status_code == 413


async def test_unknown_platform_is_404(orders: OrdersHarness) -> None:
    with capture_logs() as logs:
        response = await orders.post(
            "/webhooks/magento", b"{}", {"X-Shopify-Webhook-Id": "wh-lost"}
        )

    assert response.status_code == 404
    assert "magento" in response.json()["message"]
    [line] = [log for log in logs if log["event"] == "delivery.rejected"]
    assert (line["status"], line["delivery_id"]) == (404, "wh-lost")


async def test_wrong_method_is_405(orders: OrdersHarness) -> None:
    assert orders.client is not None

    with capture_logs() as logs:
        response = await orders.client.get(PATH)

    assert response.status_code == 405
    assert response.headers["allow"] == "POST"
    assert response.json()["error"] == "method_not_allowed"
    assert "POST" in response.json()["message"]
    [line] = [log for log in logs if log["event"] == "delivery.rejected"]
    assert (line["status"], line["path"], line["method"]) == (405, PATH, "GET")


async def test_missing_signature_is_401(orders: OrdersHarness) -> None:
    body = encode(shopify_order())
    headers = shopify_headers(body)
    del headers["X-Shopify-Hmac-Sha256"]

    response = await orders.post(PATH, body, headers)

    assert response.status_code == 401
    assert json.loads(response.text)["message"] == "the shopify delivery is not signed"


async def test_missing_topic_header_is_422(orders: OrdersHarness) -> None:
    body = encode(shopify_order())
    headers = shopify_headers(body)
    del headers["X-Shopify-Topic"]

    response = await orders.post(PATH, body, headers)

    assert response.status_code == 422
    assert response.json()["fields"][0]["path"] == "header x-shopify-topic"


async def test_openapi_and_asyncapi_document_every_endpoint_and_event(
    orders: OrdersHarness,
) -> None:
    assert orders.client is not None

    response = await orders.client.get("/openapi.json")
    asyncapi = (await orders.client.get("/asyncapi.json")).json()

    operations = asyncapi["operations"]
    for event in ("order.placed", "order.updated", "order.cancelled", "order.refunded"):
        assert f"send {event}.v1" in operations
    assert "receive customer.erased.v1" in operations
    paths = response.json()["paths"]
    for platform in ("shopify", "woocommerce", "gumroad", "stripe"):
        assert "post" in paths[f"/webhooks/{platform}"]
    assert "post" in paths["/orders"]
    assert "get" in paths["/orders/{order_id}"]
