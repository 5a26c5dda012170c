"""The VAT treatment of an order and the rounding of its lines."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from billing_orders import VALID_FR_VAT_ID

from orderflow.billing.domain.tax import (
    LineAmount,
    TaxDecision,
    Treatment,
    VatCategory,
    decide,
    sum_lines,
    tax_line,
)
from orderflow.billing.domain.vat_rates import standard_rate

DAY = date(2025, 3, 14)


def _decide(country: str, vat_id: str | None = None) -> TaxDecision:
    return decide(
        seller_country="DE", buyer_country=country, buyer_vat_id=vat_id, on=DAY
    )


def test_domestic_sale_takes_the_sellers_rate() -> None:
    assert _decide("DE") == TaxDecision(Treatment.DOMESTIC, Decimal("0.19"), None)


def test_eu_consumer_pays_the_rate_of_their_country() -> None:
    assert _decide("FR") == TaxDecision(Treatment.EU_CONSUMER, Decimal("0.20"), None)


def test_eu_business_with_valid_vat_id_is_reverse_charged() -> None:
    decision = _decide("FR", "fr 40 303 265 045")

    assert decision == TaxDecision(Treatment.EU_BUSINESS, Decimal(0), VALID_FR_VAT_ID)
    assert decision.category(physical=False) is VatCategory.REVERSE_CHARGE
    assert decision.category(physical=True) is VatCategory.INTRA_COMMUNITY


@pytest.mark.parametrize("vat_id", ["FR40303265046", "DE136695976", "nonsense"])
def test_invalid_or_foreign_vat_id_is_charged_as_a_consumer(vat_id: str) -> None:
    assert _decide("FR", vat_id).treatment is Treatment.EU_CONSUMER


def test_export_outside_the_eu_is_zero_rated() -> None:
    decision = _decide("US", "123")

    assert decision == TaxDecision(Treatment.EXPORT, Decimal(0), None)
    assert decision.category(physical=True) is VatCategory.EXPORT


def test_rates_are_dated() -> None:
    assert standard_rate("DE", date(2020, 8, 1)) == Decimal("0.16")
    assert standard_rate("DE", date(2021, 1, 1)) == Decimal("0.19")
    assert standard_rate("FI", date(2024, 9, 1)) == Decimal("0.255")


def test_rate_outside_the_eu_is_refused() -> None:
    with pytest.raises(LookupError):
        standard_rate("CH", DAY)


def test_price_with_tax_included_is_split_per_line() -> None:
    decision = _decide("DE")

    taxed = tax_line(
        LineAmount(Decimal("19.00"), physical=False),
        decision,
        taxes_included=True,
        currency="EUR",
    )

    assert (taxed.net, taxed.tax, taxed.gross) == (
        Decimal("15.97"),
        Decimal("3.03"),
        Decimal("19.00"),
    )


def test_tax_is_added_to_a_net_price_and_rounded_half_up() -> None:
    taxed = tax_line(
        LineAmount(Decimal("0.50"), physical=True),
        _decide("DE"),
        taxes_included=False,
        currency="EUR",
    )

    assert (taxed.tax, taxed.gross) == (Decimal("0.10"), Decimal("0.60"))


def test_totals_are_sums_of_rounded_lines() -> None:
    decision = _decide("DE")
    lines = [
        tax_line(
            LineAmount(Decimal("0.05"), physical=False),
            decision,
            taxes_included=False,
            currency="EUR",
        )
        for _ in range(3)
    ]

    totals = sum_lines(lines)

    assert totals.tax == Decimal("0.03")
    assert totals.gross == Decimal("0.18")
