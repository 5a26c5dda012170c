"""The catalogue holds every event of the design, one class per routing key."""

import pytest

from orderflow.contracts import CATALOGUE, EventPayload, UnknownEventType, payload_class
from orderflow.contracts.examples import EXAMPLES

DESIGNED_EVENT_TYPES = {
    "order.placed",
    "order.updated",
    "order.cancelled",
    "order.refunded",
    "customer.upserted",
    "order.confirmation_sent",
    "customer.erased",
    "product.registered",
    "payment.requested",
    "payment.captured",
    "payment.failed",
    "payment.refunded",
    "invoice.issued",
    "credit_note.issued",
    "order.fulfilled",
    "shipment.requested",
    "shipment.dispatched",
    "shipment.delivered",
    "access.revoked",
    "review.requested",
    "review.received",
    "testimonial.published",
    "conversation.started",
    "support.message_received",
    "support.reply_sent",
    "conversation.closed",
}


def _concrete_payloads(base: type[EventPayload]) -> set[type[EventPayload]]:
    found = set()
    for subclass in base.__subclasses__():
        if getattr(subclass, "event_type", None) is not None:
            found.add(subclass)
        found |= _concrete_payloads(subclass)
    return found


def test_catalogue_has_version_1_of_every_designed_event() -> None:
    assert set(CATALOGUE) == {f"{kind}.v1" for kind in DESIGNED_EVENT_TYPES}


def test_catalogue_keys_are_the_classes_routing_keys() -> None:
    for routing_key, payload in CATALOGUE.items():
        assert payload.routing_key() == routing_key


def test_every_payload_class_in_the_package_is_in_the_catalogue() -> None:
    contract_classes = {
        payload
        for payload in _concrete_payloads(EventPayload)
        if payload.__module__.startswith("orderflow.contracts.")
    }

    assert contract_classes == set(CATALOGUE.values())


def test_payload_class_finds_the_class_of_a_routing_key() -> None:
    assert payload_class("invoice.issued.v1").__name__ == "InvoiceIssued"


def test_unknown_routing_key_raises_unknown_event_type_naming_it() -> None:
    with pytest.raises(UnknownEventType, match=r"order\.placed\.v9") as raised:
        payload_class("order.placed.v9")

    assert raised.value.routing_key == "order.placed.v9"


def test_every_catalogue_entry_has_an_example() -> None:
    assert set(EXAMPLES) == set(CATALOGUE)
    for routing_key, example in EXAMPLES.items():
        assert isinstance(example, CATALOGUE[routing_key])
