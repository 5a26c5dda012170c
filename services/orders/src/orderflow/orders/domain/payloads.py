"""What the platform normalisers share: tolerant input models, their errors.

The platforms' payloads are read with pydantic models that name only the
fields Orderflow uses and ignore the rest, straight from the raw bytes. A
body that is not JSON is malformed (400); one that is JSON but misses a
field or has the wrong type misfits (422), with the paths of the fields in
the platform's own names.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError

from orderflow.contracts import OrderPlaced, OrderUpdated
from orderflow.orders.errors import MalformedBody, PayloadMisfit

M = TypeVar("M", bound=BaseModel)

_NOT_JSON = {"json_invalid", "json_type"}


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
    try:
        return model.model_validate_json(body)
    except ValidationError as error:
        raise rejection(error) from None


def read_fields(model: type[M], fields: dict[str, Any]) -> M:
    """Check fields that were parsed already, such as form data."""
    try:
        return model.model_validate(fields)
    except ValidationError as error:
        raise rejection(error) from None


def build(model: type[M], **fields: Any) -> M:
    """Build an event payload; what does not fit is the delivery's fault."""
    try:
        return model(**fields)
    except ValidationError as error:
        raise rejection(error) from None


def rejection(error: ValidationError) -> MalformedBody | PayloadMisfit:
    """The answer to a body that failed validation: 400 or 422."""
    problems = error.errors(include_url=False, include_input=False)
    if any(problem["type"] in _NOT_JSON for problem in problems):
        return MalformedBody("the body is not valid JSON")
    return PayloadMisfit(
        [(field_path(problem["loc"]), problem["msg"]) for problem in problems]
    )


def field_path(loc: Iterable[int | str]) -> str:
    return ".".join(str(part) for part in loc) or "(body)"


def total(amounts: Iterable[Decimal]) -> Decimal:
    return sum(amounts, Decimal(0))


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
