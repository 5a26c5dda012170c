"""Money in the contracts: decimal strings or integer minor units, never a float.

`Amount` is a non-negative `Decimal` that travels as a JSON string such as
`"19.90"`. It has no sign because the event says which way the money goes (a
discount, a refund, a credit note). `TaxRate` is a fraction from 0 to 1 in the
same form (`"0.19"`). Both refuse a float outright, since a float cannot hold
most prices exactly; they accept a string, an int, or a `Decimal` built in
Python, and keep the scale they were given (`"10.00"` stays `"10.00"`).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import Decimal
from typing import Annotated, Any

from pydantic import Field, PlainSerializer, PlainValidator, WithJsonSchema

AMOUNT_PATTERN = r"^[0-9]+(\.[0-9]+)?$"
TAX_RATE_PATTERN = r"^(0(\.[0-9]+)?|1(\.0+)?)$"

# ISO 4217 currencies whose minor unit is not a hundredth, by exponent.
_UNUSUAL_EXPONENTS = {
    0: "BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX UYI VND VUV XAF XOF XPF",
    3: "BHD IQD JOD KWD LYD OMR TND",
    4: "CLF UYW",
}
_EXPONENTS = {
    code: exponent
    for exponent, codes in _UNUSUAL_EXPONENTS.items()
    for code in codes.split()
}


def _decimal_parser(pattern: str, what: str, example: str) -> Callable[[Any], Decimal]:
    """Build a validator that turns str, int or Decimal into a checked Decimal."""
    form = re.compile(pattern)

    def parse(value: Any) -> Decimal:
        if isinstance(value, float):
            raise ValueError(
                f"a float is refused: send {what} as a string such as {example!r}"
            )
        text = _as_text(value)
        if not form.fullmatch(text):
            raise ValueError(f"expected {what} such as {example!r}, got {text!r}")
        return Decimal(text)

    return parse


def _amount_parser() -> Callable[[Any], Decimal]:
    checked = _decimal_parser(AMOUNT_PATTERN, "a non-negative decimal", "19.90")

    def parse(value: Any) -> Decimal:
        # NOTE: a finite Decimal that is not negative always writes out as the
        # pattern asks, so it is taken as it is; the text round trip would be
        # most of the cost of validating an order's many amounts.
        if type(value) is Decimal and value.is_finite() and not value.is_signed():
            return value
        return checked(value)

    return parse


def _as_text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, Decimal) or (
        isinstance(value, int) and not isinstance(value, bool)
    ):
        return format(Decimal(value), "f")
    raise ValueError(f"expected a decimal string, got {type(value).__name__}")


def _decimal_text(value: Decimal) -> str:
    return format(value, "f")


Amount = Annotated[
    Decimal,
    PlainValidator(_amount_parser()),
    PlainSerializer(_decimal_text, return_type=str, when_used="json"),
    WithJsonSchema({"type": "string", "pattern": AMOUNT_PATTERN}),
]
"""A non-negative amount of money in major units, as a decimal string."""

TaxRate = Annotated[
    Decimal,
    PlainValidator(_decimal_parser(TAX_RATE_PATTERN, "a fraction from 0 to 1", "0.19")),
    PlainSerializer(_decimal_text, return_type=str, when_used="json"),
    WithJsonSchema({"type": "string", "pattern": TAX_RATE_PATTERN}),
]
"""A tax rate as a fraction from 0 to 1, as a decimal string: 19 % is "0.19"."""

Currency = Annotated[
    str, Field(pattern=r"^[A-Z]{3}$", description="ISO 4217 currency code.")
]

MinorUnits = Annotated[
    int,
    Field(strict=True, ge=0, description="Amount in the currency's minor units."),
]


def minor_unit_exponent(currency: str) -> int:
    """How many decimal places the currency's minor unit has (EUR 2, JPY 0)."""
    return _EXPONENTS.get(currency, 2)


def to_minor_units(amount: Decimal, currency: str) -> int:
    """Convert an amount to integer minor units, refusing to round it.

    Raises `ValueError` when the amount has more decimal places than the
    currency allows (`"0.001"` EUR): rounding money is the caller's decision.
    """
    scaled = amount.scaleb(minor_unit_exponent(currency))
    if scaled != scaled.to_integral_value():
        raise ValueError(f"{amount} {currency} is not a whole number of minor units")
    return int(scaled)


def from_minor_units(units: int, currency: str) -> Decimal:
    """Convert integer minor units to an amount with the currency's scale."""
    return Decimal(units).scaleb(-minor_unit_exponent(currency))
