"""The wrapper around every event handler: validate, dedupe, retry, dead-letter.

For each delivery it parses the envelope of the subscribed event type, binds
the log context, and runs the handler in one transaction that also records
`(subscription, event_id)` in the inbox, so a duplicate delivery is skipped.
A transient failure goes to the next delay tier and comes back to the same
queue; a permanent one, an invalid message, or the last attempt goes to the
service's dead-letter queue with headers that say why.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import asyncpg
import structlog
from faststream.rabbit import RabbitBroker, RabbitMessage
from pydantic import ValidationError

from orderflow.backbone import metrics, topology
from orderflow.backbone.batching import BatchApplier
from orderflow.backbone.errors import InvalidEvent, is_transient
from orderflow.backbone.logging import get_logger
from orderflow.backbone.settings import BackboneSettings
from orderflow.backbone.unit_of_work import UnitOfWork, unit_of_work
from orderflow.contracts.envelope import Envelope, EventPayload

log = get_logger(__name__)

Handler = Callable[[Envelope[Any], UnitOfWork], Awaitable[None]]

# A retried copy starts without the broker's death headers, so they do not
# pile up tier after tier.
_BROKER_HEADERS = topology.BROKER_DEATH_HEADERS | {topology.DELAY_HEADER}
_MAX_ERROR_MESSAGE = 1000
_GIVE_BACK_PAUSE = 1.0


@dataclass(frozen=True)
class Subscription:
    """One handler of one event type at one version, in one service."""

    service: str
    payload: type[EventPayload]
    handler: Handler
    batched: bool = False

    @property
    def routing_key(self) -> str:
        return self.payload.routing_key()

    @property
    def queue_name(self) -> str:
        return topology.subscription_queue_name(self.service, self.routing_key)


class Consumer:
    """Runs one subscription's handler for each message of its queue."""

    def __init__(
        self,
        subscription: Subscription,
        *,
        broker: RabbitBroker,
        pool: Callable[[], asyncpg.Pool],
        settings: BackboneSettings,
    ) -> None:
        self.subscription = subscription
        self._broker = broker
        self._pool = pool
        self._settings = settings
        self._envelope_type: Any = Envelope[subscription.payload]  # type: ignore[name-defined]
        self._labels = (subscription.service, subscription.queue_name)
        self._batches = (
            BatchApplier(
                service=subscription.service,
                queue_name=subscription.queue_name,
                handler=subscription.handler,
                pool=pool,
                apply_alone=self._handle,
                max_batch=settings.batch_size,
                workers=max(1, settings.database_pool_size // 2),
            )
            if subscription.batched
            else None
        )

    async def close(self) -> None:
        """Stop the batch workers, once no delivery is in flight any more."""
        if self._batches is not None:
            await self._batches.close()

    async def __call__(self, message: RabbitMessage) -> None:
        started = time.perf_counter()
        attempt = _int_header(message.headers, topology.ATTEMPT_HEADER) + 1
        with structlog.contextvars.bound_contextvars(
            subscription=self.subscription.queue_name,
            message_id=message.message_id,
            attempt=attempt,
        ):
            try:
                outcome = await self._consume(message, attempt)
            except Exception as exc:  # noqa: BLE001 - the message must not hang
                outcome = await self._give_back(message, exc)
            elapsed = time.perf_counter() - started
            metrics.HANDLER_SECONDS.labels(*self._labels).observe(elapsed)
            log.info("message.handled", outcome=outcome, duration_ms=elapsed * 1000)

    async def _consume(self, message: RabbitMessage, attempt: int) -> str:
        try:
            envelope = self._parse(message.body)
        except InvalidEvent as exc:
            await self._dead_letter(message, exc, attempt, reason="invalid")
            await message.ack()
            return "dead-lettered"
        structlog.contextvars.bind_contextvars(
            event_id=str(envelope.event_id),
            event_type=envelope.routing_key,
            correlation_id=envelope.correlation_id,
        )
        apply = self._batches.apply if self._batches else self._handle
        try:
            applied = await apply(envelope)
        except Exception as exc:  # noqa: BLE001 - every failure is routed somewhere
            outcome = await self._fail(message, exc, attempt)
        else:
            outcome = "applied" if applied else "duplicate"
            metrics.MESSAGES_HANDLED.labels(*self._labels, outcome).inc()
        await message.ack()
        return outcome

    async def _give_back(self, message: RabbitMessage, exc: Exception) -> str:
        """Return a message we could neither settle nor reroute to its queue.

        This happens when the broker or the database goes away mid-message.
        The pause keeps it from spinning; the queue's delivery limit ends a
        message that keeps coming back in the dead-letter queue.
        """
        log.warning("message.returned", error_type=type(exc).__name__)
        await asyncio.sleep(_GIVE_BACK_PAUSE)
        with contextlib.suppress(Exception):
            await message.nack(requeue=True)
        return "returned"

    def _parse(self, body: bytes) -> Envelope[Any]:
        try:
            envelope: Envelope[Any] = self._envelope_type.model_validate_json(body)
        except ValidationError as exc:
            raise InvalidEvent(describe_validation_error(exc)) from None
        if envelope.routing_key != self.subscription.routing_key:
            raise InvalidEvent(
                f"envelope says {envelope.routing_key!r}, "
                f"queue expects {self.subscription.routing_key!r}"
            )
        return envelope

    async def _handle(self, envelope: Envelope[Any]) -> bool:
        """Run the handler once per event; False when it had already run."""
        async with unit_of_work(
            self._pool(),
            producer=self.subscription.service,
            schema=self.subscription.service,
            cause=envelope,
        ) as uow:
            recorded = await uow.conn.fetchval(
                "INSERT INTO inbox (subscription, event_id) VALUES ($1, $2)"
                " ON CONFLICT DO NOTHING RETURNING true",
                self.subscription.queue_name,
                envelope.event_id,
            )
            if not recorded:
                return False
            await self.subscription.handler(envelope, uow)
        return True

    async def _fail(self, message: RabbitMessage, exc: Exception, attempt: int) -> str:
        error_type = type(exc).__name__
        metrics.MESSAGES_FAILED.labels(*self._labels, error_type).inc()
        if not is_transient(exc):
            await self._dead_letter(message, exc, attempt, reason="permanent")
            return "dead-lettered"
        if attempt >= self._settings.attempts:
            await self._dead_letter(message, exc, attempt, reason="exhausted")
            return "dead-lettered"
        await self._retry(message, exc, attempt)
        return "retried"

    async def _retry(
        self, message: RabbitMessage, exc: Exception, attempt: int
    ) -> None:
        delay = topology.delay_ms(self._settings.retry_delays[attempt - 1])
        headers = _carried_headers(message.headers)
        headers[topology.ATTEMPT_HEADER] = attempt
        headers[topology.DELAY_HEADER] = str(delay)
        headers.setdefault(topology.FIRST_FAILED_HEADER, _now())
        await self._republish(
            message, topology.DELAY_EXCHANGE, self.subscription.queue_name, headers
        )
        metrics.MESSAGES_RETRIED.labels(*self._labels).inc()
        log.warning(
            "message.retry_scheduled",
            error_type=type(exc).__name__,
            error=_error_text(exc),
            delay_ms=delay,
        )

    async def _dead_letter(
        self, message: RabbitMessage, exc: Exception, attempt: int, *, reason: str
    ) -> None:
        headers = _carried_headers(message.headers)
        headers.setdefault(topology.FIRST_FAILED_HEADER, _now())
        headers.update(
            {
                topology.ATTEMPT_HEADER: attempt,
                topology.ORIGINAL_QUEUE_HEADER: self.subscription.queue_name,
                topology.REASON_HEADER: reason,
                topology.ERROR_TYPE_HEADER: type(exc).__name__,
                topology.ERROR_MESSAGE_HEADER: _error_text(exc),
                topology.DEAD_LETTERED_AT_HEADER: _now(),
            }
        )
        dlq = topology.dead_letter_queue_name(self.subscription.service)
        await self._republish(message, topology.DEAD_LETTER_EXCHANGE, dlq, headers)
        metrics.MESSAGES_DEAD_LETTERED.labels(*self._labels, reason).inc()
        log.error(
            "message.dead_lettered",
            reason=reason,
            error_type=type(exc).__name__,
            error=_error_text(exc),
        )

    async def _republish(
        self,
        message: RabbitMessage,
        exchange: Any,
        routing_key: str,
        headers: dict[str, Any],
    ) -> None:
        await self._broker.publish(
            message.body,
            exchange=exchange,
            routing_key=routing_key,
            headers=headers,
            message_id=message.message_id,
            correlation_id=message.correlation_id,
            content_type=message.content_type or "application/json",
            persist=True,
            mandatory=True,
        )


def describe_validation_error(exc: ValidationError) -> str:
    """The fields at fault and why, without the values (they may be personal)."""
    problems = [
        f"{'.'.join(str(part) for part in error['loc']) or '(body)'}: {error['msg']}"
        for error in exc.errors(include_url=False, include_input=False)
    ]
    return "; ".join(problems)


def _error_text(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        text = describe_validation_error(exc)
    else:
        text = str(exc) or type(exc).__name__
    return text[:_MAX_ERROR_MESSAGE]


def _carried_headers(headers: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in headers.items() if k not in _BROKER_HEADERS}


def _int_header(headers: Mapping[str, Any], name: str) -> int:
    try:
        return int(headers.get(name, 0))
    except (TypeError, ValueError):
        return 0


def _now() -> str:
    return datetime.now(UTC).isoformat()
