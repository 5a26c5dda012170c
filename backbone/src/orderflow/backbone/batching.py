"""Applying several deliveries of one subscription in one transaction.

A transaction per message costs a handful of round trips to PostgreSQL and
a commit. For a handler whose whole effect is in the service's own database
(no email sent, no API called), a subscription can be batched: deliveries
that arrive together are applied in one transaction, with one multi-row
inbox insert and one outbox insert. Under light load a batch holds one
delivery and nothing changes.

If anything in a batch fails, the transaction rolls back and each delivery
is applied again on its own, so that one bad message fails alone and goes
through the usual retries. That is why only handlers without effects outside
the database may be batched: a handler in a failed batch runs twice.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import asyncpg

from orderflow.backbone.logging import get_logger
from orderflow.backbone.outbox import add_to_outbox
from orderflow.backbone.unit_of_work import UnitOfWork
from orderflow.contracts.envelope import Envelope

log = get_logger(__name__)

Handler = Callable[[Envelope[Any], UnitOfWork], Awaitable[None]]
ApplyAlone = Callable[[Envelope[Any]], Awaitable[bool]]


@dataclass(frozen=True)
class _Pending:
    envelope: Envelope[Any]
    outcome: asyncio.Future[bool]


class BatchApplier:
    """Collects one subscription's deliveries and applies them in batches."""

    def __init__(
        self,
        *,
        service: str,
        queue_name: str,
        handler: Handler,
        pool: Callable[[], asyncpg.Pool],
        apply_alone: ApplyAlone,
        max_batch: int,
        workers: int,
    ) -> None:
        self._service = service
        self._queue_name = queue_name
        self._handler = handler
        self._pool = pool
        self._apply_alone = apply_alone
        self._max_batch = max_batch
        self._workers = workers
        self._pending: asyncio.Queue[_Pending] | None = None
        self._tasks: list[asyncio.Task[None]] = []

    async def apply(self, envelope: Envelope[Any]) -> bool:
        """Apply the event with whatever else is waiting; False for a duplicate."""
        pending = _Pending(envelope, asyncio.get_running_loop().create_future())
        self._queue().put_nowait(pending)
        return await pending.outcome

    async def close(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks.clear()
        self._pending = None

    def _queue(self) -> asyncio.Queue[_Pending]:
        if self._pending is None:
            self._pending = asyncio.Queue()
            self._tasks = [
                asyncio.create_task(self._work(self._pending))
                for _ in range(self._workers)
            ]
        return self._pending

    async def _work(self, pending: asyncio.Queue[_Pending]) -> None:
        while True:
            batch = [await pending.get()]
            while len(batch) < self._max_batch and not pending.empty():
                batch.append(pending.get_nowait())
            await self._settle(batch)

    async def _settle(self, batch: list[_Pending]) -> None:
        if len(batch) > 1:
            try:
                outcomes = await self._apply_together(batch)
            except Exception as exc:  # noqa: BLE001 - each is tried alone instead
                log.info("batch.split", size=len(batch), error_type=type(exc).__name__)
            else:
                for item, applied in zip(batch, outcomes, strict=True):
                    _resolve(item.outcome, applied)
                return
        for item in batch:
            try:
                applied = await self._apply_alone(item.envelope)
            except Exception as exc:  # noqa: BLE001 - the consumer routes it
                _fail(item.outcome, exc)
            else:
                _resolve(item.outcome, applied)

    async def _apply_together(self, batch: list[_Pending]) -> list[bool]:
        ids = sorted({item.envelope.event_id for item in batch})
        async with self._pool().acquire() as conn, conn.transaction():
            rows = await conn.fetch(
                "INSERT INTO inbox (subscription, event_id)"
                " SELECT $1, unnest($2::uuid[]) ON CONFLICT DO NOTHING"
                " RETURNING event_id",
                self._queue_name,
                ids,
            )
            fresh = {row["event_id"] for row in rows}
            outcomes: list[bool] = []
            emitted: list[Envelope[Any]] = []
            for item in batch:
                applied = item.envelope.event_id in fresh
                fresh.discard(item.envelope.event_id)
                if applied:
                    uow = UnitOfWork(conn, producer=self._service, cause=item.envelope)
                    await self._handler(item.envelope, uow)
                    emitted.extend(uow.emitted)
                outcomes.append(applied)
            await add_to_outbox(conn, self._service, emitted)
        return outcomes


def _resolve(outcome: asyncio.Future[bool], applied: bool) -> None:
    if not outcome.done():
        outcome.set_result(applied)


def _fail(outcome: asyncio.Future[bool], exc: Exception) -> None:
    if not outcome.done():
        outcome.set_exception(exc)
