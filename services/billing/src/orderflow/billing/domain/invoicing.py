"""Drafting the invoice of an order and the credit note of a refund."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal

from pydantic import AwareDatetime

from orderflow.billing.domain.documents import (
    Charge,
    CreditedInvoice,
    Document,
    DocumentKind,
    Frozen,
    Party,
    PaymentTerms,
    credit_lines,
    document_lines,
    totals_of,
)
from orderflow.billing.domain.tax import (
    ZERO,
    SupplyDecisions,
    decide,
    disagrees,
    round_money,
)
from orderflow.contracts import (
    Address,
    Customer,
    LineKind,
    OrderLine,
    OrderPlaced,
    OrderTotals,
    ShippingLine,
)

DISCOUNT = {"en": "Discount", "de": "Rabatt", "es": "Descuento", "fr": "Remise"}
REFUND = {
    "en": "Refund",
    "de": "Erstattung",
    "es": "Devolución",
    "fr": "Remboursement",
}
SHIPPING_REFUND = {"en": "Shipping", "de": "Versand", "es": "Envío", "fr": "Livraison"}
# The line id of the invoice's shipping lines, so that a refund of shipping
# is credited at the shipping's VAT category: `shipping:1`, `shipping:2`...
SHIPPING_LINE_ID = "shipping:"


class BillingOrder(Frozen):
    """billing's own copy of what it needs from `order.placed`."""

    shop_id: str
    order_id: str
    order_number: str
    placed_at: AwareDatetime
    currency: str
    customer: Customer
    billing_address: Address | None
    shipping_address: Address | None = None
    lines: tuple[OrderLine, ...]
    shipping_lines: tuple[ShippingLine, ...]
    totals: OrderTotals
    paid: bool
    payment_gateway: str | None = None
    payment_reference: str | None = None

    @classmethod
    def from_event(cls, placed: OrderPlaced) -> BillingOrder:
        return cls(
            shop_id=placed.shop_id,
            order_id=placed.order_id,
            order_number=placed.order_number,
            placed_at=placed.placed_at,
            currency=placed.currency,
            customer=placed.customer,
            billing_address=placed.billing_address or placed.shipping_address,
            shipping_address=placed.shipping_address,
            lines=placed.lines,
            shipping_lines=placed.shipping_lines,
            totals=placed.totals,
            paid=placed.paid,
            payment_gateway=placed.payment_gateway,
            payment_reference=placed.payment_reference,
        )

    def buyer_country(self, default: str) -> str:
        return self.billing_address.country if self.billing_address else default

    def buyer(self, vat_id: str | None, default_country: str) -> Party:
        customer, address = self.customer, self.billing_address
        person = " ".join(n for n in (customer.first_name, customer.last_name) if n)
        company = (address.company if address else None) or customer.company
        name = company or (address.name if address else None) or person
        return Party(
            name=name or customer.email or self.order_number,
            attention=person if company else None,
            line1=address.line1 if address else None,
            line2=address.line2 if address else None,
            postal_code=address.postal_code if address else None,
            city=address.city if address else None,
            country=self.buyer_country(default_country),
            vat_id=vat_id,
            email=customer.email,
        )

    def deliver_to(self) -> Party | None:
        """Where the goods go, when the order ships any."""
        address = self.shipping_address
        if address is None:
            return None
        customer = self.customer
        person = " ".join(n for n in (customer.first_name, customer.last_name) if n)
        return Party(
            name=address.company or address.name or person or self.order_number,
            line1=address.line1,
            line2=address.line2,
            postal_code=address.postal_code,
            city=address.city,
            country=address.country,
        )


def order_charges(order: BillingOrder, language: str) -> list[Charge]:
    """The order's products, an order-wide discount, and its shipping."""
    charges = [_product(line) for line in order.lines]
    line_discounts = sum((line.discount for line in order.lines), ZERO)
    order_discount = order.totals.discounts - line_discounts
    if order_discount > 0:
        charges += _discounts(order, order_discount, language)
    charges += [
        Charge(
            description=shipping.title,
            quantity=Decimal(1),
            amount=shipping.amount,
            physical=True,
            line_id=f"{SHIPPING_LINE_ID}{number}",
        )
        for number, shipping in enumerate(order.shipping_lines, start=1)
    ]
    return charges


def _discounts(order: BillingOrder, amount: Decimal, language: str) -> list[Charge]:
    """An order-wide discount, split between goods and services by their value.

    Goods and services may be taxed differently, so each takes its share of
    the discount; the goods' share is rounded and the services take the rest.
    """
    goods = sum((li.total for li in order.lines if li.kind is LineKind.PHYSICAL), ZERO)
    value = sum((line.total for line in order.lines), ZERO)
    on_goods = round_money(amount * goods / value, order.currency) if value else amount
    shares = ((on_goods, True), (amount - on_goods, False))
    return [
        Charge(
            description=DISCOUNT.get(language, DISCOUNT["en"]),
            quantity=Decimal(1),
            amount=share,
            physical=physical,
            negative=True,
        )
        for share, physical in shares
        if share > 0
    ]


def _product(line: OrderLine) -> Charge:
    return Charge(
        description=line.title,
        quantity=Decimal(line.quantity),
        amount=line.total,
        physical=line.kind is LineKind.PHYSICAL,
        line_id=line.line_id,
    )


def tax_decisions(order: BillingOrder, seller_country: str) -> SupplyDecisions:
    """How the order's services (where the buyer is) and goods (where they
    arrive) are taxed."""
    buyer_country = order.buyer_country(seller_country)
    arrival = order.shipping_address.country if order.shipping_address else None
    day = order.placed_at.date()
    vat_id = order.customer.vat_id
    return SupplyDecisions(
        goods=decide(
            seller_country=seller_country,
            buyer_country=arrival or buyer_country,
            buyer_vat_id=vat_id,
            on=day,
            established_in=buyer_country,
        ),
        services=decide(
            seller_country=seller_country,
            buyer_country=buyer_country,
            buyer_vat_id=vat_id,
            on=day,
        ),
    )


def draft_invoice(
    order: BillingOrder,
    *,
    seller: Party,
    language: str,
    payment: PaymentTerms,
) -> Document:
    """The invoice of an order, complete but for its number and date of issue."""
    decisions = tax_decisions(order, seller.country)
    lines = document_lines(
        order_charges(order, language),
        decisions,
        taxes_included=order.totals.taxes_included,
        currency=order.currency,
    )
    totals = totals_of(lines)
    return Document(
        kind=DocumentKind.INVOICE,
        shop_id=order.shop_id,
        order_id=order.order_id,
        order_number=order.order_number,
        language=language,
        currency=order.currency,
        supplied_on=order.placed_at.date(),
        seller=seller,
        buyer=order.buyer(decisions.buyer_vat_id, seller.country),
        deliver_to=order.deliver_to(),
        lines=lines,
        totals=totals,
        payment=payment,
        totals_disagree=disagrees(
            gross=totals.gross,
            tax=totals.tax,
            platform_total=order.totals.total,
            platform_tax=order.totals.tax,
        ),
    )


def refunded_charges(
    invoice: Document,
    *,
    amount: Decimal,
    lines: Sequence[tuple[str, int, Decimal]],
    shipping: Decimal,
    full: bool,
) -> list[Charge]:
    """What a refund gives back, as gross charges against the invoice's lines.

    `lines` are (line id, quantity, gross amount). Whatever part of `amount`
    the named lines and shipping do not explain becomes one refund line.
    """
    language = invoice.language
    if full:
        return []
    names = {line.line_id: line.description for line in invoice.lines}
    charges = [
        Charge(
            description=names.get(line_id, REFUND.get(language, "Refund")),
            quantity=Decimal(quantity),
            amount=gross,
            physical=False,
            line_id=line_id,
        )
        for line_id, quantity, gross in lines
    ]
    if shipping > 0:
        shipped = (line.line_id for line in invoice.lines if _is_shipping(line.line_id))
        charges.append(
            _refund_charge(SHIPPING_REFUND, language, shipping, next(shipped, None))
        )
    rest = amount - sum((charge.amount for charge in charges), ZERO)
    if rest > 0:
        charges.append(_refund_charge(REFUND, language, rest))
    return charges


def _is_shipping(line_id: str | None) -> bool:
    return bool(line_id and line_id.startswith(SHIPPING_LINE_ID))


def _refund_charge(
    names: dict[str, str], language: str, amount: Decimal, line_id: str | None = None
) -> Charge:
    return Charge(
        description=names.get(language, names["en"]),
        quantity=Decimal(1),
        amount=amount,
        physical=False,
        line_id=line_id,
    )


def draft_credit_note(
    invoice: Document,
    charges: Sequence[Charge],
    *,
    payment: PaymentTerms,
    refunded_on: date,
    reason: str | None,
) -> Document:
    """A credit note for `invoice`: all of it when `charges` is empty."""
    if invoice.number is None or invoice.issued_at is None:
        raise ValueError("only an issued invoice can be credited")
    lines = (
        credit_lines(invoice, charges, currency=invoice.currency)
        if charges
        else invoice.lines
    )
    return invoice.model_copy(
        update={
            "kind": DocumentKind.CREDIT_NOTE,
            "lines": lines,
            "totals": totals_of(lines),
            "payment": payment,
            "supplied_on": refunded_on,
            "totals_disagree": False,
            "credited_invoice": CreditedInvoice(
                number=invoice.number, issued_on=invoice.issued_at.date()
            ),
            "reason": reason,
            "number": None,
            "series": None,
            "issued_at": None,
        }
    )
