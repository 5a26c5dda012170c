"""Every event version the system knows, by its routing key."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from orderflow.contracts.billing import (
    CreditNoteIssued,
    InvoiceIssued,
    PaymentCaptured,
    PaymentFailed,
    PaymentRefunded,
    PaymentRequested,
    ProductRegistered,
)
from orderflow.contracts.crm import (
    CustomerErased,
    CustomerUpserted,
    OrderConfirmationSent,
)
from orderflow.contracts.envelope import EventPayload
from orderflow.contracts.feedback import (
    ReviewReceived,
    ReviewRequested,
    TestimonialPublished,
)
from orderflow.contracts.fulfillment import (
    AccessRevoked,
    OrderFulfilled,
    ShipmentDelivered,
    ShipmentDispatched,
    ShipmentRequested,
)
from orderflow.contracts.orders import (
    OrderCancelled,
    OrderPlaced,
    OrderRefunded,
    OrderUpdated,
)
from orderflow.contracts.support import (
    ConversationClosed,
    ConversationStarted,
    SupportMessageReceived,
    SupportReplySent,
)

_PAYLOADS: tuple[type[EventPayload], ...] = (
    OrderPlaced,
    OrderUpdated,
    OrderCancelled,
    OrderRefunded,
    CustomerUpserted,
    OrderConfirmationSent,
    CustomerErased,
    ProductRegistered,
    PaymentRequested,
    PaymentCaptured,
    PaymentFailed,
    PaymentRefunded,
    InvoiceIssued,
    CreditNoteIssued,
    OrderFulfilled,
    ShipmentRequested,
    ShipmentDispatched,
    ShipmentDelivered,
    AccessRevoked,
    ReviewRequested,
    ReviewReceived,
    TestimonialPublished,
    ConversationStarted,
    SupportMessageReceived,
    SupportReplySent,
    ConversationClosed,
)

CATALOGUE: Mapping[str, type[EventPayload]] = MappingProxyType(
    {payload.routing_key(): payload for payload in _PAYLOADS}
)
"""Payload classes by routing key, e.g. `order.placed.v1`."""


class UnknownEventType(LookupError):
    """No payload class is known for a routing key.

    A permanent error: the message cannot be read until a contracts release
    that knows the key is deployed.
    """

    def __init__(self, routing_key: str) -> None:
        super().__init__(f"no event {routing_key!r} in the contracts catalogue")
        self.routing_key = routing_key


def payload_class(routing_key: str) -> type[EventPayload]:
    """The payload class of a routing key, or `UnknownEventType`."""
    try:
        return CATALOGUE[routing_key]
    except KeyError:
        raise UnknownEventType(routing_key) from None
