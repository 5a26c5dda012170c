"""Payloads and envelopes survive JSON unchanged and refuse what they must."""

import gc
import json
import weakref
from typing import Any
from uuid import uuid4

import pytest
from pydantic import ValidationError

from orderflow.contracts import (
    CATALOGUE,
    DocumentTotals,
    OrderPlaced,
    OrderRefunded,
    Platform,
    email_sha256,
    envelope_of,
    platform_of,
    shop_id,
    wrap,
)
from orderflow.contracts.examples import EXAMPLES, ORDER, PLATFORM_ORDER

SHOPIFY_SIZED_ID = "5923488579643210001"


def _placed_order_data(**changes: Any) -> dict[str, Any]:
    data = EXAMPLES["order.placed.v1"].model_dump(mode="json")
    return {**data, **changes}


@pytest.mark.parametrize("routing_key", sorted(CATALOGUE))
def test_payload_round_trips_through_json(routing_key: str) -> None:
    example = EXAMPLES[routing_key]

    text = example.model_dump_json()

    assert CATALOGUE[routing_key].model_validate_json(text) == example


@pytest.mark.parametrize("routing_key", sorted(CATALOGUE))
def test_envelope_round_trips_through_json(routing_key: str) -> None:
    envelope = wrap(EXAMPLES[routing_key], producer="tests", correlation_id=ORDER)

    text = envelope.model_dump_json()

    parsed = envelope_of(CATALOGUE[routing_key]).model_validate_json(text)
    assert parsed == envelope
    assert parsed.routing_key == routing_key


def test_envelope_model_outlives_a_garbage_collection() -> None:
    built = weakref.ref(envelope_of(OrderRefunded))

    gc.collect()

    assert built() is envelope_of(OrderRefunded)


def test_wrap_names_the_payloads_type_and_version() -> None:
    cause = uuid4()

    envelope = wrap(
        EXAMPLES["order.placed.v1"],
        producer="orders",
        correlation_id=ORDER,
        causation_id=cause,
    )

    assert (envelope.event_type, envelope.schema_version) == ("order.placed", 1)
    assert envelope.causation_id == cause


def test_shopify_sized_ids_stay_strings_through_json() -> None:
    order = OrderPlaced.model_validate(
        _placed_order_data(platform_order_id=SHOPIFY_SIZED_ID)
    )

    text = order.model_dump_json()

    assert json.loads(text)["platform_order_id"] == SHOPIFY_SIZED_ID
    assert f'"platform_order_id":"{SHOPIFY_SIZED_ID}"' in text
    assert OrderPlaced.model_validate_json(text).platform_order_id == SHOPIFY_SIZED_ID


def test_an_id_sent_as_a_json_number_is_refused() -> None:
    text = json.dumps(_placed_order_data()).replace(
        f'"{PLATFORM_ORDER}"', PLATFORM_ORDER
    )

    with pytest.raises(ValidationError, match="platform_order_id"):
        OrderPlaced.model_validate_json(text)


def test_order_on_another_platform_than_its_shop_is_refused() -> None:
    with pytest.raises(ValidationError, match="not on platform woocommerce"):
        OrderPlaced.model_validate(_placed_order_data(platform="woocommerce"))


@pytest.mark.parametrize(
    "bad_shop", ["example.myshopify.com", "magento:shop.example", "shopify:", ""]
)
def test_shop_id_without_a_known_platform_prefix_is_refused(bad_shop: str) -> None:
    with pytest.raises(ValidationError, match="shop_id"):
        OrderPlaced.model_validate(_placed_order_data(shop_id=bad_shop))


def test_shop_id_joins_platform_and_name_and_splits_back() -> None:
    shop = shop_id(Platform.WOOCOMMERCE, "shop.example")

    assert shop == "woocommerce:shop.example"
    assert platform_of(shop) is Platform.WOOCOMMERCE


def test_order_without_lines_is_refused() -> None:
    with pytest.raises(ValidationError, match="lines"):
        OrderPlaced.model_validate(_placed_order_data(lines=[]))


def test_example_order_totals_add_up() -> None:
    order = EXAMPLES["order.placed.v1"]
    assert isinstance(order, OrderPlaced)

    assert order.totals.adds_up()


def test_totals_that_do_not_add_up_are_told_apart() -> None:
    order = EXAMPLES["order.placed.v1"]
    assert isinstance(order, OrderPlaced)

    wrong = order.totals.model_copy(update={"total": order.totals.total + 1})

    assert not wrong.adds_up()


def test_refund_lines_default_to_none_named() -> None:
    refund = EXAMPLES["order.refunded.v1"].model_dump(mode="json")
    del refund["lines"]

    assert OrderRefunded.model_validate(refund).lines == ()


def test_email_hash_ignores_case_and_surrounding_space() -> None:
    assert email_sha256(" Anna@Example.com ") == email_sha256("anna@example.com")
    assert len(email_sha256("anna@example.com")) == 64


def test_customer_erased_carries_no_email_address() -> None:
    erased = EXAMPLES["customer.erased.v1"].model_dump_json()

    assert "@" not in erased


def test_validation_errors_do_not_repeat_personal_data() -> None:
    data = _placed_order_data()
    data["customer"] = {**data["customer"], "email": "anna at example.com"}

    with pytest.raises(ValidationError) as raised:
        OrderPlaced.model_validate(data)

    assert "anna at example.com" not in str(raised.value)


def test_unknown_fields_from_a_newer_producer_are_ignored() -> None:
    order = OrderPlaced.model_validate(_placed_order_data(gift_wrap=True))

    assert order == EXAMPLES["order.placed.v1"]


def test_document_totals_whose_gross_is_not_net_plus_tax_are_refused() -> None:
    with pytest.raises(ValidationError, match="gross must equal net plus tax"):
        DocumentTotals(net="39.00", tax="7.40", gross="46.41", currency="EUR")
