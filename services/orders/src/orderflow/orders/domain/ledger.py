"""The rules that make each real order exactly one `order.placed`.

A batch of deliveries is settled against what the store already knows about
their orders: which deliveries were seen, which orders exist, which changes
wait for an order that has not arrived. The ledger decides, in the batch's
order, what each delivery does and which events it emits:

- a delivery id seen before is a duplicate; so is a second placement of an
  order, whatever its delivery id;
- a delivery that neither places nor changes an order (a refund that moved
  no money, say) is noted: kept as it came, with no event;
- a change to an order not yet placed waits, and is applied when the order
  arrives, in the order the platform stamped the changes;
- an update no newer than the last one applied is stale, and one that
  changes nothing emits nothing; a refund is applied once per refund id, a
  cancellation once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from orderflow.contracts import (
    OrderCancelled,
    OrderPlaced,
    OrderRefunded,
    OrderUpdated,
)
from orderflow.orders.domain.deliveries import Change, Delivery, OrderKey, stamp_of

_IDENTITY = {"shop_id", "order_id", "platform_order_id"}
_UPDATABLE = tuple(
    name
    for name in OrderUpdated.model_fields
    if name in OrderPlaced.model_fields and name not in _IDENTITY
)


class Outcome(StrEnum):
    """What a delivery did."""

    PLACED = "placed"
    APPLIED = "applied"
    PENDING = "pending"
    NOTED = "noted"
    DUPLICATE = "duplicate"
    STALE = "stale"


class OrderStatus(StrEnum):
    PLACED = "placed"
    CANCELLED = "cancelled"
    PARTIALLY_REFUNDED = "partially_refunded"
    REFUNDED = "refunded"


@dataclass
class OrderState:
    """An order as the store keeps it: the current figures and what happened."""

    order: OrderPlaced
    status: OrderStatus = OrderStatus.PLACED
    refunded: Decimal = Decimal(0)
    refund_ids: set[str] = field(default_factory=set)
    updated_at: datetime | None = None
    is_new: bool = False
    changed: bool = False


@dataclass(frozen=True)
class PendingChange:
    """A change that waits for its order; `row_id` is set once it is stored."""

    change: Change
    delivery_id: str
    row_id: int | None = None
    position: int | None = None


class Ledger:
    """Settles one batch of deliveries; read its results after `settle`."""

    def __init__(
        self,
        orders: dict[OrderKey, OrderState],
        pending: dict[OrderKey, list[PendingChange]],
        seen: set[tuple[str, str]],
    ) -> None:
        self.orders = orders
        self.pending = pending
        self.seen = seen
        self.events: list[OrderPlaced | Change] = []
        self.outcomes: list[Outcome] = []
        self.settled_rows: list[int] = []

    def settle(self, deliveries: list[Delivery]) -> list[Outcome]:
        """Decide every delivery in turn; return what each one did."""
        self.outcomes = []
        for position, delivery in enumerate(deliveries):
            self.outcomes.append(self._settle_one(position, delivery))
        return self.outcomes

    @property
    def new_pending(self) -> list[PendingChange]:
        """Changes of this batch that still wait for their order."""
        return [
            pending
            for waiting in self.pending.values()
            for pending in waiting
            if pending.row_id is None
        ]

    def _settle_one(self, position: int, delivery: Delivery) -> Outcome:
        seen_key = (delivery.platform.value, delivery.delivery_id)
        if seen_key in self.seen:
            return Outcome.DUPLICATE
        self.seen.add(seen_key)
        if delivery.placed is not None:
            return self._place(delivery)
        if not delivery.changes:
            return Outcome.NOTED
        state = self.orders.get(delivery.key)
        if state is None:
            self._defer(position, delivery)
            return Outcome.PENDING
        applied = [self._apply(state, change) for change in delivery.changes]
        return _combined(applied)

    def _place(self, delivery: Delivery) -> Outcome:
        key, order = delivery.key, delivery.placed
        if key in self.orders or order is None:
            return Outcome.DUPLICATE
        state = OrderState(
            order=order, updated_at=delivery.placed_as_of, is_new=True, changed=True
        )
        self.orders[key] = state
        self.events.append(order)
        waiting = sorted(self.pending.pop(key, []), key=lambda p: stamp_of(p.change))
        applied: dict[int, list[Outcome]] = {}
        for pending in waiting:
            outcome = self._apply(state, pending.change)
            if pending.row_id is not None:
                self.settled_rows.append(pending.row_id)
            if pending.position is not None:
                applied.setdefault(pending.position, []).append(outcome)
        for position, outcomes in applied.items():
            self.outcomes[position] = _combined(outcomes)
        return Outcome.PLACED

    def _defer(self, position: int, delivery: Delivery) -> None:
        waiting = self.pending.setdefault(delivery.key, [])
        for change in delivery.changes:
            waiting.append(
                PendingChange(change, delivery.delivery_id, position=position)
            )

    def _apply(self, state: OrderState, change: Change) -> Outcome:
        if isinstance(change, OrderUpdated):
            return self._update(state, change)
        if isinstance(change, OrderCancelled):
            return self._cancel(state, change)
        return self._refund(state, change)

    def _update(self, state: OrderState, update: OrderUpdated) -> Outcome:
        if state.updated_at is not None and update.updated_at <= state.updated_at:
            return Outcome.STALE
        state.updated_at = update.updated_at
        state.changed = True
        differences = _differences(state.order, update)
        if not differences:
            return Outcome.DUPLICATE
        state.order = state.order.model_copy(update=differences)
        self.events.append(_only(update, differences))
        return Outcome.APPLIED

    def _cancel(self, state: OrderState, cancel: OrderCancelled) -> Outcome:
        if state.status is OrderStatus.CANCELLED:
            return Outcome.DUPLICATE
        state.status = OrderStatus.CANCELLED
        state.changed = True
        self.events.append(cancel)
        return Outcome.APPLIED

    def _refund(self, state: OrderState, refund: OrderRefunded) -> Outcome:
        if refund.refund_id in state.refund_ids:
            return Outcome.DUPLICATE
        state.refund_ids.add(refund.refund_id)
        state.refunded += refund.amount
        full = state.refunded >= state.order.totals.total
        if state.status is not OrderStatus.CANCELLED:
            state.status = (
                OrderStatus.REFUNDED if full else OrderStatus.PARTIALLY_REFUNDED
            )
        state.changed = True
        self.events.append(refund.model_copy(update={"full": full}))
        return Outcome.APPLIED


def _differences(order: OrderPlaced, update: OrderUpdated) -> dict[str, Any]:
    """The fields the update sets to something the order does not have yet."""
    differences = {}
    for name in _UPDATABLE:
        value = getattr(update, name)
        if value is not None and value != getattr(order, name):
            differences[name] = value
    return differences


def _only(update: OrderUpdated, differences: dict[str, Any]) -> OrderUpdated:
    unchanged = {name: None for name in _UPDATABLE if name not in differences}
    return update.model_copy(update=unchanged)


def _combined(outcomes: list[Outcome]) -> Outcome:
    if Outcome.APPLIED in outcomes:
        return Outcome.APPLIED
    if outcomes and all(outcome is Outcome.STALE for outcome in outcomes):
        return Outcome.STALE
    return Outcome.DUPLICATE
