"""The standard VAT rates of the EU member states, with the day each applies from.

Rates are fractions (19 % is `Decimal("0.19")`). A country's rate on a day is
the entry with the latest `valid_from` not after that day. When a member
state changes its standard rate, add a row; never edit an old one, since
invoices already issued were computed with it.

Checked in December 2026 against the rates the member states publish: the
rows since 2020 include Germany's and Ireland's temporary cuts, Luxembourg's
2023 cut, Estonia's rises (22 % in 2024, 24 % from July 2025), Finland's
25.5 % (September 2024), Slovakia's 23 % (2025) and Romania's 21 % (August
2025); no standard rate changed in 2026 (the 2026 changes were to reduced
rates, which billing does not apply).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from orderflow.billing.errors import VatRateUnknown


@dataclass(frozen=True)
class StandardRate:
    country: str
    rate: Decimal
    valid_from: date


_ROWS = """
AT 0.20 2020-01-01
BE 0.21 2020-01-01
BG 0.20 2020-01-01
CY 0.19 2020-01-01
CZ 0.21 2020-01-01
DE 0.19 2020-01-01
DE 0.16 2020-07-01
DE 0.19 2021-01-01
DK 0.25 2020-01-01
EE 0.20 2020-01-01
EE 0.22 2024-01-01
EE 0.24 2025-07-01
ES 0.21 2020-01-01
FI 0.24 2020-01-01
FI 0.255 2024-09-01
FR 0.20 2020-01-01
GR 0.24 2020-01-01
HR 0.25 2020-01-01
HU 0.27 2020-01-01
IE 0.23 2020-01-01
IE 0.21 2020-09-01
IE 0.23 2021-03-01
IT 0.22 2020-01-01
LT 0.21 2020-01-01
LU 0.17 2020-01-01
LU 0.16 2023-01-01
LU 0.17 2024-01-01
LV 0.21 2020-01-01
MT 0.18 2020-01-01
NL 0.21 2020-01-01
PL 0.23 2020-01-01
PT 0.23 2020-01-01
RO 0.19 2020-01-01
RO 0.21 2025-08-01
SE 0.25 2020-01-01
SI 0.22 2020-01-01
SK 0.20 2020-01-01
SK 0.23 2025-01-01
"""

STANDARD_RATES: tuple[StandardRate, ...] = tuple(
    StandardRate(country, Decimal(rate), date.fromisoformat(valid_from))
    for country, rate, valid_from in (
        line.split() for line in _ROWS.split("\n") if line
    )
)

EU_COUNTRIES = frozenset(row.country for row in STANDARD_RATES)


def standard_rate(country: str, on: date) -> Decimal:
    """The standard VAT rate of an EU member state on a day.

    Raises `VatRateUnknown` for a country outside the EU or a day before the
    table.
    """
    rates = [
        row for row in STANDARD_RATES if row.country == country and row.valid_from <= on
    ]
    if not rates:
        raise VatRateUnknown(country, on)
    return max(rates, key=lambda row: row.valid_from).rate
