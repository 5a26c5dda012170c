"""Document numbers: one gapless series per kind of document and year.

The counter itself lives in the database (a row locked in the issuing
transaction); this module only names the series and prints the number.
"""

from __future__ import annotations

from datetime import datetime

from orderflow.billing.domain.documents import DocumentKind

PREFIXES = {DocumentKind.INVOICE: "INV", DocumentKind.CREDIT_NOTE: "CN"}


def series_for(kind: DocumentKind, issued_at: datetime) -> str:
    """The series a document issued at `issued_at` is numbered in, e.g. INV-2025."""
    return f"{PREFIXES[kind]}-{issued_at.year}"


def document_number(series: str, position: int) -> str:
    """The printed number: the series and the position in it, e.g. INV-2025-000042."""
    if position < 1:
        raise ValueError("a series starts at 1")
    return f"{series}-{position:06d}"
