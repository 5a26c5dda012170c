"""Step 2, crm: the customer record and the order confirmation."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field

from orderflow.contracts.values import (
    Customer,
    EmailHash,
    Identifier,
    OrderEvent,
    ShopEvent,
)


class CustomerUpserted(ShopEvent):
    """crm created a customer record or brought one up to date."""

    event_type: ClassVar[str] = "customer.upserted"
    version: ClassVar[int] = 1

    customer_id: Identifier = Field(description="crm's id of the customer.")
    created: bool = Field(description="True for a new customer, false for an update.")
    customer: Customer
    order_id: Identifier | None = Field(
        default=None, description="The order that brought the change, if any."
    )


class OrderConfirmationSent(OrderEvent):
    """The customer was sent the confirmation of an order."""

    event_type: ClassVar[str] = "order.confirmation_sent"
    version: ClassVar[int] = 1

    customer_id: Identifier
    message_id: str = Field(description="The Message-ID header of the email.")


class CustomerErased(ShopEvent):
    """A customer's personal data was erased; every service erases its copy.

    The event names the customer by ids and by the hash of the email address
    (see `email_sha256`), never by the address itself.
    """

    event_type: ClassVar[str] = "customer.erased"
    version: ClassVar[int] = 1

    customer_id: Identifier
    platform_customer_id: Identifier | None = None
    email_sha256: EmailHash | None = Field(
        default=None, description="None when the customer had no email address."
    )
