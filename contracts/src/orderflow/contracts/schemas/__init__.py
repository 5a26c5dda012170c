"""The committed JSON Schemas of every event version, and their guard.

Each catalogue entry has one file, `contracts/schemas/<routing key>.json`:
the schema of its whole envelope in validation mode, with sorted keys, so
that the same code always writes the same bytes. `export` writes the files,
refusing a change that would break a published version; `check` names every
file that is missing, stale, out of date or broken by the code.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from orderflow.contracts.catalogue import CATALOGUE
from orderflow.contracts.envelope import EventPayload, envelope_of
from orderflow.contracts.schemas.compat import incompatibilities

SCHEMA_DIR = Path(__file__).resolve().parents[4] / "schemas"
"""Where the schemas are committed, when the package runs from a checkout."""


def envelope_schema(payload: type[EventPayload]) -> dict[str, Any]:
    """The JSON Schema of the envelope that carries `payload`."""
    return envelope_of(payload).model_json_schema(mode="validation")


def schema_text(schema: Mapping[str, Any]) -> str:
    """The committed form of a schema: indented, sorted, newline at the end."""
    return json.dumps(schema, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def export(directory: Path = SCHEMA_DIR) -> list[str]:
    """Write every schema that changed compatibly; return the refused ones."""
    refused: list[str] = []
    for routing_key, payload in CATALOGUE.items():
        path = directory / f"{routing_key}.json"
        schema = envelope_schema(payload)
        breaks = _breaks(routing_key, path, schema)
        if breaks:
            refused += breaks
        else:
            path.write_text(schema_text(schema), encoding="utf-8")
    return refused


def check(directory: Path = SCHEMA_DIR) -> list[str]:
    """Every problem of the committed schemas against the code."""
    problems: list[str] = []
    for routing_key, payload in CATALOGUE.items():
        problems += _check_one(routing_key, directory / f"{routing_key}.json", payload)
    problems += [
        f"{path.name}: committed, but the catalogue has no such event version"
        for path in sorted(directory.glob("*.json"))
        if path.stem not in CATALOGUE
    ]
    return problems


def _check_one(routing_key: str, path: Path, payload: type[EventPayload]) -> list[str]:
    if not path.exists():
        return [f"{routing_key}: no committed schema at {path}; run export"]
    schema = envelope_schema(payload)
    breaks = _breaks(routing_key, path, schema)
    if breaks:
        return breaks
    if path.read_text(encoding="utf-8") != schema_text(schema):
        return [f"{routing_key}: the committed schema is out of date; run export"]
    return []


def _breaks(routing_key: str, path: Path, schema: Mapping[str, Any]) -> list[str]:
    if not path.exists():
        return []
    committed = json.loads(path.read_text(encoding="utf-8"))
    return [
        f"{routing_key}: incompatible change, {problem}"
        for problem in incompatibilities(committed, schema)
    ]
