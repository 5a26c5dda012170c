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
WOOCOMMERCE_OLD_KEY = "woocommerce-previous-secret"
GUMROAD_KEY = "gumroad-url-secret"
GUMROAD_OLD_KEY = "gumroad-previous-url-secret"
STRIPE_KEY = "whsec_stripe-test-secret"
STRIPE_OLD_KEY = "whsec_stripe-previous-secret"
API_KEY = "generic-api-key"
API_OLD_KEY = "generic-previous-api-key"
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
        "refund_shipping_lines": [],
        "order_adjustments": [],
    }


def encode(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload).encode()


def shopify_headers(
    body: bytes,
    topic: str = "orders/create",
    *,
    webhook_id: str | None = None,
    event_id: str | None = None,
    key: str = SHOPIFY_KEY,
) -> dict[str, str]:
    """The headers of a delivery; a retry repeats its webhook and event id."""
    digest = hmac.new(key.encode(), body, hashlib.sha256).digest()
    webhook_id = webhook_id or f"wh-{next_number()}-{time.time_ns()}"
    return {
        "Content-Type": "application/json",
        "X-Shopify-Topic": topic,
        "X-Shopify-Hmac-Sha256": base64.b64encode(digest).decode(),
        "X-Shopify-Shop-Domain": SHOP_DOMAIN,
        "X-Shopify-API-Version": "2025-10",
        "X-Shopify-Webhook-Id": webhook_id,
        "X-Shopify-Event-Id": event_id or f"event-{webhook_id}",
        "X-Shopify-Triggered-At": "2026-03-01T09:15:02.123Z",
    }


def changed(payload: dict[str, Any], **overrides: Any) -> dict[str, Any]:
    result = copy.deepcopy(payload)
    result.update(overrides)
    return result


WC_SOURCE = "https://kaffee.example/"


def woocommerce_order(order_id: int | None = None, **overrides: Any) -> dict[str, Any]:
    """An order as WooCommerce's REST API (v3) shapes it in a webhook.

    A French customer, two lines, a coupon, VAT at 20 % added to net prices.
    """
    number = order_id or next_number()
    order: dict[str, Any] = {
        "id": number,
        "parent_id": 0,
        "number": str(number),
        "order_key": f"wc_order_{number}",
        "created_via": "checkout",
        "version": "9.4.0",
        "status": "processing",
        "currency": "EUR",
        "date_created": "2026-03-01T11:15:00",
        "date_created_gmt": "2026-03-01T10:15:00",
        "date_modified": "2026-03-01T11:15:05",
        "date_modified_gmt": "2026-03-01T10:15:05",
        "date_paid_gmt": "2026-03-01T10:15:04",
        "discount_total": "5.00",
        "discount_tax": "1.00",
        "shipping_total": "6.00",
        "shipping_tax": "1.20",
        "cart_tax": "7.00",
        "total": "49.20",
        "total_tax": "8.20",
        "prices_include_tax": False,
        "customer_id": 17,
        "customer_note": "",
        "billing": {
            "first_name": "Claire",
            "last_name": "Martin",
            "company": "Atelier Martin SARL",
            "address_1": "12 rue de la Paix",
            "address_2": "",
            "city": "Paris",
            "state": "",
            "postcode": "75002",
            "country": "FR",
            "email": "claire.martin@example.fr",
            "phone": "+33 1 23 45 67 89",
        },
        "shipping": {
            "first_name": "Claire",
            "last_name": "Martin",
            "company": "",
            "address_1": "12 rue de la Paix",
            "address_2": "",
            "city": "Paris",
            "state": "",
            "postcode": "75002",
            "country": "FR",
            "phone": "",
        },
        "payment_method": "stripe",
        "payment_method_title": "Credit card",
        "transaction_id": "pi_3PwooX2eZvKYlo2C0",
        "meta_data": [
            {"id": 901, "key": "_billing_vat_number", "value": "FR12345678901"}
        ],
        "line_items": [
            {
                "id": 315,
                "name": "Coffee grinder",
                "product_id": 93,
                "variation_id": 0,
                "quantity": 1,
                "tax_class": "",
                "subtotal": "30.00",
                "subtotal_tax": "6.00",
                "total": "27.00",
                "total_tax": "5.40",
                "taxes": [{"id": 1, "total": "5.40", "subtotal": "6.00"}],
                "sku": "GRINDER-1",
                "price": 27,
            },
            {
                "id": 316,
                "name": "Filter papers",
                "product_id": 94,
                "variation_id": 0,
                "quantity": 2,
                "tax_class": "",
                "subtotal": "10.00",
                "subtotal_tax": "2.00",
                "total": "8.00",
                "total_tax": "1.60",
                "taxes": [{"id": 1, "total": "1.60", "subtotal": "2.00"}],
                "sku": "FILTER-100",
                "price": 4,
            },
        ],
        "tax_lines": [
            {
                "id": 320,
                "rate_code": "FR-TVA-1",
                "rate_id": 1,
                "label": "TVA",
                "compound": False,
                "tax_total": "7.00",
                "shipping_tax_total": "1.20",
                "rate_percent": 20,
            }
        ],
        "shipping_lines": [
            {
                "id": 318,
                "method_title": "Colissimo",
                "method_id": "flat_rate",
                "total": "6.00",
                "total_tax": "1.20",
                "taxes": [{"id": 1, "total": "1.20", "subtotal": ""}],
            }
        ],
        "fee_lines": [],
        "coupon_lines": [
            {"id": 319, "code": "bienvenue", "discount": "5.00", "discount_tax": "1.00"}
        ],
        "refunds": [],
    }
    order.update(overrides)
    return order


def woocommerce_headers(
    body: bytes,
    topic: str = "order.created",
    *,
    key: str = WOOCOMMERCE_KEY,
    delivery_id: str | None = None,
) -> dict[str, str]:
    digest = hmac.new(key.encode(), body, hashlib.sha256).digest()
    resource, _, event = topic.partition(".")
    return {
        "Content-Type": "application/json",
        "User-Agent": "WooCommerce/9.4.0 Hookshot (WordPress/6.7)",
        "X-WC-Webhook-Source": WC_SOURCE,
        "X-WC-Webhook-Topic": topic,
        "X-WC-Webhook-Resource": resource,
        "X-WC-Webhook-Event": event,
        "X-WC-Webhook-Signature": base64.b64encode(digest).decode(),
        "X-WC-Webhook-ID": "7",
        "X-WC-Webhook-Delivery-ID": delivery_id or f"wc-{next_number()}",
    }


def stripe_session_event(**session: Any) -> dict[str, Any]:
    """`checkout.session.completed` for a digital product, tax added, expanded."""
    number = next_number()
    values: dict[str, Any] = {
        "id": f"cs_test_a1{number}",
        "object": "checkout.session",
        "amount_subtotal": 4900,
        "amount_total": 5831,
        "created": 1772356500,
        "currency": "eur",
        "customer": f"cus_Q{number}",
        "customer_details": {
            "email": "lukas.novak@example.cz",
            "name": "Lukas Novak",
            "phone": None,
            "address": {
                "city": "Praha",
                "country": "CZ",
                "line1": "Vodičkova 1",
                "line2": None,
                "postal_code": "110 00",
                "state": None,
            },
            "tax_exempt": "none",
            "tax_ids": [{"type": "eu_vat", "value": "CZ12345678"}],
        },
        "livemode": False,
        "locale": "cs",
        "metadata": {},
        "mode": "payment",
        "payment_intent": f"pi_3Q{number}",
        "payment_status": "paid",
        "shipping_details": None,
        "status": "complete",
        "total_details": {
            "amount_discount": 0,
            "amount_shipping": 0,
            "amount_tax": 931,
        },
        "line_items": {
            "object": "list",
            "data": [
                {
                    "id": f"li_1Q{number}",
                    "object": "item",
                    "amount_discount": 0,
                    "amount_subtotal": 4900,
                    "amount_tax": 931,
                    "amount_total": 5831,
                    "currency": "eur",
                    "description": "Online course: Home roasting",
                    "price": {
                        "id": "price_1QcourseEUR",
                        "object": "price",
                        "product": "prod_Qcourse",
                        "unit_amount": 4900,
                    },
                    "quantity": 1,
                    "taxes": [
                        {
                            "amount": 931,
                            "rate": {
                                "id": "txr_1Q",
                                "display_name": "DPH",
                                "percentage": 19.0,
                                "inclusive": False,
                            },
                        }
                    ],
                }
            ],
        },
    }
    values.update(session)
    return stripe_event("checkout.session.completed", values, created=1772356510)


def stripe_event(
    event_type: str, data: dict[str, Any], created: int = 1772442900
) -> dict[str, Any]:
    """An event as Stripe posts it to an endpoint, around its object."""
    return {
        "id": f"evt_1R{next_number()}",
        "object": "event",
        "api_version": "2025-09-30",
        "created": created,
        "livemode": False,
        "pending_webhooks": 1,
        "type": event_type,
        "data": {"object": data},
    }


def stripe_refund(payment_intent: str, refund_id: str, amount: int) -> dict[str, Any]:
    return {
        "id": refund_id,
        "object": "refund",
        "amount": amount,
        "charge": f"ch_{payment_intent.removeprefix('pi_')}",
        "currency": "eur",
        "payment_intent": payment_intent,
        "created": 1772442900,
        "reason": "requested_by_customer",
        "status": "succeeded",
    }


def stripe_refund_event(
    payment_intent: str, refund_id: str, amount: int
) -> dict[str, Any]:
    return stripe_event(
        "refund.created", stripe_refund(payment_intent, refund_id, amount)
    )


def stripe_charge_refunded_event(
    payment_intent: str, refunds: list[dict[str, Any]]
) -> dict[str, Any]:
    """`charge.refunded` as API versions before 2022-11-15 send it, refunds listed."""
    refunded = sum(refund["amount"] for refund in refunds)
    charge = {
        "id": f"ch_{payment_intent.removeprefix('pi_')}",
        "object": "charge",
        "amount": 5831,
        "amount_refunded": refunded,
        "currency": "eur",
        "payment_intent": payment_intent,
        "refunded": refunded == 5831,
        "refunds": {
            "object": "list",
            "data": refunds,
            "has_more": False,
            "total_count": len(refunds),
        },
    }
    return stripe_event("charge.refunded", charge)


def stripe_headers(
    body: bytes, *, key: str = STRIPE_KEY, timestamp: int | None = None
) -> dict[str, str]:
    stamp = int(time.time()) if timestamp is None else timestamp
    signed = f"{stamp}.".encode() + body
    digest = hmac.new(key.encode(), signed, hashlib.sha256).hexdigest()
    return {
        "Content-Type": "application/json; charset=utf-8",
        "Stripe-Signature": f"t={stamp},v1={digest},v0=0000",
    }


def gumroad_form(**overrides: str) -> dict[str, str]:
    """A Gumroad sale ping for an e-book, as its form fields."""
    number = next_number()
    fields = {
        "seller_id": "gA0b1c2d3e4f==",
        "product_id": "Xk9PfQ1w2e3r==",
        "product_name": "Espresso at home (e-book)",
        "permalink": "espresso",
        "product_permalink": "https://seller.gumroad.com/l/espresso",
        "short_product_id": "espresso",
        "email": "sam.taylor@example.com",
        "price": "1500",
        "gumroad_fee": "165",
        "currency": "usd",
        "quantity": "1",
        "discover_fee_charged": "false",
        "can_contact": "true",
        "referrer": "direct",
        "order_number": str(number),
        "sale_id": f"FQ{number}xyz==",
        "sale_timestamp": "2026-03-01T09:15:00Z",
        "purchaser_id": f"{number}7771",
        "full_name": "Sam Taylor",
        "ip_country": "United States",
        "is_gift_receiver_purchase": "false",
        "refunded": "false",
        "disputed": "false",
        "dispute_won": "false",
        "test": "false",
    }
    fields.update(overrides)
    return fields


def generic_order(**overrides: Any) -> dict[str, Any]:
    """An order in Orderflow's own shape, from a shop on no supported platform."""
    order: dict[str, Any] = {
        "shop": "tea.example",
        "order_id": f"T-{next_number()}",
        "placed_at": "2026-03-01T10:15:00+00:00",
        "currency": "GBP",
        "customer": {"email": "olivia.jones@example.co.uk", "first_name": "Olivia"},
        "shipping_address": {
            "city": "Leeds",
            "postal_code": "LS1 4AP",
            "country": "GB",
        },
        "lines": [
            {
                "line_id": "1",
                "sku": "TEA-EARLGREY",
                "title": "Earl Grey, 250 g",
                "quantity": 2,
                "unit_price": "8.50",
                "total": "17.00",
                "kind": "physical",
            }
        ],
        "totals": {
            "subtotal": "17.00",
            "discounts": "0",
            "shipping": "3.95",
            "tax": "3.49",
            "total": "20.95",
            "taxes_included": True,
        },
        "paid": True,
        "financial_status": "paid",
    }
    order.update(overrides)
    return order
