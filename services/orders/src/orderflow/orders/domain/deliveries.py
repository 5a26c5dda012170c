"""What one webhook or API call brings: an order, or changes to one.

Orderflow's id of an order is derived from the shop and the platform's order
id (a name-based UUID), so every delivery about an order knows the order's id
before the order itself has arrived, and two replicas that take the same
order at once choose the same id.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from uuid import UUID, uuid5

from orderflow.contracts import (
    OrderCancelled,
    OrderPlaced,
    OrderRefunded,
    OrderUpdated,
    Platform,
)

_ORDER_IDS = UUID("6f1d3c52-3f0e-4c1e-9a51-0c9e2b7d4a10")

Change = OrderUpdated | OrderCancelled | OrderRefunded
Normalise = Callable[[Mapping[str, str], bytes, datetime], "Delivery | None"]
"""A platform's reader: headers, raw body and time of receipt to a delivery."""


@dataclass(frozen=True, order=True)
class OrderKey:
    """An order as the platform knows it: its shop and its own order id."""

    shop_id: str
    platform_order_id: str

    @cached_property
    def order_id(self) -> str:
        """Orderflow's id of the order."""
        return str(uuid5(_ORDER_IDS, f"{self.shop_id}\n{self.platform_order_id}"))


@dataclass(frozen=True)
class Delivery:
    """One accepted delivery, normalised; it places an order or changes one."""

    platform: Platform
    delivery_id: str
    topic: str
    key: OrderKey
    body: bytes
    placed: OrderPlaced | None = None
    changes: tuple[Change, ...] = ()
    placed_as_of: datetime | None = None
    """The platform's stamp of the placed order's figures, when it has one.

    An update no newer than this is already in the figures and is stale.
    """

    @property
    def order_id(self) -> str:
        return self.key.order_id


def stamp_of(change: Change) -> datetime:
    """When the platform says the change happened; changes apply in this order."""
    if isinstance(change, OrderUpdated):
        return change.updated_at
    if isinstance(change, OrderCancelled):
        return change.cancelled_at
    return change.refunded_at
