"""The envelope every event travels in, and the base of every payload."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, ClassVar, Generic, TypeVar
from uuid import UUID, uuid4

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field


class EventPayload(BaseModel):
    """The typed body of one event type at one schema version.

    Subclasses name their type and version as class variables; the routing key
    on the `orderflow.events` exchange is `<event_type>.v<version>`. Unknown
    fields are ignored, so a consumer still on an older copy of a version
    reads events that carry a newer optional field. Validation errors leave
    the input out: a payload may hold personal data, and error messages end up
    in logs and dead-letter headers.
    """

    model_config = ConfigDict(frozen=True, extra="ignore", hide_input_in_errors=True)

    event_type: ClassVar[str]
    version: ClassVar[int]

    @classmethod
    def routing_key(cls) -> str:
        return f"{cls.event_type}.v{cls.version}"


P = TypeVar("P", bound=EventPayload)


def _now() -> datetime:
    return datetime.now(UTC)


class Envelope(BaseModel, Generic[P]):
    """Metadata around a payload: identity, origin and causal chain."""

    model_config = ConfigDict(frozen=True, extra="ignore", hide_input_in_errors=True)

    event_id: UUID = Field(default_factory=uuid4)
    event_type: str = Field(min_length=1)
    schema_version: int = Field(ge=1)
    occurred_at: AwareDatetime = Field(default_factory=_now)
    producer: str = Field(min_length=1)
    correlation_id: str = Field(
        min_length=1, description="The order id, or the conversation id in support."
    )
    causation_id: UUID | None = Field(
        default=None, description="The id of the event that caused this one."
    )
    payload: P

    @property
    def routing_key(self) -> str:
        return f"{self.event_type}.v{self.schema_version}"


_PARAMETRISED: dict[type[EventPayload], Any] = {}


def envelope_of(payload_type: type[P]) -> type[Envelope[P]]:
    """The envelope model parametrised with one payload class.

    Each is built once and kept: pydantic holds parametrised models only
    weakly, and building one again after the garbage collector has taken it
    costs about a millisecond, on whichever message comes next.
    """
    if payload_type not in _PARAMETRISED:
        _PARAMETRISED[payload_type] = Envelope[payload_type]  # type: ignore[valid-type]
    envelope: type[Envelope[P]] = _PARAMETRISED[payload_type]
    return envelope


def wrap(
    payload: P,
    *,
    producer: str,
    correlation_id: str,
    causation_id: UUID | None = None,
    **envelope: Any,
) -> Envelope[P]:
    """Put a payload into a new envelope whose type and version match it."""
    envelope_type = envelope_of(type(payload))
    return envelope_type(
        event_type=payload.event_type,
        schema_version=payload.version,
        producer=producer,
        correlation_id=correlation_id,
        causation_id=causation_id,
        payload=payload,
        **envelope,
    )
