"""Each platform's proof of authenticity, checked as the platform signs.

While a secret is rotated the previous one is accepted beside the current
one; a delivery that proves nothing is refused with 401 and stores nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlencode

import pytest
from orders_fakes import (
    API_KEY,
    API_OLD_KEY,
    GUMROAD_KEY,
    GUMROAD_OLD_KEY,
    SHOPIFY_KEY,
    SHOPIFY_OLD_KEY,
    STRIPE_KEY,
    STRIPE_OLD_KEY,
    WOOCOMMERCE_KEY,
    WOOCOMMERCE_OLD_KEY,
    encode,
    generic_order,
    gumroad_form,
    shopify_headers,
    shopify_order,
    stripe_headers,
    stripe_session_event,
    woocommerce_headers,
    woocommerce_order,
)
from orders_harness import FORM, OrdersHarness

Signed = tuple[str, bytes, dict[str, str]]


def _shopify(key: str) -> Signed:
    body = encode(shopify_order())
    return "/webhooks/shopify", body, shopify_headers(body, key=key)


def _woocommerce(key: str) -> Signed:
    body = encode(woocommerce_order())
    return "/webhooks/woocommerce", body, woocommerce_headers(body, key=key)


def _stripe(key: str) -> Signed:
    body = encode(stripe_session_event())
    return "/webhooks/stripe", body, stripe_headers(body, key=key)


def _gumroad(key: str) -> Signed:
    body = urlencode(gumroad_form()).encode()
    return f"/webhooks/gumroad?secret={key}", body, FORM


def _api(key: str) -> Signed:
    body = encode(generic_order())
    return "/orders", body, {"X-Api-Key": key, "Content-Type": "application/json"}


PLATFORMS: dict[str, tuple[Callable[[str], Signed], str, str]] = {
    "shopify": (_shopify, SHOPIFY_KEY, SHOPIFY_OLD_KEY),
    "woocommerce": (_woocommerce, WOOCOMMERCE_KEY, WOOCOMMERCE_OLD_KEY),
    "stripe": (_stripe, STRIPE_KEY, STRIPE_OLD_KEY),
    "gumroad": (_gumroad, GUMROAD_KEY, GUMROAD_OLD_KEY),
    "api": (_api, API_KEY, API_OLD_KEY),
}


@pytest.mark.parametrize("platform", PLATFORMS)
async def test_current_and_previous_secret_are_both_accepted(
    orders: OrdersHarness, platform: str
) -> None:
    sign, current, previous = PLATFORMS[platform]

    with_current = await orders.post(*sign(current))
    with_previous = await orders.post(*sign(previous))

    assert with_current.status_code == 200, with_current.text
    assert with_previous.status_code == 200, with_previous.text
    assert with_previous.json()["status"] == "placed"


@pytest.mark.parametrize("platform", PLATFORMS)
async def test_wrong_secret_is_refused_and_stores_nothing(
    orders: OrdersHarness, platform: str
) -> None:
    sign, _, _ = PLATFORMS[platform]
    before = (await orders.count("deliveries"), await orders.count("outbox"))

    response = await orders.post(*sign("an-attacker-guessed-this"))

    assert response.status_code == 401
    assert response.json()["error"] == "not_authentic"
    after = (await orders.count("deliveries"), await orders.count("outbox"))
    assert after == before


async def test_shopify_signature_of_another_body_is_refused(
    orders: OrdersHarness,
) -> None:
    path, body, headers = _shopify(SHOPIFY_KEY)
    tampered = body.replace(b'"58.90"', b'"0.01"')

    response = await orders.post(path, tampered, headers)

    assert response.status_code == 401


async def test_stripe_signature_with_one_of_several_v1_values_is_accepted(
    orders: OrdersHarness,
) -> None:
    path, body, headers = _stripe(STRIPE_KEY)
    stamp, signature, _ = headers["Stripe-Signature"].split(",")
    headers["Stripe-Signature"] = f"{stamp},v1={'0' * 64},{signature}"

    response = await orders.post(path, body, headers)

    assert response.status_code == 200, response.text


async def test_stripe_signature_without_a_timestamp_is_refused(
    orders: OrdersHarness,
) -> None:
    path, body, headers = _stripe(STRIPE_KEY)
    headers["Stripe-Signature"] = headers["Stripe-Signature"].split(",", 1)[1]

    response = await orders.post(path, body, headers)

    assert response.status_code == 401
    assert "timestamp" in response.json()["message"]
