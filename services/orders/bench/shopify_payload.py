"""A real-sized Shopify `orders/create` payload (about 10 KB) for the benchmark."""

from __future__ import annotations

import json
from typing import Any

_ADDRESS = {
    "first_name": "Jonas",
    "last_name": "Lindqvist",
    "name": "Jonas Lindqvist",
    "company": "Lindqvist Design AB",
    "address1": "Drottninggatan 42",
    "address2": "Lgh 1102",
    "city": "Stockholm",
    "province": None,
    "province_code": None,
    "zip": "111 21",
    "country": "Sweden",
    "country_code": "SE",
    "phone": "+46 8 123 456 78",
    "latitude": 59.3326,
    "longitude": 18.0649,
}


def _money(amount: str) -> dict[str, Any]:
    return {
        "shop_money": {"amount": amount, "currency_code": "SEK"},
        "presentment_money": {"amount": amount, "currency_code": "SEK"},
    }


def _line(number: int, index: int) -> dict[str, Any]:
    line_id = 13510000000000 + number * 100 + index
    return {
        "id": line_id,
        "admin_graphql_api_id": f"gid://shopify/LineItem/{line_id}",
        "variant_id": 44010000000000 + index,
        "product_id": 8220000000000 + index,
        "title": f"Linen table runner, natural, {140 + index * 20} cm",
        "name": f"Linen table runner, natural, {140 + index * 20} cm - Natural",
        "variant_title": "Natural",
        "vendor": "Lindqvist Textil",
        "sku": f"RUNNER-NAT-{140 + index * 20}",
        "quantity": 1 + index % 2,
        "price": "200.00",
        "price_set": _money("200.00"),
        "total_discount": "0.00",
        "total_discount_set": _money("0.00"),
        "fulfillable_quantity": 1 + index % 2,
        "fulfillment_service": "manual",
        "fulfillment_status": None,
        "gift_card": False,
        "grams": 350,
        "product_exists": True,
        "requires_shipping": True,
        "taxable": True,
        "properties": [{"name": "Gift wrap", "value": "No"}],
        "discount_allocations": [],
        "duties": [],
        "tax_lines": [
            {
                "title": "SE VAT",
                "price": f"{40 * (1 + index % 2)}.00",
                "rate": 0.25,
                "channel_liable": False,
                "price_set": _money(f"{40 * (1 + index % 2)}.00"),
            }
        ],
    }


def shopify_order(number: int) -> bytes:
    """A Swedish order with six lines, tax included, shipping and a customer."""
    order_id = 5600000000000 + number
    lines = [_line(number, index) for index in range(6)]
    quantity = sum(line["quantity"] for line in lines)
    subtotal = 200 * quantity
    tax = 40 * quantity + 13
    total = subtotal + 65
    order = {
        "id": order_id,
        "admin_graphql_api_id": f"gid://shopify/Order/{order_id}",
        "app_id": 580111,
        "browser_ip": "192.0.2.10",
        "buyer_accepts_marketing": True,
        "cart_token": f"Z2NwLWV1cm9wZS13ZXN0NDowMUhWN{number:010d}",
        "checkout_id": 3700000000000 + number,
        "checkout_token": f"c1e2f3a4b5c6d7e8f9a0{number:012d}",
        "client_details": {
            "accept_language": "sv-SE",
            "browser_height": 900,
            "browser_ip": "192.0.2.10",
            "browser_width": 1440,
            "user_agent": "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4) Safari/605.1",
        },
        "confirmation_number": f"K{number:08d}",
        "confirmed": True,
        "contact_email": "jonas.lindqvist@example.se",
        "created_at": "2026-03-01T10:15:00+01:00",
        "currency": "SEK",
        "current_subtotal_price": f"{subtotal}.00",
        "current_total_price": f"{total}.00",
        "current_total_tax": f"{tax}.00",
        "customer_locale": "sv-SE",
        "discount_codes": [],
        "email": "jonas.lindqvist@example.se",
        "estimated_taxes": False,
        "financial_status": "paid",
        "fulfillment_status": None,
        "landing_site": "/collections/linen?utm_source=newsletter&utm_medium=email",
        "name": f"#{number}",
        "note": None,
        "note_attributes": [{"name": "VAT ID", "value": "SE556677889901"}],
        "number": number,
        "order_number": number,
        "order_status_url": f"https://shop.example/7000/orders/{number:x}/authenticate",
        "payment_gateway_names": ["shopify_payments"],
        "phone": None,
        "presentment_currency": "SEK",
        "processed_at": "2026-03-01T10:15:00+01:00",
        "referring_site": "https://www.example.com/",
        "source_name": "web",
        "subtotal_price": f"{subtotal}.00",
        "subtotal_price_set": _money(f"{subtotal}.00"),
        "tags": "newsletter, returning",
        "tax_lines": [{"title": "SE VAT", "price": f"{tax}.00", "rate": 0.25}],
        "taxes_included": True,
        "test": False,
        "total_discounts": "0.00",
        "total_line_items_price": f"{subtotal}.00",
        "total_price": f"{total}.00",
        "total_price_set": _money(f"{total}.00"),
        "total_shipping_price_set": _money("65.00"),
        "total_tax": f"{tax}.00",
        "total_weight": 3150,
        "updated_at": "2026-03-01T10:15:02+01:00",
        "billing_address": _ADDRESS,
        "shipping_address": _ADDRESS,
        "customer": {
            "id": 7100000000000 + number,
            "email": "jonas.lindqvist@example.se",
            "first_name": "Jonas",
            "last_name": "Lindqvist",
            "state": "enabled",
            "verified_email": True,
            "currency": "SEK",
            "tax_exempt": False,
            "email_marketing_consent": {
                "state": "subscribed",
                "opt_in_level": "single_opt_in",
                "consent_updated_at": "2025-11-02T08:00:00+01:00",
            },
            "default_address": _ADDRESS,
        },
        "line_items": lines,
        "shipping_lines": [
            {
                "id": 4500000000000 + number,
                "title": "PostNord MyPack Home",
                "code": "POSTNORD_HOME",
                "source": "shopify",
                "price": "65.00",
                "discounted_price": "65.00",
                "price_set": _money("65.00"),
                "discount_allocations": [],
                "tax_lines": [{"title": "SE VAT", "price": "13.00", "rate": 0.25}],
            }
        ],
        "fulfillments": [],
        "refunds": [],
    }
    return json.dumps(order).encode()
