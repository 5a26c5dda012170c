"""One database transaction, and the events it will publish when it commits."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import asyncpg

from orderflow.backbone.database import Connection
from orderflow.backbone.outbox import add_to_outbox
from orderflow.contracts.envelope import Envelope, EventPayload, wrap


@dataclass
class UnitOfWork:
    """What a handler or route gets: a connection inside a transaction.

    `emit` queues an event; it is written to the outbox just before the
    transaction commits, so the event exists exactly when the change does.
    """

    conn: Connection
    producer: str
    cause: Envelope[Any] | None = None
    emitted: list[Envelope[Any]] = field(default_factory=list)

    def emit(
        self, payload: EventPayload, *, correlation_id: str | None = None
    ) -> Envelope[Any]:
        """Queue an event; its correlation and causation follow the cause."""
        if correlation_id is None:
            if self.cause is None:
                raise ValueError("an event without a cause needs a correlation_id")
            correlation_id = self.cause.correlation_id
        envelope = wrap(
            payload,
            producer=self.producer,
            correlation_id=correlation_id,
            causation_id=self.cause.event_id if self.cause else None,
        )
        self.emitted.append(envelope)
        return envelope


@asynccontextmanager
async def unit_of_work(
    pool: asyncpg.Pool,
    *,
    producer: str,
    schema: str,
    cause: Envelope[Any] | None = None,
) -> AsyncIterator[UnitOfWork]:
    """Run a block in one transaction that also writes its events."""
    async with pool.acquire() as conn, conn.transaction():
        uow = UnitOfWork(conn=conn, producer=producer, cause=cause)
        yield uow
        await add_to_outbox(conn, schema, uow.emitted)
