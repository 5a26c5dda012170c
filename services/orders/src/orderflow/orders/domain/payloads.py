"""What the platform normalisers share: tolerant input models, their errors.

The platforms' payloads are read with pydantic models that name only the
fields Orderflow uses and ignore the rest, straight from the raw bytes. A
body that is not JSON is malformed (400); one that is JSON but misses a
field or has the wrong type misfits (422), with the paths of the fields in
the platform's own names.

PostgreSQL text cannot hold a NUL character, so a NUL in the platform's
text (`\u0000`, which a customer can type into a note) is dropped before
the payload is read; the raw body is stored as it came.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError
from pydantic_core import ErrorDetails

from orderflow.contracts import OrderPlaced, OrderUpdated
from orderflow.orders.errors import MalformedBody, PayloadMisfit

M = TypeVar("M", bound=BaseModel)

_NOT_JSON = {"json_invalid", "json_type"}
_NUL_ESCAPE = b"\\u0000"
_FOUR_PLACES = Decimal("0.0001")


class PlatformModel(BaseModel):
    """Base of the input models: ids arrive as numbers and are kept as text."""

    model_config = ConfigDict(
        extra="ignore",
        coerce_numbers_to_str=True,
        hide_input_in_errors=True,
        frozen=True,
    )


def read_json(model: type[M], body: bytes) -> M:
    """Parse and check a JSON body in one pass."""
    if _NUL_ESCAPE in body:
        return read_fields(model, without_nul(_parsed(body)))
    try:
        return model.model_validate_json(body)
    except ValidationError as error:
        raise rejection(error) from None


def read_fields(model: type[M], fields: dict[str, Any], at: str = "") -> M:
    """Check fields that were parsed already, such as form data.

    `at` is the path of the fields in the payload, for the error's paths.
    """
    try:
        return model.model_validate(fields)
    except ValidationError as error:
        raise rejection(error, at) from None


def build(model: type[M], **fields: Any) -> M:
    """Build an event payload; what does not fit is the delivery's fault."""
    try:
        return model(**fields)
    except ValidationError as error:
        raise rejection(error) from None


def rejection(error: ValidationError, at: str = "") -> MalformedBody | PayloadMisfit:
    """The answer to a body that failed validation: 400 or 422."""
    problems = error.errors(include_url=False, include_input=False)
    if any(problem["type"] in _NOT_JSON for problem in problems):
        return MalformedBody("the body is not valid JSON")
    prefix = (at,) if at else ()
    return PayloadMisfit(
        [
            (field_path((*prefix, *problem["loc"])), problem["msg"])
            for problem in problems
            if not _follows_from_another(problem, problems)
        ]
    )


def _follows_from_another(problem: ErrorDetails, problems: list[ErrorDetails]) -> bool:
    """Whether `problem` only says that a list is short of the items that failed."""
    loc = problem["loc"]
    return problem["type"] == "too_short" and any(
        other["loc"][: len(loc)] == loc and len(other["loc"]) > len(loc)
        for other in problems
    )


def field_path(loc: Iterable[int | str]) -> str:
    return ".".join(str(part) for part in loc) or "(body)"


def without_nul(value: Any) -> Any:
    """`value` with every NUL character taken out of its text."""
    if isinstance(value, str):
        return value.replace("\x00", "")
    if isinstance(value, list | tuple):
        return type(value)(without_nul(item) for item in value)
    if isinstance(value, dict):
        return {without_nul(k): without_nul(v) for k, v in value.items()}
    return value


def _parsed(body: bytes) -> dict[str, Any]:
    try:
        parsed = json.loads(body, parse_float=Decimal)
    except ValueError:
        raise MalformedBody("the body is not valid JSON") from None
    if not isinstance(parsed, dict):
        raise PayloadMisfit([("(body)", "Input should be an object")])
    return parsed


def total(amounts: Iterable[Decimal]) -> Decimal:
    return sum(amounts, Decimal(0))


def unit_price(line_total: Decimal, quantity: int) -> Decimal:
    """The price of one unit of a line: exact, or to four places if it is not."""
    price = line_total / quantity
    if price * quantity != line_total:
        price = price.quantize(_FOUR_PLACES)
    return price


def update_from(placed: OrderPlaced, updated_at: datetime) -> OrderUpdated:
    """An update that sets every field the platform sent again.

    The ledger reduces it to the fields that actually changed.
    """
    fields = {
        name: getattr(placed, name)
        for name in OrderUpdated.model_fields
        if name in OrderPlaced.model_fields
    }
    return OrderUpdated(**(fields | {"updated_at": updated_at}))


def text(value: str | None) -> str | None:
    """A platform's optional text, with empty strings as None."""
    if value is None:
        return None
    value = value.strip()
    return value or None
