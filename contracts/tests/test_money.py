"""Money is a decimal string or minor units, never a float."""

from decimal import Decimal

import pytest
from pydantic import BaseModel, ValidationError

from orderflow.contracts import (
    Amount,
    Currency,
    MinorUnits,
    TaxRate,
    from_minor_units,
    to_minor_units,
)


class Price(BaseModel):
    amount: Amount
    currency: Currency = "EUR"


class Rate(BaseModel):
    rate: TaxRate


class Units(BaseModel):
    units: MinorUnits


def test_float_amount_is_refused_with_a_clear_error() -> None:
    with pytest.raises(ValidationError, match="a float is refused"):
        Price(amount=19.9)


def test_float_amount_in_json_is_refused() -> None:
    with pytest.raises(ValidationError, match="a float is refused"):
        Price.model_validate_json('{"amount": 19.90}')


def test_float_tax_rate_is_refused() -> None:
    with pytest.raises(ValidationError, match="a float is refused"):
        Rate(rate=0.19)


@pytest.mark.parametrize(
    ("given", "expected"),
    [("19.90", Decimal("19.90")), (20, Decimal(20)), (Decimal("0.5"), Decimal("0.5"))],
)
def test_amount_accepts_string_int_and_decimal(
    given: str | int | Decimal, expected: Decimal
) -> None:
    assert Price(amount=given).amount == expected


def test_amount_serialises_to_a_json_string_keeping_its_scale() -> None:
    assert Price(amount=Decimal("10.00")).model_dump_json() == (
        '{"amount":"10.00","currency":"EUR"}'
    )


def test_decimal_amount_keeps_its_scale() -> None:
    amount = Price(amount=Decimal("12.300")).amount

    assert amount.as_tuple().exponent == -3


def test_amount_from_exponent_notation_is_written_out_in_full() -> None:
    assert Price(amount=Decimal("1E+2")).model_dump(mode="json")["amount"] == "100"


@pytest.mark.parametrize(
    "bad",
    [
        *("-1.00", "1e3", "NaN", "", " 1", "1,50", True),
        *(Decimal("-1.00"), Decimal("-0"), Decimal("NaN"), Decimal("Infinity")),
    ],
)
def test_amount_that_is_not_a_plain_non_negative_decimal_is_refused(
    bad: object,
) -> None:
    with pytest.raises(ValidationError, match="decimal"):
        Price(amount=bad)


def test_amount_schema_is_a_string_with_a_pattern() -> None:
    schema = Price.model_json_schema()["properties"]["amount"]

    assert schema["type"] == "string"
    assert "pattern" in schema


@pytest.mark.parametrize("bad", ["1.5", "19", "-0.1"])
def test_tax_rate_outside_zero_to_one_is_refused(bad: str) -> None:
    with pytest.raises(ValidationError):
        Rate(rate=bad)


@pytest.mark.parametrize("bad", ["eur", "EURO", "E1R"])
def test_currency_that_is_not_three_capitals_is_refused(bad: str) -> None:
    with pytest.raises(ValidationError, match="pattern"):
        Price(amount="1", currency=bad)


def test_minor_units_refuse_floats_and_negatives() -> None:
    for bad in (100.0, -1, "100"):
        with pytest.raises(ValidationError):
            Units(units=bad)


@pytest.mark.parametrize(
    ("amount", "currency", "units"),
    [("19.99", "EUR", 1999), ("1500", "JPY", 1500), ("1.250", "KWD", 1250)],
)
def test_minor_units_follow_the_currencys_exponent(
    amount: str, currency: str, units: int
) -> None:
    assert to_minor_units(Decimal(amount), currency) == units
    assert from_minor_units(units, currency) == Decimal(amount)


def test_amount_finer_than_the_minor_unit_is_not_rounded() -> None:
    with pytest.raises(ValueError, match="minor units"):
        to_minor_units(Decimal("0.001"), "EUR")
