"""Who a customer is: one per shop and normalised email address."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from orderflow.contracts import Customer


def normalise_email(email: str) -> str:
    """The form addresses are compared in; `email_sha256` hashes the same form."""
    return email.strip().lower()


def identity_key(customer: Customer) -> str | None:
    """What makes two orders the same customer's, or None for an anonymous one.

    The email address decides; without one, the platform's customer id does.
    """
    if customer.email:
        return "email:" + normalise_email(customer.email)
    if customer.platform_customer_id:
        return "platform:" + customer.platform_customer_id
    return None


@dataclass(frozen=True)
class CustomerRecord:
    """A customer as the crm store holds them."""

    customer_id: str
    shop_id: str
    customer: Customer


@dataclass(frozen=True)
class CustomerUpsert:
    """The outcome of recording a customer from an order."""

    record: CustomerRecord
    created: bool


@dataclass(frozen=True)
class PastOrder:
    """One order in a customer's history, as it counts towards their value."""

    order_id: str
    order_number: str
    placed_at: datetime
    currency: str
    total: Decimal
    refunded: Decimal
    cancelled: bool


@dataclass(frozen=True)
class CustomerHistory:
    """A customer's orders so far and what they spent, per currency."""

    orders: tuple[PastOrder, ...]

    @property
    def lifetime_value(self) -> dict[str, Decimal]:
        """What was paid less refunds, without cancelled orders, per currency."""
        value: dict[str, Decimal] = {}
        for order in self.orders:
            kept = Decimal(0) if order.cancelled else order.total - order.refunded
            value[order.currency] = value.get(order.currency, Decimal(0)) + kept
        return value
