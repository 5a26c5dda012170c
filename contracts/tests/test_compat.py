"""The compatibility check names breaking changes and lets safe ones pass."""

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from orderflow.contracts.schemas.compat import incompatibilities

COMMITTED = Path(__file__).resolve().parents[1] / "schemas"


@pytest.fixture
def old() -> dict[str, Any]:
    text = (COMMITTED / "order.placed.v1.json").read_text()
    schema: dict[str, Any] = json.loads(text)
    return schema


@pytest.fixture
def new(old: dict[str, Any]) -> dict[str, Any]:
    return copy.deepcopy(old)


def _order(schema: dict[str, Any]) -> dict[str, Any]:
    order: dict[str, Any] = schema["$defs"]["OrderPlaced"]
    return order


def test_unchanged_schema_is_compatible(old: dict[str, Any]) -> None:
    assert incompatibilities(old, copy.deepcopy(old)) == []


def test_new_optional_field_is_compatible(
    old: dict[str, Any], new: dict[str, Any]
) -> None:
    _order(new)["properties"]["gift_message"] = {
        "anyOf": [{"type": "string"}, {"type": "null"}],
        "default": None,
    }

    assert incompatibilities(old, new) == []


def test_reworded_description_is_compatible(
    old: dict[str, Any], new: dict[str, Any]
) -> None:
    _order(new)["properties"]["paid"]["description"] = "Paid at the platform."
    new["$defs"]["Address"]["description"] = "Where to."

    assert incompatibilities(old, new) == []


def test_removed_field_is_flagged(old: dict[str, Any], new: dict[str, Any]) -> None:
    del _order(new)["properties"]["note"]

    assert incompatibilities(old, new) == ["payload.note: field removed"]


def test_retyped_field_is_flagged(old: dict[str, Any], new: dict[str, Any]) -> None:
    _order(new)["properties"]["order_number"]["type"] = "integer"

    assert incompatibilities(old, new) == [
        "payload.order_number: type changed from string to integer"
    ]


def test_field_made_nullable_is_flagged(
    old: dict[str, Any], new: dict[str, Any]
) -> None:
    field = _order(new)["properties"]["order_number"]
    _order(new)["properties"]["order_number"] = {
        "anyOf": [{"type": "string"}, {"type": "null"}],
        "title": field["title"],
    }

    assert incompatibilities(old, new) == [
        "payload.order_number: type changed from string to null | string"
    ]


def test_new_required_field_is_flagged(
    old: dict[str, Any], new: dict[str, Any]
) -> None:
    _order(new)["properties"]["channel"] = {"type": "string"}
    _order(new)["required"].append("channel")

    assert incompatibilities(old, new) == ["payload.channel: new required field"]


def test_field_made_required_is_flagged(
    old: dict[str, Any], new: dict[str, Any]
) -> None:
    new["$defs"]["Address"]["required"].append("city")

    problems = incompatibilities(old, new)

    assert "payload.billing_address.city: field made required" in problems
    assert "payload.shipping_address.city: field made required" in problems


def test_removed_enum_value_is_flagged(
    old: dict[str, Any], new: dict[str, Any]
) -> None:
    new["$defs"]["FinancialStatus"]["enum"].remove("voided")

    assert incompatibilities(old, new) == [
        "payload.financial_status: enum value removed: ['voided']"
    ]


def test_added_enum_value_is_flagged(old: dict[str, Any], new: dict[str, Any]) -> None:
    new["$defs"]["LineKind"]["enum"].append("service")

    assert incompatibilities(old, new) == [
        "payload.lines[].kind: enum value added: ['service']"
    ]


def test_tightened_constraint_is_flagged(
    old: dict[str, Any], new: dict[str, Any]
) -> None:
    _order(new)["properties"]["platform_order_id"]["maxLength"] = 64

    assert incompatibilities(old, new) == [
        "payload.platform_order_id: maxLength tightened from 255 to 64"
    ]


def test_changed_pattern_inside_a_nested_array_is_flagged(
    old: dict[str, Any], new: dict[str, Any]
) -> None:
    new["$defs"]["TaxLine"]["properties"]["rate"]["pattern"] = "^0\\.[0-9]{2}$"

    problems = incompatibilities(old, new)

    assert "payload.lines[].taxes[].rate: pattern changed" in problems[0]


def test_self_referencing_schema_is_walked_once() -> None:
    node = {
        "$defs": {
            "Node": {
                "type": "object",
                "properties": {"child": {"$ref": "#/$defs/Node"}},
            }
        },
        "$ref": "#/$defs/Node",
    }

    assert incompatibilities(node, copy.deepcopy(node)) == []


def test_constraint_added_inside_a_new_union_is_flagged(
    old: dict[str, Any], new: dict[str, Any]
) -> None:
    _order(new)["properties"]["order_number"] = {
        "anyOf": [{"type": "string", "maxLength": 20}],
        "title": "Order Number",
    }

    assert incompatibilities(old, new) == [
        "payload.order_number: maxLength tightened from none to 20"
    ]
