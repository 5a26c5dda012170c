"""Stripe through its official SDK: products, Checkout Sessions, refunds, webhooks.

Every write carries an idempotency key derived from what it is about (the
SKU, the payment, the refund), never a random one, so a handler retried
after a lost answer or a rollback gets the object Stripe made the first
time instead of a second one. Stripe refuses a key sent again with other
parameters: that is what billing wants for money (a refund or checkout that
changed is an error to look at), while a product's and price's keys also
digest their parameters, so a SKU registered again with another title or
price is a new request rather than a refused one.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

import stripe

from orderflow.backbone.logging import get_logger
from orderflow.billing.errors import (
    StripeRejected,
    StripeUnavailable,
    WebhookMalformed,
    WebhookNotVerified,
)

log = get_logger(__name__)

_TRANSIENT = (stripe.APIConnectionError, stripe.RateLimitError)
# 409: the same idempotency key is in flight in another request right now.
_RETRY_STATUSES = frozenset({409, 429, 500, 502, 503, 504})


@dataclass(frozen=True)
class RegisteredProduct:
    product_id: str
    price_id: str


@dataclass(frozen=True)
class WebhookEvent:
    """A verified Stripe event: its id, type and the object it is about."""

    event_id: str
    type: str
    object: dict[str, Any]


@dataclass(frozen=True)
class Checkout:
    session_id: str
    url: str


class StripeGateway:
    """The calls billing makes to Stripe, with errors mapped to billing's."""

    def __init__(
        self,
        api_key: str,
        *,
        webhook_secret: str | None,
        api_base: str = "https://api.stripe.com",
    ) -> None:
        self._client = stripe.StripeClient(
            api_key,
            base_addresses={"api": api_base},
            http_client=stripe.HTTPXClient(timeout=30),
            max_network_retries=2,
        )
        self._webhook_secret = webhook_secret

    async def register_product(
        self,
        *,
        shop_id: str,
        sku: str,
        title: str,
        unit_amount: int,
        currency: str,
    ) -> RegisteredProduct:
        """Create the product and its price, once per shop and SKU."""
        key = f"{shop_id}:{sku}"
        metadata = {"shop_id": shop_id, "sku": sku}
        product = await self._call(
            "products.create",
            self._client.v1.products.create_async(
                {"name": title, "metadata": metadata},
                {"idempotency_key": f"product:{_digest(key, title)}"},
            ),
        )
        price = await self._call(
            "prices.create",
            self._client.v1.prices.create_async(
                {
                    "product": product.id,
                    "unit_amount": unit_amount,
                    "currency": currency.lower(),
                    "metadata": metadata,
                },
                {
                    "idempotency_key": "price:"
                    + _digest(key, product.id, str(unit_amount), currency)
                },
            ),
        )
        return RegisteredProduct(product_id=product.id, price_id=price.id)

    async def create_checkout(
        self,
        *,
        payment_id: str,
        order_id: str,
        description: str,
        amount: int,
        currency: str,
        email: str | None,
        language: str,
        success_url: str,
        cancel_url: str,
    ) -> Checkout:
        """A Checkout Session for the whole order, with the payment's id on it.

        The page speaks the customer's language and names the order in it.
        """
        # TODO: Stripe expires a Checkout Session after 24 hours, and with it
        # the emailed link. Emailing a link to a billing route that opens a
        # fresh session when it is followed would keep the link payable; it
        # needs a token per payment and webhooks matched by metadata alone.
        metadata = {"payment_id": payment_id, "order_id": order_id}
        params: dict[str, Any] = {
            "mode": "payment",
            "client_reference_id": payment_id,
            "success_url": success_url,
            "cancel_url": cancel_url,
            "metadata": metadata,
            "locale": language,
            "payment_intent_data": {"metadata": metadata},
            "line_items": [
                {
                    "quantity": 1,
                    "price_data": {
                        "currency": currency.lower(),
                        "unit_amount": amount,
                        "product_data": {"name": description},
                    },
                }
            ],
        }
        if email:
            params["customer_email"] = email
        session = await self._call(
            "checkout.sessions.create",
            self._client.v1.checkout.sessions.create_async(
                params,  # type: ignore[arg-type]
                {"idempotency_key": f"checkout:{payment_id}"},
            ),
        )
        return Checkout(session_id=session.id, url=session.url or "")

    async def expire_checkout(self, *, payment_id: str, session_id: str) -> bool:
        """Close a Checkout Session's link; False if it was no longer open."""
        try:
            await self._call(
                "checkout.sessions.expire",
                self._client.v1.checkout.sessions.expire_async(
                    session_id, options={"idempotency_key": f"expiry:{payment_id}"}
                ),
            )
        except StripeRejected as exc:
            if exc.status != 400:
                raise
            return False
        return True

    async def refund(
        self, *, payment_id: str, payment_intent: str, amount: int, refund_id: str
    ) -> str:
        """Refund part or all of a payment, once per refund; returns Stripe's id."""
        refund = await self._call(
            "refunds.create",
            self._client.v1.refunds.create_async(
                {"payment_intent": payment_intent, "amount": amount},
                {"idempotency_key": f"refund:{payment_id}:{refund_id}"},
            ),
        )
        return str(refund.id)

    async def payment_intent(self, intent_id: str) -> dict[str, Any] | None:
        """A PaymentIntent as Stripe has it now; None if Stripe does not know it."""
        try:
            intent = await self._client.v1.payment_intents.retrieve_async(intent_id)
        except stripe.InvalidRequestError as exc:
            if exc.http_status == 404:
                return None
            raise
        except stripe.StripeError as exc:
            raise _mapped("payment_intents.retrieve", exc) from None
        body: dict[str, Any] = intent.to_dict()
        return body

    def verified_event(self, payload: bytes, signature: str) -> WebhookEvent:
        """The webhook's event, if its `Stripe-Signature` header is right.

        A signature more than five minutes old is refused as a replay, as
        Stripe's own `construct_event` does; the body is read here rather
        than by it, so that a signed body of another shape gets a clear error.
        """
        if not self._webhook_secret:
            raise WebhookNotVerified("no webhook secret is configured")
        try:
            stripe.WebhookSignature.verify_header(
                payload.decode(),
                signature,
                self._webhook_secret,
                tolerance=stripe.Webhook.DEFAULT_TOLERANCE,
            )
        except (stripe.SignatureVerificationError, UnicodeDecodeError):
            raise WebhookNotVerified("the webhook signature does not match") from None
        try:
            body = json.loads(payload)
        except ValueError:
            raise WebhookMalformed("?", "?") from None
        if not isinstance(body, dict):
            raise WebhookMalformed("?", "?")
        event_id, event_type = str(body.get("id", "?")), str(body.get("type", "?"))
        data = body.get("data")
        found = data.get("object") if isinstance(data, dict) else None
        if "?" in (event_id, event_type) or not isinstance(found, dict):
            raise WebhookMalformed(event_id, event_type)
        return WebhookEvent(event_id=event_id, type=event_type, object=found)

    async def _call(self, what: str, request: Any) -> Any:
        try:
            return await request
        except stripe.StripeError as exc:
            raise _mapped(what, exc) from None


def _digest(*parts: str) -> str:
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:32]


def _mapped(what: str, exc: stripe.StripeError) -> StripeUnavailable | StripeRejected:
    """Stripe's error as billing's: worth retrying, or not."""
    log.warning(
        "stripe_call.failed",
        call=what,
        error=type(exc).__name__,
        status=exc.http_status,
        request_id=exc.request_id,
    )
    if isinstance(exc, _TRANSIENT):
        return StripeUnavailable(f"{what}: {type(exc).__name__}")
    if exc.http_status is None or exc.http_status in _RETRY_STATUSES:
        return StripeUnavailable(f"{what}: {exc.http_status}")
    return StripeRejected(f"{what}: {exc.http_status} {exc.code}", exc.http_status)
