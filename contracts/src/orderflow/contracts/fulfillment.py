"""Step 3, fulfillment: digital delivery, shipments, and access taken back."""

from __future__ import annotations

from enum import StrEnum
from typing import ClassVar

from pydantic import AwareDatetime, Field

from orderflow.contracts.values import (
    CountryCode,
    Identifier,
    OrderEvent,
    Quantity,
    ValueModel,
)


class RevocationReason(StrEnum):
    """Why access to digital goods was taken back."""

    REFUNDED = "refunded"
    CANCELLED = "cancelled"
    MANUAL = "manual"


class ShipmentLine(ValueModel):
    """How many units of an order line go into a shipment."""

    line_id: Identifier
    sku: str | None = None
    quantity: Quantity


class OrderFulfilled(OrderEvent):
    """Every line of the order was delivered or handed to a carrier."""

    event_type: ClassVar[str] = "order.fulfilled"
    version: ClassVar[int] = 1

    line_ids: tuple[Identifier, ...] = Field(min_length=1)
    awaiting_delivery: bool = Field(
        description="True while parcels are on their way: the customer has "
        "the goods only once shipment.delivered follows."
    )


class ShipmentRequested(OrderEvent):
    """fulfillment asked for physical goods to be packed and sent."""

    event_type: ClassVar[str] = "shipment.requested"
    version: ClassVar[int] = 1

    shipment_id: Identifier
    lines: tuple[ShipmentLine, ...] = Field(min_length=1)
    destination_country: CountryCode
    carrier: str | None = None


class ShipmentDispatched(OrderEvent):
    """A carrier took the parcel."""

    event_type: ClassVar[str] = "shipment.dispatched"
    version: ClassVar[int] = 1

    shipment_id: Identifier
    dispatched_at: AwareDatetime
    carrier: str | None = None
    tracking_number: str | None = None
    tracking_url: str | None = None


class ShipmentDelivered(OrderEvent):
    """The carrier delivered the parcel."""

    event_type: ClassVar[str] = "shipment.delivered"
    version: ClassVar[int] = 1

    shipment_id: Identifier
    delivered_at: AwareDatetime


class AccessRevoked(OrderEvent):
    """The customer's access to digital goods of the order was taken back."""

    event_type: ClassVar[str] = "access.revoked"
    version: ClassVar[int] = 1

    line_ids: tuple[Identifier, ...] = Field(min_length=1)
    reason: RevocationReason
