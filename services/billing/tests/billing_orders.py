"""Orders and events the billing tests send, one per VAT case."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from orderflow.contracts import (
    Address,
    Customer,
    FinancialStatus,
    LineKind,
    OrderLine,
    OrderPlaced,
    OrderTotals,
    Platform,
    ShippingLine,
)

SHOP = "shopify:example.myshopify.com"
PLACED_AT = datetime(2025, 3, 14, 9, 30, tzinfo=UTC)
VALID_FR_VAT_ID = "FR40303265045"


def order_placed(
    *,
    country: str = "DE",
    vat_id: str | None = None,
    company: str | None = None,
    paid: bool = True,
    locale: str = "de-DE",
    taxes_included: bool = True,
    **overrides: Any,
) -> OrderPlaced:
    """An e-book and two mugs with shipping; figures as a German shop reports them."""
    ebook = OrderLine(
        line_id="line-1",
        sku="EBOOK-ASYNC",
        title="Async Python, the e-book",
        quantity=1,
        unit_price=Decimal("19.00"),
        total=Decimal("19.00"),
        kind=LineKind.DIGITAL,
    )
    mugs = OrderLine(
        line_id="line-2",
        sku="MUG-BLUE",
        title="Mug, blue",
        quantity=2,
        unit_price=Decimal("12.50"),
        discount=Decimal("2.50"),
        total=Decimal("22.50"),
        kind=LineKind.PHYSICAL,
    )
    values: dict[str, Any] = {
        "shop_id": SHOP,
        "order_id": str(uuid.uuid4()),
        "platform": Platform.SHOPIFY,
        "platform_order_id": str(uuid.uuid4().int)[:18],
        "order_number": "#1001",
        "placed_at": PLACED_AT,
        "currency": "EUR",
        "customer": Customer(
            email="anna@example.com",
            first_name="Anna",
            last_name="Beispiel",
            company=company,
            vat_id=vat_id,
            locale=locale,
        ),
        "billing_address": Address(
            name="Anna Beispiel",
            company=company,
            line1="Hauptstrasse 5",
            postal_code="75001",
            city="Paris" if country == "FR" else "Berlin",
            country=country,
        ),
        "lines": (ebook, mugs),
        "shipping_lines": (ShippingLine(title="DHL Paket", amount=Decimal("4.90")),),
        "totals": OrderTotals(
            subtotal=Decimal("44.00"),
            discounts=Decimal("2.50"),
            shipping=Decimal("4.90"),
            tax=Decimal("7.40"),
            total=Decimal("46.40"),
            taxes_included=taxes_included,
        ),
        "financial_status": FinancialStatus.PAID if paid else FinancialStatus.PENDING,
        "paid": paid,
        "payment_gateway": "shopify_payments" if paid else None,
        "payment_reference": "pay-1" if paid else None,
    }
    return OrderPlaced(**(values | overrides))
