"""WooCommerce's order webhooks: orders, their updates, refunds and fees."""

from __future__ import annotations

from orders_fakes import changed, woocommerce_order
from orders_harness import FORM, OrdersHarness


async def test_order_with_coupon_and_added_vat(orders: OrdersHarness) -> None:
    receipt = await orders.woocommerce(woocommerce_order())

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


async def test_shop_with_prices_including_tax_reports_net_figures(
    orders: OrdersHarness,
) -> None:
    # A German shop that enters gross prices: 23.80 with 19 % VAT is sent as
    # 20.00 net and 3.80 tax, and so is the shipping.
    payload = woocommerce_order(
        currency="EUR",
        prices_include_tax=True,
        discount_total="0.00",
        discount_tax="0.00",
        coupon_lines=[],
        shipping_total="4.20",
        shipping_tax="0.80",
        cart_tax="3.80",
        total_tax="4.60",
        total="28.80",
        line_items=[
            {
                "id": 401,
                "name": "Milchkännchen",
                "product_id": 120,
                "variation_id": 0,
                "quantity": 1,
                "subtotal": "20.00",
                "subtotal_tax": "3.80",
                "total": "20.00",
                "total_tax": "3.80",
                "taxes": [{"id": 4, "total": "3.80", "subtotal": "3.80"}],
                "sku": "MILK-JUG",
                "price": 20,
            }
        ],
        tax_lines=[
            {
                "id": 402,
                "rate_code": "DE-MWST-1",
                "rate_id": 4,
                "label": "MwSt.",
                "compound": False,
                "tax_total": "3.80",
                "shipping_tax_total": "0.80",
                "rate_percent": 19,
            }
        ],
        shipping_lines=[
            {
                "id": 403,
                "method_title": "DHL",
                "method_id": "flat_rate",
                "total": "4.20",
                "total_tax": "0.80",
                "taxes": [{"id": 4, "total": "0.80", "subtotal": ""}],
            }
        ],
    )

    receipt = await orders.woocommerce(payload)

    [(_, placed)] = await orders.events(receipt["order_id"])
    assert placed["lines"][0]["unit_price"] == "20.00"
    assert placed["lines"][0]["taxes"][0]["rate"] == "0.19"
    assert placed["shipping_lines"][0]["taxes"][0]["amount"] == "0.80"
    assert placed["totals"]["taxes_included"] is False
    assert placed["totals"]["total"] == "28.80"
    assert placed["totals_mismatch"] is False


async def test_fees_are_lines_and_a_negative_fee_is_a_discount(
    orders: OrdersHarness,
) -> None:
    fees = [
        {
            "id": 330,
            "name": "Gift wrapping",
            "tax_class": "",
            "tax_status": "taxable",
            "amount": "3",
            "total": "3.00",
            "total_tax": "0.60",
            "taxes": [{"id": 1, "total": "0.60", "subtotal": ""}],
        },
        {
            "id": 331,
            "name": "Loyalty credit",
            "tax_class": "",
            "tax_status": "none",
            "amount": "-2",
            "total": "-2.00",
            "total_tax": "0.00",
            "taxes": [],
        },
    ]
    payload = woocommerce_order(fee_lines=fees, total="50.80", total_tax="8.80")

    receipt = await orders.woocommerce(payload)

    [(_, placed)] = await orders.events(receipt["order_id"])
    fee = placed["lines"][2]
    assert (fee["line_id"], fee["title"], fee["total"]) == (
        "fee:330",
        "Gift wrapping",
        "3.00",
    )
    assert fee["taxes"][0]["amount"] == "0.60"
    assert placed["discounts"][1] == {
        "code": None,
        "title": "Loyalty credit",
        "amount": "2.00",
    }
    assert placed["totals"]["subtotal"] == "43.00"
    assert placed["totals"]["discounts"] == "7.00"
    assert placed["totals_mismatch"] is False


async def test_two_orders_sent_in_one_second_are_two_orders(
    orders: OrdersHarness,
) -> None:
    # WooCommerce's delivery id is a hash of the webhook and the second.
    first = await orders.woocommerce(woocommerce_order(), delivery_id="wc-same-second")
    second = await orders.woocommerce(woocommerce_order(), delivery_id="wc-same-second")

    assert (first["status"], second["status"]) == ("placed", "placed")
    assert first["order_id"] != second["order_id"]


async def test_a_delivery_sent_again_is_one_delivery(orders: OrdersHarness) -> None:
    order = woocommerce_order()

    first = await orders.woocommerce(order, delivery_id="wc-resent")
    again = await orders.woocommerce(order, delivery_id="wc-resent")

    assert again["delivery_id"] == first["delivery_id"]
    assert again["status"] == "duplicate"
    assert await orders.deliveries(first["order_id"]) == ["placed"]


async def test_customer_language_from_wpml_and_vat_exemption_is_no_vat_id(
    orders: OrdersHarness,
) -> None:
    meta = [
        {"id": 903, "key": "is_vat_exempt", "value": "yes"},
        {"id": 904, "key": "wpml_language", "value": "fr"},
    ]

    receipt = await orders.woocommerce(woocommerce_order(meta_data=meta))

    [(_, placed)] = await orders.events(receipt["order_id"])
    assert placed["customer"]["vat_id"] is None
    assert placed["customer"]["locale"] == "fr"


async def test_creation_ping_stores_nothing(orders: OrdersHarness) -> None:
    before = await orders.count("deliveries")

    response = await orders.post("/webhooks/woocommerce", b"webhook_id=7", FORM)

    assert response.status_code == 200
    assert response.json()["status"] == "ping"
    assert await orders.count("deliveries") == before


async def test_refund_and_cancellation_in_an_update(orders: OrdersHarness) -> None:
    order = woocommerce_order()
    placed = await orders.woocommerce(order)
    refunded = changed(
        order,
        status="cancelled",
        date_modified_gmt="2026-03-02T08:00:00",
        refunds=[{"id": 412, "reason": "Changed mind", "total": "-49.20"}],
    )

    await orders.woocommerce(refunded, "order.updated")
    again = await orders.woocommerce(refunded, "order.updated")

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


async def test_refund_before_its_order_waits_for_it(orders: OrdersHarness) -> None:
    order = woocommerce_order()
    refunded = changed(
        order,
        status="refunded",
        date_modified_gmt="2026-03-03T09:00:00",
        refunds=[{"id": 415, "reason": "", "total": "-10.00"}],
    )

    early = await orders.woocommerce(refunded, "order.updated")
    placed = await orders.woocommerce(order)

    assert early["status"] == "pending"
    events = await orders.events(placed["order_id"])
    assert [key for key, _ in events] == [
        "order.placed.v1",
        "order.updated.v1",
        "order.refunded.v1",
    ]
    assert events[1][1]["financial_status"] == "refunded"
    assert events[2][1]["amount"] == "10.00"


async def test_order_without_shipping_is_digital(orders: OrdersHarness) -> None:
    payload = woocommerce_order(
        shipping_lines=[],
        shipping_total="0.00",
        shipping_tax="0.00",
        total="42.00",
        total_tax="7.00",
    )

    receipt = await orders.woocommerce(payload)

    [(_, placed)] = await orders.events(receipt["order_id"])
    assert {line["kind"] for line in placed["lines"]} == {"digital"}
    assert placed["shipping_address"]["country"] == "FR"
    assert placed["totals_mismatch"] is False
