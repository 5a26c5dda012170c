"""Money and dates written the way a reader of each language expects."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from orderflow.contracts.money import minor_unit_exponent

_SYMBOLS = {"EUR": "€", "USD": "$", "GBP": "£", "CHF": "CHF"}

# Decimal and thousands separators; whether the currency goes in front.
_STYLES = {"en": (".", ",", True), "de": (",", ".", False), "es": (",", ".", False)}


@dataclass(frozen=True)
class Formatter:
    """Formats for one language and one currency."""

    language: str
    currency: str
    month_names: tuple[str, ...]
    date_pattern: str

    def money(self, amount: Decimal) -> str:
        """`€1,234.50` in English, `1.234,50 €` in German and Spanish."""
        point, thousands, symbol_first = _STYLES[self.language]
        places = minor_unit_exponent(self.currency)
        digits = f"{amount:,.{places}f}"
        digits = digits.replace(",", "\0").replace(".", point).replace("\0", thousands)
        symbol = _SYMBOLS.get(self.currency, self.currency)
        if not symbol_first:
            return f"{digits} {symbol}"
        return f"{symbol}{digits}" if len(symbol) == 1 else f"{symbol} {digits}"

    def date(self, moment: datetime) -> str:
        """The calendar date, e.g. `3 December 2026` or `3. Dezember 2026`."""
        return self.date_pattern.format(
            day=moment.day, month=self.month_names[moment.month - 1], year=moment.year
        )
