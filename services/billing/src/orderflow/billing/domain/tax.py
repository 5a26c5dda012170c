"""Which VAT applies to an order, and each line's net, tax and gross.

The treatment follows the place of supply for a seller established in the EU:

- buyer in the seller's country: the seller's standard rate (domestic);
- buyer elsewhere in the EU with a valid VAT id: no VAT, the buyer accounts
  for it (reverse charge, art. 196, or an intra-community supply of goods,
  art. 138 of Directive 2006/112/EC);
- buyer elsewhere in the EU without one: the buyer's country's standard
  rate (the One-Stop-Shop rule for distance sales and digital services);
- buyer outside the EU: zero-rated export.

Services are supplied where the buyer is (the billing address); goods where
they arrive (the shipping address), so an order's goods and its services can
be treated differently: a gift sent to France from a German shop's German
customer is taxed at the French rate, the e-book beside it at the German.
A buyer's VAT id belongs to the country the buyer is established in, and
only one of another member state than the seller's makes a supply exempt.

Every line is rounded on its own, half up to the currency's minor unit, and
the totals are the sums of the rounded lines, as the invoice prints them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

from stdnum.eu import vat as eu_vat
from stdnum.exceptions import ValidationError

from orderflow.billing.domain.vat_rates import EU_COUNTRIES, standard_rate
from orderflow.contracts.money import minor_unit_exponent

ZERO = Decimal(0)

# The VAT number prefix of a member state where it differs from its ISO code.
_VAT_PREFIXES = {"GR": "EL"}


class VatCategory(StrEnum):
    """The VAT category codes of EN 16931 (UNTDID 5305) that billing uses."""

    STANDARD = "S"
    REVERSE_CHARGE = "AE"
    INTRA_COMMUNITY = "K"
    EXPORT = "G"


class Treatment(StrEnum):
    DOMESTIC = "domestic"
    EU_CONSUMER = "eu_consumer"
    EU_BUSINESS = "eu_business"
    EXPORT = "export"


@dataclass(frozen=True)
class TaxDecision:
    """The VAT treatment of one order, taken once for all its lines."""

    treatment: Treatment
    rate: Decimal
    buyer_vat_id: str | None

    def category(self, physical: bool) -> VatCategory:
        if self.treatment is Treatment.EU_BUSINESS:
            if physical:
                return VatCategory.INTRA_COMMUNITY
            return VatCategory.REVERSE_CHARGE
        if self.treatment is Treatment.EXPORT:
            return VatCategory.EXPORT
        return VatCategory.STANDARD


@dataclass(frozen=True)
class LineAmount:
    """One charge as the platform reported it: its total after line discounts."""

    amount: Decimal
    physical: bool


@dataclass(frozen=True)
class TaxedAmount:
    net: Decimal
    rate: Decimal
    tax: Decimal
    gross: Decimal
    category: VatCategory


def valid_vat_id(vat_id: str | None, country: str) -> str | None:
    """The VAT id in compact form when it is valid and belongs to `country`."""
    if not vat_id:
        return None
    try:
        compact: str = eu_vat.compact(vat_id)
    except ValidationError:
        return None
    prefix = _VAT_PREFIXES.get(country, country)
    if not compact.startswith(prefix) or not eu_vat.is_valid(compact):
        return None
    return compact


def decide(
    *,
    seller_country: str,
    buyer_country: str,
    buyer_vat_id: str | None,
    on: date,
    established_in: str | None = None,
) -> TaxDecision:
    """The treatment and rate of a supply taxed in `buyer_country` on a day.

    `buyer_country` is where the supply takes place: where the buyer is, or
    where the goods arrive. `established_in` is the buyer's own country when
    that differs, for the VAT id to be checked against.
    """
    home = established_in or buyer_country
    if buyer_country == seller_country:
        rate = standard_rate(seller_country, on)
        return TaxDecision(Treatment.DOMESTIC, rate, None)
    if buyer_country not in EU_COUNTRIES:
        return TaxDecision(Treatment.EXPORT, ZERO, None)
    vat_id = valid_vat_id(buyer_vat_id, home) if home != seller_country else None
    if vat_id is not None:
        return TaxDecision(Treatment.EU_BUSINESS, ZERO, vat_id)
    return TaxDecision(Treatment.EU_CONSUMER, standard_rate(buyer_country, on), None)


@dataclass(frozen=True)
class SupplyDecisions:
    """The treatment of an order's goods and of its services, taken once each."""

    goods: TaxDecision
    services: TaxDecision

    def for_line(self, physical: bool) -> TaxDecision:
        return self.goods if physical else self.services

    @property
    def buyer_vat_id(self) -> str | None:
        """The buyer's VAT id, when either supply is exempt by it."""
        return self.services.buyer_vat_id or self.goods.buyer_vat_id


def tax_line(
    line: LineAmount, decision: TaxDecision, *, taxes_included: bool, currency: str
) -> TaxedAmount:
    """Split one charge into net, tax and gross, each rounded to the currency."""
    rate = decision.rate
    if taxes_included:
        gross = round_money(line.amount, currency)
        tax = round_money(gross * rate / (1 + rate), currency)
        net = gross - tax
    else:
        net = round_money(line.amount, currency)
        tax = round_money(net * rate, currency)
        gross = net + tax
    category = decision.category(line.physical)
    return TaxedAmount(net=net, rate=rate, tax=tax, gross=gross, category=category)


def round_money(amount: Decimal, currency: str) -> Decimal:
    """Round half up to the currency's minor unit (cents for EUR)."""
    quantum = Decimal(1).scaleb(-minor_unit_exponent(currency))
    return amount.quantize(quantum, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Totals:
    net: Decimal
    tax: Decimal
    gross: Decimal


def sum_lines(lines: Iterable[TaxedAmount]) -> Totals:
    """The document's totals: the sums of its rounded lines."""
    taxed = list(lines)
    return Totals(
        net=sum((line.net for line in taxed), ZERO),
        tax=sum((line.tax for line in taxed), ZERO),
        gross=sum((line.gross for line in taxed), ZERO),
    )


def disagrees(
    *, gross: Decimal, tax: Decimal, platform_total: Decimal, platform_tax: Decimal
) -> bool:
    """Whether the platform's total or tax differs from what billing computed."""
    return gross != platform_total or tax != platform_tax
