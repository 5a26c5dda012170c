"""The language a customer is written to in."""

from __future__ import annotations

SUPPORTED_LANGUAGES = ("en", "es", "de")
FALLBACK_LANGUAGE = "en"


def language_for(locale: str | None, shop_default: str) -> str:
    """The customer's language if we speak it, else the shop's, else English.

    `locale` is a BCP 47 tag (`de-AT`, `es`, `pt_BR`); only its language part
    counts.
    """
    for candidate in (_language_part(locale), shop_default.lower()):
        if candidate in SUPPORTED_LANGUAGES:
            return candidate
    return FALLBACK_LANGUAGE


def _language_part(locale: str | None) -> str:
    if not locale:
        return ""
    return locale.replace("_", "-").split("-", 1)[0].strip().lower()
