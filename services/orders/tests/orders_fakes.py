"""Payloads shaped as the platforms document them, and their signatures."""

from __future__ import annotations

import base64
import copy
import hashlib
import hmac
import itertools
import json
import time
from typing import Any

SHOPIFY_KEY = "shopify-current-secret"
SHOPIFY_OLD_KEY = "shopify-previous-secret"
WOOCOMMERCE_KEY = "woocommerce-secret"
GUMROAD_KEY = "gumroad-url-secret"
STRIPE_KEY = "whsec_stripe-test-secret"
API_KEY = "generic-api-key"
SHOP_DOMAIN = "example.myshopify.com"

_numbers = itertools.count(1001)


def next_number() -> int:
    return next(_numbers)


def shopify_order(order_id: int | None = None, **overrides: Any) -> dict[str, Any]:
    """An EU order as `orders/create` sends it: two lines, a code, VAT included."""
    number = next_number()
    order_id = order_id or 450789469000000 + number * 1000
    order: dict[str, Any] = {
        "id": order_id,
        "admin_graphql_api_id": f"gid://shopify/Order/{order_id}",
        "name": f"#{number}",
        "order_number": number,
        "email": "anna.schmidt@example.de",
        "contact_email": "anna.schmidt@example.de",
        "created_at": "2026-03-01T10:15:00+01:00",
        "processed_at": "2026-03-01T10:15:00+01:00",
        "updated_at": "2026-03-01T10:15:02+01:00",
        "cancelled_at": None,
        "cancel_reason": None,
        "currency": "EUR",
        "presentment_currency": "EUR",
        "customer_locale": "de-DE",
        "financial_status": "paid",
        "fulfillment_status": None,
        "taxes_included": True,
        "total_line_items_price": "59.00",
        "subtotal_price": "54.00",
        "total_discounts": "5.00",
        "total_tax": "9.38",
        "total_price": "58.90",
        "total_shipping_price_set": {
            "shop_money": {"amount": "4.90", "currency_code": "EUR"},
            "presentment_money": {"amount": "4.90", "currency_code": "EUR"},
        },
        "payment_gateway_names": ["shopify_payments"],
        "note": "Bitte klingeln",
        "tags": "vip, newsletter",
        "test": False,
        "note_attributes": [{"name": "VAT ID", "value": "DE123456789"}],
        "discount_codes": [
            {"code": "SPRING5", "amount": "5.00", "type": "fixed_amount"}
        ],
        "customer": {
            "id": 207119551000000 + number,
            "email": "anna.schmidt@example.de",
            "first_name": "Anna",
            "last_name": "Schmidt",
            "phone": None,
            "email_marketing_consent": {"state": "subscribed"},
        },
        "billing_address": _shopify_address(),
        "shipping_address": _shopify_address(),
        "line_items": [
            {
                "id": 866550311000000 + number,
                "variant_id": 39072856000000,
                "product_id": 632910392000000,
                "title": "Espresso cup",
                "name": "Espresso cup - white",
                "sku": "CUP-WHITE",
                "quantity": 2,
                "price": "12.00",
                "total_discount": "0.00",
                "requires_shipping": True,
                "taxable": True,
                "gift_card": False,
                "discount_allocations": [
                    {"amount": "2.00", "discount_application_index": 0}
                ],
                "tax_lines": [{"title": "MwSt", "price": "3.51", "rate": 0.19}],
            },
            {
                "id": 866550312000000 + number,
                "variant_id": 39072857000000,
                "product_id": 632910393000000,
                "title": "Brewing guide (PDF)",
                "sku": "GUIDE-PDF",
                "quantity": 1,
                "price": "35.00",
                "total_discount": "0.00",
                "requires_shipping": False,
                "taxable": True,
                "gift_card": False,
                "discount_allocations": [
                    {"amount": "3.00", "discount_application_index": 0}
                ],
                "tax_lines": [{"title": "MwSt", "price": "5.11", "rate": 0.19}],
            },
        ],
        "shipping_lines": [
            {
                "id": 271878346000000 + number,
                "title": "DHL Paket",
                "code": "DHL",
                "price": "4.90",
                "discounted_price": "4.90",
                "discount_allocations": [],
                "tax_lines": [{"title": "MwSt", "price": "0.76", "rate": 0.19}],
            }
        ],
    }
    order.update(overrides)
    return order


def _shopify_address() -> dict[str, Any]:
    return {
        "first_name": "Anna",
        "last_name": "Schmidt",
        "name": "Anna Schmidt",
        "company": "Kaffee Schmidt GmbH",
        "address1": "Hauptstraße 5",
        "address2": None,
        "city": "Berlin",
        "province": None,
        "province_code": None,
        "zip": "10115",
        "country": "Germany",
        "country_code": "DE",
        "phone": None,
    }


def shopify_refund(
    order: dict[str, Any], refund_id: int, amount: str
) -> dict[str, Any]:
    """A `refunds/create` payload refunding the order's first line."""
    line = order["line_items"][0]
    return {
        "id": refund_id,
        "order_id": order["id"],
        "created_at": "2026-03-03T09:00:00+01:00",
        "processed_at": "2026-03-03T09:00:00+01:00",
        "note": "Arrived broken",
        "restock": False,
        "refund_line_items": [
            {
                "id": refund_id + 1,
                "line_item_id": line["id"],
                "quantity": 1,
                "restock_type": "no_restock",
                "subtotal": "10.08",
                "total_tax": "1.92",
                "line_item": line,
            }
        ],
        "transactions": [
            {
                "id": refund_id + 2,
                "order_id": order["id"],
                "kind": "refund",
                "gateway": "shopify_payments",
                "status": "success",
                "amount": amount,
                "currency": "EUR",
            }
        ],
        "order_adjustments": [],
    }


def encode(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload).encode()


def shopify_headers(
    body: bytes,
    topic: str = "orders/create",
    *,
    webhook_id: str | None = None,
    key: str = SHOPIFY_KEY,
) -> dict[str, str]:
    digest = hmac.new(key.encode(), body, hashlib.sha256).digest()
    return {
        "Content-Type": "application/json",
        "X-Shopify-Topic": topic,
        "X-Shopify-Hmac-Sha256": base64.b64encode(digest).decode(),
        "X-Shopify-Shop-Domain": SHOP_DOMAIN,
        "X-Shopify-API-Version": "2025-10",
        "X-Shopify-Webhook-Id": webhook_id or f"wh-{next_number()}-{time.time_ns()}",
        "X-Shopify-Triggered-At": "2026-03-01T09:15:02.123Z",
    }


def changed(payload: dict[str, Any], **overrides: Any) -> dict[str, Any]:
    result = copy.deepcopy(payload)
    result.update(overrides)
    return result
