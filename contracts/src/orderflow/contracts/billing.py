"""Steps 2 and 4, billing: products, payments, invoices and credit notes.

Amounts are magnitudes: a refund or a credit note says by its type that the
money goes back to the customer.
"""

from __future__ import annotations

from enum import StrEnum
from typing import ClassVar, Self

from pydantic import AwareDatetime, Field, model_validator

from orderflow.contracts.money import Amount, Currency
from orderflow.contracts.values import (
    EmailAddress,
    Identifier,
    LineKind,
    OrderEvent,
    ShopEvent,
    ValueModel,
)


class PaymentMethod(StrEnum):
    """How billing asks the customer to pay."""

    CARD = "card"
    BANK_TRANSFER = "bank_transfer"


class PaymentSource(StrEnum):
    """Who took the money."""

    PLATFORM = "platform"
    STRIPE = "stripe"
    BANK_TRANSFER = "bank_transfer"


class DocumentTotals(ValueModel):
    """The sums of an invoice or credit note: gross is net plus tax."""

    net: Amount
    tax: Amount
    gross: Amount
    currency: Currency

    @model_validator(mode="after")
    def _gross_is_net_plus_tax(self) -> Self:
        if self.net + self.tax != self.gross:
            raise ValueError("gross must equal net plus tax")
        return self


class ProductRegistered(ShopEvent):
    """billing registered a product it had not seen before."""

    event_type: ClassVar[str] = "product.registered"
    version: ClassVar[int] = 1

    product_id: Identifier = Field(description="billing's id of the product.")
    sku: str | None = None
    title: str
    kind: LineKind
    platform_product_id: Identifier | None = None
    platform_variant_id: Identifier | None = None
    gateway_product_id: Identifier | None = Field(
        default=None,
        description="The payment provider's product id (Stripe's prod_...); "
        "None when no provider is configured.",
    )


class PaymentRequested(OrderEvent):
    """billing asked the customer to pay an order the platform did not collect."""

    event_type: ClassVar[str] = "payment.requested"
    version: ClassVar[int] = 1

    payment_id: Identifier = Field(description="billing's id of the payment.")
    amount: Amount
    currency: Currency
    method: PaymentMethod
    reference: str = Field(
        description="What the customer quotes on a bank transfer, or the "
        "provider's checkout session id."
    )
    payment_url: str | None = Field(
        default=None, description="Where the customer pays by card."
    )
    due_at: AwareDatetime | None = None


class PaymentCaptured(OrderEvent):
    """The order's money was taken, at the platform or by billing."""

    event_type: ClassVar[str] = "payment.captured"
    version: ClassVar[int] = 1

    payment_id: Identifier = Field(description="billing's id of the payment.")
    amount: Amount
    currency: Currency
    captured_at: AwareDatetime
    source: PaymentSource
    gateway: str | None = Field(
        default=None, description="The gateway as the platform names it."
    )
    reference: str | None = Field(
        default=None,
        description="The provider's id of the charge, e.g. a Stripe PaymentIntent.",
    )


class PaymentFailed(OrderEvent):
    """A payment billing asked for did not go through."""

    event_type: ClassVar[str] = "payment.failed"
    version: ClassVar[int] = 1

    payment_id: Identifier
    amount: Amount
    currency: Currency
    failed_at: AwareDatetime
    reason: str = Field(description="Why, in words fit for a log: no card data.")
    code: str | None = Field(
        default=None, description="The provider's code, e.g. card_declined."
    )


class PaymentRefunded(OrderEvent):
    """billing returned money it had taken for an order."""

    event_type: ClassVar[str] = "payment.refunded"
    version: ClassVar[int] = 1

    payment_id: Identifier
    refund_id: Identifier = Field(description="The provider's id of the refund.")
    amount: Amount
    currency: Currency
    refunded_at: AwareDatetime
    reason: str | None = None
    full: bool = Field(description="True when the whole payment is refunded.")


class InvoiceIssued(OrderEvent):
    """billing issued the invoice of an order; it never changes afterwards."""

    event_type: ClassVar[str] = "invoice.issued"
    version: ClassVar[int] = 1

    invoice_id: Identifier
    invoice_number: str = Field(description="The number printed on the invoice.")
    series: str = Field(description="The number series the invoice belongs to.")
    issued_at: AwareDatetime
    totals: DocumentTotals
    pdf_url: str = Field(description="Where billing serves the PDF.")
    customer_email: EmailAddress | None = Field(
        default=None, description="Where the invoice goes; None without one."
    )
    totals_disagree: bool = Field(
        default=False,
        description="True when the platform's total or tax differs from the "
        "invoice's, which billing computed line by line.",
    )


class CreditNoteIssued(OrderEvent):
    """billing issued a credit note that cancels an invoice in whole or part."""

    event_type: ClassVar[str] = "credit_note.issued"
    version: ClassVar[int] = 1

    credit_note_id: Identifier
    credit_note_number: str
    series: str
    invoice_number: str = Field(description="The number of the invoice credited.")
    issued_at: AwareDatetime
    totals: DocumentTotals
    refund_id: Identifier | None = Field(
        default=None, description="The refund that led to it, if any."
    )
    reason: str | None = None
    pdf_url: str
    customer_email: EmailAddress | None = None
