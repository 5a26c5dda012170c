"""The committed JSON Schemas match the code, and the commands guard them."""

import json
from pathlib import Path

import pytest

from orderflow.contracts import CATALOGUE, OrderPlaced
from orderflow.contracts.schemas import (
    SCHEMA_DIR,
    check,
    envelope_schema,
    export,
    schema_text,
)
from orderflow.contracts.schemas.__main__ import main

COMMITTED = Path(__file__).resolve().parents[1] / "schemas"


def test_schema_dir_is_the_committed_one() -> None:
    assert SCHEMA_DIR == COMMITTED


def test_committed_schemas_match_the_code() -> None:
    assert check(COMMITTED) == []


def test_one_schema_file_per_catalogue_entry_is_committed() -> None:
    assert {path.stem for path in COMMITTED.glob("*.json")} == set(CATALOGUE)


def test_schema_text_is_deterministic_with_sorted_keys_and_a_newline() -> None:
    text = schema_text(envelope_schema(OrderPlaced))

    assert text == schema_text(envelope_schema(OrderPlaced))
    assert text.endswith("}\n")
    assert list(json.loads(text)) == sorted(json.loads(text))


def test_money_in_a_schema_is_a_string() -> None:
    schema = envelope_schema(OrderPlaced)

    unit_price = schema["$defs"]["OrderLine"]["properties"]["unit_price"]
    assert unit_price["type"] == "string"


def test_export_into_an_empty_directory_passes_the_check(tmp_path: Path) -> None:
    assert export(tmp_path) == []

    assert check(tmp_path) == []


def test_check_names_a_missing_schema(tmp_path: Path) -> None:
    export(tmp_path)
    (tmp_path / "order.placed.v1.json").unlink()

    assert check(tmp_path) == [
        f"order.placed.v1: no committed schema at {tmp_path / 'order.placed.v1.json'}"
        "; run export"
    ]


def test_check_names_a_schema_out_of_date(tmp_path: Path) -> None:
    export(tmp_path)
    path = tmp_path / "payment.captured.v1.json"
    schema = json.loads(path.read_text())
    schema["description"] = "reworded"
    path.write_text(schema_text(schema))

    assert check(tmp_path) == [
        "payment.captured.v1: the committed schema is out of date; run export"
    ]


def test_check_names_a_schema_without_an_event(tmp_path: Path) -> None:
    export(tmp_path)
    (tmp_path / "order.placed.v0.json").write_text("{}\n")

    assert check(tmp_path) == [
        "order.placed.v0.json: committed, but the catalogue has no such event version"
    ]


def _commit_with_extra_required_field(directory: Path) -> Path:
    export(directory)
    path = directory / "invoice.issued.v1.json"
    schema = json.loads(path.read_text())
    invoice = schema["$defs"]["InvoiceIssued"]
    invoice["properties"]["legacy_code"] = {"type": "string"}
    invoice["required"].append("legacy_code")
    path.write_text(schema_text(schema))
    return path


def test_check_names_an_incompatible_change(tmp_path: Path) -> None:
    _commit_with_extra_required_field(tmp_path)

    assert check(tmp_path) == [
        "invoice.issued.v1: incompatible change, payload.legacy_code: field removed"
    ]


def test_export_refuses_to_overwrite_with_an_incompatible_schema(
    tmp_path: Path,
) -> None:
    path = _commit_with_extra_required_field(tmp_path)
    before = path.read_text()

    refused = export(tmp_path)

    assert refused == [
        "invoice.issued.v1: incompatible change, payload.legacy_code: field removed"
    ]
    assert path.read_text() == before


def test_check_command_exits_non_zero_and_names_the_problem(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _commit_with_extra_required_field(tmp_path)

    status = main(["check", "--dir", str(tmp_path)])

    assert status == 1
    assert "payload.legacy_code: field removed" in capsys.readouterr().err


def test_check_command_exits_zero_on_the_committed_schemas() -> None:
    assert main(["check", "--dir", str(COMMITTED)]) == 0


def test_command_refuses_a_directory_that_does_not_exist(tmp_path: Path) -> None:
    assert main(["export", "--dir", str(tmp_path / "nowhere")]) == 2

    assert not (tmp_path / "nowhere").exists()
