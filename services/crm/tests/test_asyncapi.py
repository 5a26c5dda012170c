"""crm's AsyncAPI document names every event it sends and receives."""

from __future__ import annotations

from crm_harness import CrmHarness

from orderflow.backbone.asyncapi import asyncapi_document

SENT = (
    "customer.upserted.v1",
    "order.confirmation_sent.v1",
    "customer.erased.v1",
    "crm.order_confirmation_recorded.v1",
    "crm.contact_sync_requested.v1",
    "crm.contact_erasure_requested.v1",
)
RECEIVED = (
    "order.placed.v1",
    "order.updated.v1",
    "order.refunded.v1",
    "order.cancelled.v1",
    "customer.upserted.v1",
    "customer.erased.v1",
    "crm.order_confirmation_recorded.v1",
    "crm.contact_sync_requested.v1",
    "crm.contact_erasure_requested.v1",
)


def test_asyncapi_names_what_crm_sends_and_receives(crm: CrmHarness) -> None:
    document = asyncapi_document(crm.service())

    operations = set(document["operations"])
    assert {f"send {key}" for key in SENT} == {
        name for name in operations if name.startswith("send ")
    }
    assert {f"receive {key}" for key in RECEIVED} == {
        name for name in operations if name.startswith("receive ")
    }
