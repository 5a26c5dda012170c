"""Errors that tell the subscriber whether to retry or dead-letter.

    OrderflowError                 root of every error Orderflow raises
    ├── TransientError             worth another attempt later (network, locks,
    │   │                          an API's 5xx or 429, SMTP 4xx)
    │   └── OrderNotYetKnown       an event overtook the order it is about
    └── PermanentError             will fail the same way every time
        └── InvalidEvent           the envelope or payload does not validate

A service's own root error derives from one of the two branches, so each of
its errors says how it is to be handled. A pydantic `ValidationError` is
permanent. Any other exception outside this tree is treated as transient: a
later attempt, perhaps after a fix is deployed, may succeed, and the last tier
still ends in the dead-letter queue.
"""

from __future__ import annotations

from pydantic import ValidationError


class OrderflowError(Exception):
    """Root of every error raised by Orderflow code."""

    transient: bool = True


class TransientError(OrderflowError):
    """A failure that a later attempt may not meet."""

    transient = True


class OrderNotYetKnown(TransientError):
    """An event about an order arrived before the order itself.

    Services consume at their own pace, so a payment can overtake its order;
    the delay tiers bring the event back once the order is there.
    """

    def __init__(self, order_id: str) -> None:
        super().__init__(f"order {order_id} is not recorded yet")
        self.order_id = order_id


class PermanentError(OrderflowError):
    """A failure that every attempt would meet: a rule broken, bad data."""

    transient = False


class InvalidEvent(PermanentError):
    """The message is not a valid envelope of the subscribed event."""


def is_transient(error: BaseException) -> bool:
    """Whether a failed message deserves another attempt."""
    if isinstance(error, OrderflowError):
        return error.transient
    return not isinstance(error, ValidationError)
