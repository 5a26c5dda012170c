"""The errors of the billing service, each transient or permanent.

BillingError                   root; carries ids only, never personal data
├── OrderNotRecorded           transient: an event about an order whose
│                              order.placed has not been handled yet
├── InvoiceNotIssued           transient: a refund before its invoice
├── RenderingFailed            transient: the render pool broke midway
├── StripeUnavailable          transient: network, 409, 429 or 5xx from Stripe
├── StripeRejected             permanent: Stripe refused the request (4xx)
├── WebhookNotVerified         permanent: a webhook whose signature fails
├── WebhookMalformed           permanent: a signed event without the fields
│                              Stripe documents for its type
├── RefundNotValid             permanent: a refund in another currency, or of
│                              more than the payment has left
└── VatRateUnknown             permanent: no VAT rate for a country and day
"""

from __future__ import annotations

from datetime import date

from orderflow.backbone.errors import OrderflowError, PermanentError, TransientError


class BillingError(OrderflowError):
    """Root of billing's errors."""


class OrderNotRecorded(BillingError, TransientError):
    def __init__(self, order_id: str) -> None:
        super().__init__(f"order {order_id} is not recorded yet")
        self.order_id = order_id


class InvoiceNotIssued(BillingError, TransientError):
    def __init__(self, order_id: str) -> None:
        super().__init__(f"order {order_id} has no invoice yet")
        self.order_id = order_id


class RenderingFailed(BillingError, TransientError):
    def __init__(self, number: str) -> None:
        super().__init__(f"rendering {number} failed: the worker pool broke")
        self.number = number


class StripeUnavailable(BillingError, TransientError):
    """Stripe did not answer, or answered 409, 429 or 5xx."""


class StripeRejected(BillingError, PermanentError):
    """Stripe refused the request; sending it again would not help."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class WebhookNotVerified(BillingError, PermanentError):
    """The webhook's signature does not match the configured secret."""


class WebhookMalformed(BillingError, PermanentError):
    """A verified Stripe event that lacks a field billing reads."""

    def __init__(self, event_id: str, event_type: str) -> None:
        super().__init__(f"Stripe event {event_id} ({event_type}) is malformed")
        self.event_id = event_id
        self.event_type = event_type


class RefundNotValid(BillingError, PermanentError):
    """A refund that the order's payment cannot carry."""

    def __init__(self, order_id: str, refund_id: str, why: str) -> None:
        super().__init__(f"refund {refund_id} of order {order_id}: {why}")
        self.order_id = order_id
        self.refund_id = refund_id


class VatRateUnknown(BillingError, PermanentError, LookupError):
    """No standard VAT rate is known for the country on that day."""

    def __init__(self, country: str, day: date) -> None:
        super().__init__(f"no standard VAT rate for {country} on {day}")
        self.country = country
        self.day = day
