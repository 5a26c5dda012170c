"""One valid payload of every catalogue entry, for documentation and tests.

The order is a German Shopify shop's: an e-book and two mugs, prices with
VAT included, paid at the platform. The customer and addresses are made up.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal
from types import MappingProxyType

from orderflow.contracts.billing import (
    CreditNoteIssued,
    DocumentTotals,
    InvoiceIssued,
    PaymentCaptured,
    PaymentFailed,
    PaymentMethod,
    PaymentRefunded,
    PaymentRequested,
    PaymentSource,
    ProductRegistered,
)
from orderflow.contracts.crm import (
    CustomerErased,
    CustomerUpserted,
    OrderConfirmationSent,
)
from orderflow.contracts.envelope import EventPayload, P
from orderflow.contracts.feedback import (
    ReviewReceived,
    ReviewRequested,
    TestimonialPublished,
)
from orderflow.contracts.fulfillment import (
    AccessRevoked,
    OrderFulfilled,
    RevocationReason,
    ShipmentDelivered,
    ShipmentDispatched,
    ShipmentLine,
    ShipmentRequested,
)
from orderflow.contracts.orders import (
    Discount,
    FinancialStatus,
    OrderCancelled,
    OrderLine,
    OrderPlaced,
    OrderRefunded,
    OrderTotals,
    OrderUpdated,
    RefundedLine,
    ShippingLine,
    TaxLine,
)
from orderflow.contracts.support import (
    ClosedBy,
    ConversationChannel,
    ConversationClosed,
    ConversationStarted,
    ReplyChannel,
    SupportMessageReceived,
    SupportReplySent,
)
from orderflow.contracts.values import (
    Address,
    Customer,
    LineKind,
    Platform,
    email_sha256,
)

SHOP = "shopify:example.myshopify.com"
ORDER = "0f8c2a4e-6f1b-4a7e-9d3c-2b5e8a1c7d90"
PLATFORM_ORDER = "5923488579643210001"
CUSTOMER = "c7d1e2f3-0a4b-4c5d-8e6f-7a8b9c0d1e2f"
EMAIL = "anna.beispiel@example.com"
PLACED_AT = datetime(2025, 3, 14, 9, 26, 53, tzinfo=UTC)
LATER = datetime(2025, 3, 14, 11, 0, tzinfo=UTC)
EUR = "EUR"

_VAT = Decimal("0.19")

_CUSTOMER = Customer(
    platform_customer_id="7012345678901234567",
    email=EMAIL,
    first_name="Anna",
    last_name="Beispiel",
    locale="de-DE",
    marketing_consent=False,
)

_ADDRESS = Address(
    name="Anna Beispiel",
    line1="Musterstrasse 1",
    postal_code="10115",
    city="Berlin",
    country="DE",
)

_EBOOK = OrderLine(
    line_id="14500000000000000001",
    sku="EBOOK-ASYNC",
    title="Async Python, the e-book",
    quantity=1,
    unit_price=Decimal("19.00"),
    taxes=(TaxLine(title="MwSt.", rate=_VAT, amount=Decimal("3.03")),),
    total=Decimal("19.00"),
    kind=LineKind.DIGITAL,
    product_id="8012345678901234567",
    variant_id="45012345678901234567",
)

_MUGS = OrderLine(
    line_id="14500000000000000002",
    sku="MUG-BLUE",
    title="Mug, blue",
    quantity=2,
    unit_price=Decimal("12.50"),
    discount=Decimal("2.50"),
    taxes=(TaxLine(title="MwSt.", rate=_VAT, amount=Decimal("3.59")),),
    total=Decimal("22.50"),
    kind=LineKind.PHYSICAL,
    product_id="8012345678901234568",
)

_TOTALS = OrderTotals(
    subtotal=Decimal("44.00"),
    discounts=Decimal("2.50"),
    shipping=Decimal("4.90"),
    tax=Decimal("7.40"),
    total=Decimal("46.40"),
    taxes_included=True,
)

_INVOICE_TOTALS = DocumentTotals(
    net=Decimal("39.00"), tax=Decimal("7.40"), gross=Decimal("46.40"), currency=EUR
)

_ORDERS: tuple[EventPayload, ...] = (
    OrderPlaced(
        shop_id=SHOP,
        order_id=ORDER,
        platform=Platform.SHOPIFY,
        platform_order_id=PLATFORM_ORDER,
        order_number="#1001",
        placed_at=PLACED_AT,
        currency=EUR,
        customer=_CUSTOMER,
        billing_address=_ADDRESS,
        shipping_address=_ADDRESS,
        lines=(_EBOOK, _MUGS),
        discounts=(Discount(code="MUG10", amount=Decimal("2.50")),),
        shipping_lines=(
            ShippingLine(
                title="DHL Paket",
                amount=Decimal("4.90"),
                taxes=(TaxLine(title="MwSt.", rate=_VAT, amount=Decimal("0.78")),),
            ),
        ),
        totals=_TOTALS,
        financial_status=FinancialStatus.PAID,
        paid=True,
        payment_gateway="shopify_payments",
        payment_reference="6123456789012345678",
        tags=("newsletter",),
    ),
    OrderUpdated(
        shop_id=SHOP,
        order_id=ORDER,
        platform_order_id=PLATFORM_ORDER,
        updated_at=LATER,
        note="Please ring twice.",
    ),
    OrderCancelled(
        shop_id=SHOP,
        order_id=ORDER,
        platform_order_id=PLATFORM_ORDER,
        cancelled_at=LATER,
        reason="customer",
    ),
    OrderRefunded(
        shop_id=SHOP,
        order_id=ORDER,
        platform_order_id=PLATFORM_ORDER,
        refund_id="9912345678901234567",
        refunded_at=LATER,
        amount=Decimal("19.00"),
        currency=EUR,
        lines=(RefundedLine(line_id=_EBOOK.line_id, quantity=1, amount=Decimal(19)),),
        reason="Bought twice",
        full=False,
    ),
)

_CRM: tuple[EventPayload, ...] = (
    CustomerUpserted(
        shop_id=SHOP,
        customer_id=CUSTOMER,
        created=True,
        customer=_CUSTOMER,
        order_id=ORDER,
    ),
    OrderConfirmationSent(
        shop_id=SHOP,
        order_id=ORDER,
        customer_id=CUSTOMER,
        message_id="<order-1001.confirmation@orderflow.example>",
    ),
    CustomerErased(
        shop_id=SHOP,
        customer_id=CUSTOMER,
        platform_customer_id=_CUSTOMER.platform_customer_id,
        email_sha256=email_sha256(EMAIL),
    ),
)

_BILLING: tuple[EventPayload, ...] = (
    ProductRegistered(
        shop_id=SHOP,
        product_id="prod-ebook-async",
        sku=_EBOOK.sku,
        title=_EBOOK.title,
        kind=LineKind.DIGITAL,
        platform_product_id=_EBOOK.product_id,
        platform_variant_id=_EBOOK.variant_id,
    ),
    PaymentRequested(
        shop_id=SHOP,
        order_id=ORDER,
        payment_id="pay-1001",
        amount=_TOTALS.total,
        currency=EUR,
        method=PaymentMethod.BANK_TRANSFER,
        reference="ORDER 1001",
        due_at=datetime(2025, 3, 28, tzinfo=UTC),
    ),
    PaymentCaptured(
        shop_id=SHOP,
        order_id=ORDER,
        payment_id="pay-1001",
        amount=_TOTALS.total,
        currency=EUR,
        captured_at=PLACED_AT,
        source=PaymentSource.PLATFORM,
        gateway="shopify_payments",
        reference="6123456789012345678",
    ),
    PaymentFailed(
        shop_id=SHOP,
        order_id=ORDER,
        payment_id="pay-1001",
        amount=_TOTALS.total,
        currency=EUR,
        failed_at=LATER,
        reason="The card was declined.",
        code="card_declined",
    ),
    PaymentRefunded(
        shop_id=SHOP,
        order_id=ORDER,
        payment_id="pay-1001",
        refund_id="re_3Nf1example",
        amount=Decimal("19.00"),
        currency=EUR,
        refunded_at=LATER,
        full=False,
    ),
    InvoiceIssued(
        shop_id=SHOP,
        order_id=ORDER,
        invoice_id="inv-2025-0042",
        invoice_number="2025-0042",
        series="2025",
        issued_at=PLACED_AT,
        totals=_INVOICE_TOTALS,
        pdf_url="/invoices/2025-0042.pdf",
        customer_email=EMAIL,
    ),
    CreditNoteIssued(
        shop_id=SHOP,
        order_id=ORDER,
        credit_note_id="cn-2025-0007",
        credit_note_number="CN-2025-0007",
        series="CN-2025",
        invoice_number="2025-0042",
        issued_at=LATER,
        totals=DocumentTotals(
            net=Decimal("15.97"),
            tax=Decimal("3.03"),
            gross=Decimal("19.00"),
            currency=EUR,
        ),
        refund_id="9912345678901234567",
        pdf_url="/credit-notes/CN-2025-0007.pdf",
        customer_email=EMAIL,
    ),
)

_FULFILLMENT: tuple[EventPayload, ...] = (
    OrderFulfilled(
        shop_id=SHOP,
        order_id=ORDER,
        line_ids=(_EBOOK.line_id, _MUGS.line_id),
        awaiting_delivery=True,
    ),
    ShipmentRequested(
        shop_id=SHOP,
        order_id=ORDER,
        shipment_id="ship-1001-1",
        lines=(ShipmentLine(line_id=_MUGS.line_id, sku=_MUGS.sku, quantity=2),),
        destination_country="DE",
        carrier="dhl",
    ),
    ShipmentDispatched(
        shop_id=SHOP,
        order_id=ORDER,
        shipment_id="ship-1001-1",
        dispatched_at=LATER,
        carrier="dhl",
        tracking_number="00340434161234567890",
    ),
    ShipmentDelivered(
        shop_id=SHOP,
        order_id=ORDER,
        shipment_id="ship-1001-1",
        delivered_at=datetime(2025, 3, 16, 10, 12, tzinfo=UTC),
    ),
    AccessRevoked(
        shop_id=SHOP,
        order_id=ORDER,
        line_ids=(_EBOOK.line_id,),
        reason=RevocationReason.REFUNDED,
    ),
)

_FEEDBACK: tuple[EventPayload, ...] = (
    ReviewRequested(
        shop_id=SHOP, order_id=ORDER, request_id="rr-1001", customer_id=CUSTOMER
    ),
    ReviewReceived(
        shop_id=SHOP,
        order_id=ORDER,
        review_id="rev-1001",
        request_id="rr-1001",
        rating=5,
        line_id=_MUGS.line_id,
        sku=_MUGS.sku,
    ),
    TestimonialPublished(
        shop_id=SHOP,
        order_id=ORDER,
        testimonial_id="tm-17",
        review_id="rev-1001",
        rating=5,
        quote="The mugs keep my coffee warm through a whole code review.",
        author_name="Anna B.",
    ),
)

_SUPPORT: tuple[EventPayload, ...] = (
    ConversationStarted(
        shop_id=SHOP,
        conversation_id="conv-311",
        channel=ConversationChannel.WEB_CHAT,
        customer_id=CUSTOMER,
        order_id=ORDER,
    ),
    SupportMessageReceived(shop_id=SHOP, conversation_id="conv-311", message_id="m-1"),
    SupportReplySent(
        shop_id=SHOP,
        conversation_id="conv-311",
        message_id="m-2",
        via=ReplyChannel.SLACK,
        agent_id="U024BE7LH",
    ),
    ConversationClosed(
        shop_id=SHOP, conversation_id="conv-311", closed_by=ClosedBy.AGENT
    ),
)

EXAMPLES: Mapping[str, EventPayload] = MappingProxyType(
    {
        example.routing_key(): example
        for example in _ORDERS + _CRM + _BILLING + _FULFILLMENT + _FEEDBACK + _SUPPORT
    }
)
"""An example payload by routing key, one for every entry of the catalogue."""


def example(payload: type[P]) -> P:
    """The example of one event type, typed as that type."""
    found = EXAMPLES[payload.routing_key()]
    if not isinstance(found, payload):
        raise TypeError(f"the example of {payload.routing_key()} is not a {payload}")
    return found
