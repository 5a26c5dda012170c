"""The order confirmation email, rendered from Jinja2 templates.

One HTML and one plain-text template (`templates/confirmation.html`,
`templates/confirmation.txt`) carry the layout; the words come from
`templates/wording/<language>.json`, one file per language. A new language
is one more wording file and its name in `SUPPORTED_LANGUAGES`.
"""

from __future__ import annotations

import json
import mimetypes
from datetime import UTC, datetime
from email.errors import HeaderParseError
from email.headerregistry import Address as MailAddress
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from importlib import resources
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined

from orderflow.backbone.mail import message_id_for
from orderflow.backbone.shop import ShopIdentity
from orderflow.contracts import Address, Customer, LineKind, OrderPlaced
from orderflow.crm.domain.formatting import Formatter
from orderflow.crm.domain.language import SUPPORTED_LANGUAGES, language_for
from orderflow.crm.errors import UnaddressableCustomer

MESSAGE_KIND = "order-confirmation"


def confirmation_message_id(order: OrderPlaced, shop: ShopIdentity) -> str:
    """The same Message-ID every time for the same order of the same shop."""
    return message_id_for(
        MESSAGE_KIND, f"{order.shop_id}/{order.order_id}", shop.mail_domain
    )


class ConfirmationRenderer:
    """Writes the confirmation of an order in its customer's language."""

    def __init__(self, shop: ShopIdentity) -> None:
        self._shop = shop
        loader = PackageLoader("orderflow.crm", "templates")
        self._html = Environment(
            loader=loader, autoescape=True, undefined=StrictUndefined
        )
        self._text = Environment(
            loader=loader,
            autoescape=False,  # noqa: S701 - plain text, never shown as HTML
            undefined=StrictUndefined,
            keep_trailing_newline=True,
        )
        wording = resources.files("orderflow.crm") / "templates" / "wording"
        self._wording: dict[str, dict[str, Any]] = {
            language: json.loads((wording / f"{language}.json").read_text("utf-8"))
            for language in SUPPORTED_LANGUAGES
        }

    def render(self, order: OrderPlaced, customer: Customer) -> EmailMessage:
        """The whole message, headers included, ready to be stored and sent."""
        language = language_for(customer.locale, self._shop.default_language)
        words = self._wording[language]
        subject = words["subject"].format(
            number=order.order_number, shop=self._shop.name
        )
        message = EmailMessage()
        message["Subject"] = subject
        message["From"] = MailAddress(self._shop.name, addr_spec=str(self._shop.email))
        message["To"] = _recipient(order, customer)
        if self._shop.reply_to:
            message["Reply-To"] = str(self._shop.reply_to)
        message["Date"] = format_datetime(datetime.now(UTC))
        message["Message-ID"] = confirmation_message_id(order, self._shop)
        message["Auto-Submitted"] = "auto-generated"

        logo_cid = (
            make_msgid(domain=self._shop.mail_domain) if self._shop.logo else None
        )
        context = self._context(order, customer, language, subject, logo_cid)
        message.set_content(self._text.get_template("confirmation.txt").render(context))
        html = self._html.get_template("confirmation.html").render(context)
        message.add_alternative(html, subtype="html")
        if logo_cid:
            self._attach_logo(message, logo_cid)
        message["Content-Language"] = language  # set_content drops Content-*

        return message

    def _context(
        self,
        order: OrderPlaced,
        customer: Customer,
        language: str,
        subject: str,
        logo_cid: str | None,
    ) -> dict[str, Any]:
        words = self._wording[language]
        greeting = (
            words["greeting"].format(name=customer.first_name)
            if customer.first_name
            else words["greeting_anonymous"]
        )
        formatter = Formatter(
            language=language,
            currency=order.currency,
            month_names=tuple(words["months"]),
            date_pattern=words["date_pattern"],
        )
        return {
            "order": order,
            "shop": self._shop,
            "language": language,
            "subject": subject,
            "greeting": greeting,
            "t": words,
            "fmt": formatter,
            "addresses": _addresses(order, words),
            "labels": _labels(order, words),
            "show_shipping": bool(order.shipping_lines or order.totals.shipping),
            "what_follows": _what_follows(order, words),
            "logo_cid": logo_cid[1:-1] if logo_cid else None,
        }

    def _attach_logo(self, message: EmailMessage, cid: str) -> None:
        assert self._shop.logo is not None
        kind = mimetypes.guess_type(self._shop.logo.name)[0] or "image/png"
        maintype, subtype = kind.split("/", 1)
        html_part = message.get_body(("html",))
        assert html_part is not None
        html_part.add_related(
            self._shop.logo.read_bytes(),
            maintype=maintype,
            subtype=subtype,
            cid=cid,
            filename=self._shop.logo.name,
        )


def _recipient(order: OrderPlaced, customer: Customer) -> MailAddress:
    name = " ".join(filter(None, (customer.first_name, customer.last_name)))
    try:
        return MailAddress(name, addr_spec=customer.email or "")
    except (ValueError, HeaderParseError, IndexError):
        raise UnaddressableCustomer(order.order_id) from None


def _addresses(
    order: OrderPlaced, words: dict[str, Any]
) -> list[tuple[str, list[str]]]:
    shown: list[tuple[str, list[str]]] = []
    if order.shipping_address:
        shown.append((words["shipping_address"], _lines(order.shipping_address)))
    if order.billing_address and order.billing_address != order.shipping_address:
        shown.append((words["billing_address"], _lines(order.billing_address)))
    return shown


def _lines(address: Address) -> list[str]:
    town = " ".join(filter(None, (address.postal_code, address.city)))
    parts = (
        address.name,
        address.company,
        address.line1,
        address.line2,
        town,
        address.region,
        address.country,
    )
    return [part for part in parts if part]


def _labels(order: OrderPlaced, words: dict[str, Any]) -> dict[str, str]:
    """The totals' names, with the discount codes and shipping methods."""
    codes = ", ".join(filter(None, (d.code or d.title for d in order.discounts)))
    methods = ", ".join(line.title for line in order.shipping_lines)
    tax = words["tax_included" if order.totals.taxes_included else "tax_added"]
    return {
        "discounts": _named(words["discounts"], codes),
        "shipping": _named(words["shipping"], methods),
        "tax": tax,
    }


def _named(label: str, names: str) -> str:
    return f"{label} ({names})" if names else label


def _what_follows(order: OrderPlaced, words: dict[str, Any]) -> list[str]:
    kinds = {line.kind for line in order.lines}
    sentences = []
    if LineKind.DIGITAL in kinds:
        sentences.append(words["digital_paid" if order.paid else "digital_unpaid"])
    if LineKind.PHYSICAL in kinds:
        sentences.append(words["physical"])
    return sentences
