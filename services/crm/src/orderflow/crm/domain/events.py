"""Events crm sends to itself; no other service subscribes to them.

They travel on the shared exchange like any other event so that the step
they start gets the backbone's inbox, retries and dead letters, but they are
not part of the contracts and may change with crm.
"""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field

from orderflow.contracts import Identifier, OrderEvent, ShopEvent


class OrderConfirmationRecorded(OrderEvent):
    """An order's confirmation email is rendered, stored and waits to be sent."""

    event_type: ClassVar[str] = "crm.order_confirmation_recorded"
    version: ClassVar[int] = 1

    customer_id: Identifier


class ContactSyncRequested(ShopEvent):
    """A customer changed; their contact in one external CRM is out of date.

    One event per configured CRM, so that an outage or a refusal of one CRM
    is retried or dead-lettered without holding up the others.
    """

    event_type: ClassVar[str] = "crm.contact_sync_requested"
    version: ClassVar[int] = 1

    customer_id: Identifier
    crm: str = Field(description="The CRM's name: hubspot, salesforce or zoho.")


class ContactErasureRequested(ShopEvent):
    """A customer was erased; their contact in one external CRM is to go too."""

    event_type: ClassVar[str] = "crm.contact_erasure_requested"
    version: ClassVar[int] = 1

    customer_id: Identifier
    crm: str = Field(description="The CRM's name: hubspot, salesforce or zoho.")
