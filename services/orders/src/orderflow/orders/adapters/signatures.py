"""How each platform proves a delivery is its own, checked in constant time.

Each check takes every configured secret (the current one and the previous
one while a secret is rotated) and raises `NotAuthentic` unless one of them
matches. With no secret configured nothing is accepted.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Sequence

from orderflow.backbone.api_keys import is_one_of
from orderflow.orders.errors import NotAuthentic


def verify_base64_hmac(
    platform: str, secrets: Sequence[bytes], body: bytes, signature: str | None
) -> None:
    """Shopify and WooCommerce: base64 of the HMAC-SHA256 of the raw body."""
    _require(platform, secrets, signature)
    given = (signature or "").strip().encode()
    expected = [base64.b64encode(_hmac(secret, body)) for secret in secrets]
    _match(platform, given, expected)


def verify_stripe(
    secrets: Sequence[bytes],
    body: bytes,
    header: str | None,
    *,
    now: float,
    tolerance: float,
) -> None:
    """Stripe: hex HMAC-SHA256 of `<t>.<body>`, with `t` within the tolerance."""
    _require("stripe", secrets, header)
    timestamp, signatures = _stripe_header(header or "")
    if abs(now - timestamp) > tolerance:
        raise NotAuthentic("the Stripe signature's timestamp is outside the tolerance")
    signed = f"{timestamp}.".encode() + body
    expected = [_hmac(secret, signed).hex().encode() for secret in secrets]
    matches = [
        hmac.compare_digest(given, candidate)
        for given in signatures
        for candidate in expected
    ]
    if not any(matches):
        raise NotAuthentic("the Stripe signature does not match")


def verify_shared_secret(
    name: str, secrets: Sequence[bytes], given: str | None
) -> None:
    """A secret sent as it is, named `name`: Gumroad's URL secret, an API key."""
    if not secrets:
        raise NotAuthentic(f"no {name} is configured")
    if not given:
        raise NotAuthentic(f"no {name} was given")
    if not is_one_of(given, secrets):
        raise NotAuthentic(f"the {name} is not the configured one")


def _require(platform: str, secrets: Sequence[bytes], given: str | None) -> None:
    if not secrets:
        raise NotAuthentic(f"no secret is configured for {platform}")
    if not given:
        raise NotAuthentic(f"the {platform} delivery is not signed")


def _match(platform: str, given: bytes, expected: list[bytes]) -> None:
    matches = [hmac.compare_digest(given, candidate) for candidate in expected]
    if not any(matches):
        raise NotAuthentic(f"the {platform} signature does not match")


def _hmac(secret: bytes, message: bytes) -> bytes:
    return hmac.new(secret, message, hashlib.sha256).digest()


def _stripe_header(header: str) -> tuple[int, list[bytes]]:
    timestamp: int | None = None
    signatures: list[bytes] = []
    for part in header.split(","):
        name, _, value = part.strip().partition("=")
        if name == "t" and value.isdigit():
            timestamp = int(value)
        elif name == "v1":
            signatures.append(value.encode())
    if timestamp is None or not signatures:
        raise NotAuthentic("the Stripe-Signature header has no timestamp or v1")
    return timestamp, signatures
