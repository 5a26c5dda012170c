"""Events crm sends to itself; no other service subscribes to them.

They travel on the shared exchange like any other event so that the step
they start gets the backbone's inbox, retries and dead letters, but they are
not part of the contracts and may change with crm.
"""

from __future__ import annotations

from typing import ClassVar

from orderflow.contracts import Identifier, OrderEvent


class OrderConfirmationRecorded(OrderEvent):
    """An order's confirmation email is rendered, stored and waits to be sent."""

    event_type: ClassVar[str] = "crm.order_confirmation_recorded"
    version: ClassVar[int] = 1

    customer_id: Identifier
