"""The confirmation's content, rendered without sending: what follows, escaping."""

from __future__ import annotations

from decimal import Decimal
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from crm_harness import EXAMPLE_ORDER, SHOP

from orderflow.contracts import LineKind
from orderflow.crm.adapters.confirmation_email import (
    ConfirmationRenderer,
    confirmation_message_id,
)
from orderflow.crm.domain.language import language_for
from orderflow.crm.errors import UnaddressableCustomer


def render(**changes: Any) -> EmailMessage:
    order = EXAMPLE_ORDER.model_copy(update=changes)
    customer = order.customer.model_copy(update={"locale": "en"})
    return ConfirmationRenderer(SHOP).render(order, customer)


def text_of(message: EmailMessage) -> str:
    part = message.get_body(("plain",))
    assert part is not None
    return str(part.get_content())


def html_of(message: EmailMessage) -> str:
    part = message.get_body(("html",))
    assert part is not None
    return str(part.get_content())


def only(kind: LineKind) -> tuple[Any, ...]:
    return tuple(line for line in EXAMPLE_ORDER.lines if line.kind is kind)


def test_unpaid_digital_order_says_downloads_follow_the_payment() -> None:
    text = text_of(render(paid=False, lines=only(LineKind.DIGITAL)))

    assert "as soon as your payment has arrived" in text
    assert "parcel" not in text


def test_physical_order_announces_the_parcel_not_downloads() -> None:
    text = text_of(render(lines=only(LineKind.PHYSICAL)))

    assert "as soon as your parcel is on its way" in text
    assert "downloads" not in text


def test_separate_billing_address_is_shown_too() -> None:
    billing = EXAMPLE_ORDER.billing_address
    assert billing is not None
    text = text_of(render(billing_address=billing.model_copy(update={"city": "Bonn"})))

    assert "Shipping address:" in text
    assert "Billing address:" in text
    assert "10115 Bonn" in text


def test_html_escapes_what_the_platform_sent() -> None:
    line = EXAMPLE_ORDER.lines[0].model_copy(update={"title": "<b>Mug</b> & co"})
    message = render(lines=(line,), note="<script>alert(1)</script>")

    html = html_of(message)
    assert "&lt;b&gt;Mug&lt;/b&gt; &amp; co" in html
    assert "<script>" not in html
    assert "<b>Mug</b> & co" in text_of(message)


def test_amounts_keep_the_currencys_minor_units() -> None:
    totals = EXAMPLE_ORDER.totals.model_copy(update={"total": Decimal(4640)})
    text = text_of(render(currency="JPY", totals=totals))

    assert "Total: JPY 4,640" in text


def test_logo_is_embedded_and_referenced_by_content_id(tmp_path: Path) -> None:
    logo = tmp_path / "logo.png"
    logo.write_bytes(b"\x89PNG\r\n\x1a\n")
    renderer = ConfirmationRenderer(SHOP.model_copy(update={"logo": logo}))
    message = renderer.render(EXAMPLE_ORDER, EXAMPLE_ORDER.customer)

    [image] = [
        part for part in message.walk() if part.get_content_type() == "image/png"
    ]
    cid = str(image["Content-ID"]).strip("<>")
    assert f'src="cid:{cid}"' in html_of(message)


def test_message_id_depends_only_on_shop_and_order() -> None:
    again = EXAMPLE_ORDER.model_copy(update={"note": "changed"})
    other = EXAMPLE_ORDER.model_copy(update={"order_id": "ord-other"})

    assert confirmation_message_id(EXAMPLE_ORDER, SHOP) == confirmation_message_id(
        again, SHOP
    )
    assert confirmation_message_id(EXAMPLE_ORDER, SHOP) != confirmation_message_id(
        other, SHOP
    )
    assert confirmation_message_id(EXAMPLE_ORDER, SHOP).endswith("@roesterei.example>")


def test_address_that_fits_no_header_is_refused() -> None:
    customer = EXAMPLE_ORDER.customer.model_copy(update={"email": "a@b@c"})

    with pytest.raises(UnaddressableCustomer):
        ConfirmationRenderer(SHOP).render(EXAMPLE_ORDER, customer)


@pytest.mark.parametrize(
    ("locale", "default", "language"),
    [
        ("de-CH", "en", "de"),
        ("es_MX", "en", "es"),
        ("fr-FR", "es", "es"),
        (None, "de", "de"),
        ("fr", "fr", "en"),
    ],
)
def test_language_is_the_customers_then_the_shops_then_english(
    locale: str | None, default: str, language: str
) -> None:
    assert language_for(locale, default) == language
