"""What an order keeps once its customer is erased: everything but the person.

crm erases a customer on request and says so in `customer.erased.v1`. The
orders service then replaces the person in each of their orders with an
anonymous customer: no email, name, phone, company, VAT id or platform
customer id; addresses keep only their country, which tax and shipping
still need; the customer's note goes. Lines, figures, payment and status
stay, and so does every id Orderflow and the platform know the order by.

A delivery about an erased order that arrives later is read the same way
before the ledger sees it, so that the person does not come back.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from orderflow.contracts import Address, Customer, OrderPlaced, OrderUpdated
from orderflow.orders.domain.deliveries import Change, Delivery

ANONYMOUS = Customer()


def anonymised_order(order: OrderPlaced) -> OrderPlaced:
    """The order with its customer anonymous."""
    return order.model_copy(update=_without_the_person(order))


def anonymised_change(change: Change) -> Change:
    """The change without the person; only an update names them."""
    if not isinstance(change, OrderUpdated):
        return change
    return change.model_copy(update=_without_the_person(change))


def anonymised_delivery(delivery: Delivery) -> Delivery:
    """The delivery as it is kept about an erased order: no raw body either."""
    placed = delivery.placed
    return replace(
        delivery,
        body=b"",
        placed=anonymised_order(placed) if placed is not None else None,
        changes=tuple(anonymised_change(change) for change in delivery.changes),
    )


def _without_the_person(event: OrderPlaced | OrderUpdated) -> dict[str, Any]:
    """The fields that name the person, anonymised; a field left out stays out."""
    return {
        "customer": None if event.customer is None else ANONYMOUS,
        "billing_address": _country_only(event.billing_address),
        "shipping_address": _country_only(event.shipping_address),
        "note": None,
    }


def _country_only(address: Address | None) -> Address | None:
    return None if address is None else Address(country=address.country)
