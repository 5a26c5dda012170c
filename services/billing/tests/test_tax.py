"""The VAT treatment of an order and the rounding of its lines."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from billing_orders import VALID_FR_VAT_ID

from orderflow.backbone.errors import is_transient
from orderflow.billing.domain.tax import (
    LineAmount,
    TaxDecision,
    Treatment,
    VatCategory,
    decide,
    sum_lines,
    tax_line,
)
from orderflow.billing.domain.vat_rates import EU_COUNTRIES, standard_rate
from orderflow.billing.errors import VatRateUnknown

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


@pytest.mark.parametrize(
    ("arrives_in", "established_in", "vat_id", "treatment"),
    [
        ("DE", "FR", VALID_FR_VAT_ID, Treatment.DOMESTIC),
        ("IT", "FR", VALID_FR_VAT_ID, Treatment.EU_BUSINESS),
        ("FR", "DE", "DE136695976", Treatment.EU_CONSUMER),
        ("US", "DE", None, Treatment.EXPORT),
    ],
    ids=["into-the-sellers-country", "to-a-third-state", "sellers-own-id", "out"],
)
def test_goods_are_taxed_where_they_arrive(
    arrives_in: str, established_in: str, vat_id: str | None, treatment: Treatment
) -> None:
    decision = decide(
        seller_country="DE",
        buyer_country=arrives_in,
        buyer_vat_id=vat_id,
        on=DAY,
        established_in=established_in,
    )

    assert decision.treatment is treatment


def test_export_outside_the_eu_is_zero_rated() -> None:
    decision = _decide("US", "123")

    assert decision == TaxDecision(Treatment.EXPORT, Decimal(0), None)
    assert decision.category(physical=True) is VatCategory.EXPORT


def test_rates_are_dated() -> None:
    assert standard_rate("DE", date(2020, 8, 1)) == Decimal("0.16")
    assert standard_rate("DE", date(2021, 1, 1)) == Decimal("0.19")
    assert standard_rate("FI", date(2024, 9, 1)) == Decimal("0.255")


@pytest.mark.parametrize(
    ("country", "day"), [("CH", DAY), ("DE", date(2019, 12, 31))], ids=["CH", "2019"]
)
def test_rate_outside_the_eu_or_the_table_is_refused_for_good(
    country: str, day: date
) -> None:
    with pytest.raises(VatRateUnknown) as refused:
        standard_rate(country, day)

    assert not is_transient(refused.value)


@pytest.mark.parametrize(
    ("country", "before", "after", "changed_on"),
    [
        ("EE", "0.22", "0.24", date(2025, 7, 1)),
        ("FI", "0.24", "0.255", date(2024, 9, 1)),
        ("SK", "0.20", "0.23", date(2025, 1, 1)),
        ("RO", "0.19", "0.21", date(2025, 8, 1)),
    ],
)
def test_recent_changes_of_standard_rates_apply_from_their_day(
    country: str, before: str, after: str, changed_on: date
) -> None:
    assert standard_rate(country, changed_on - timedelta(days=1)) == Decimal(before)
    assert standard_rate(country, changed_on) == Decimal(after)


def test_every_member_state_has_a_rate_today() -> None:
    today = date(2026, 12, 1)

    assert len(EU_COUNTRIES) == 27
    assert all(Decimal("0.15") <= standard_rate(c, today) for c in EU_COUNTRIES)


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
