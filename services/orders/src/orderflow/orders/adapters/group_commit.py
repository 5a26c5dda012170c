"""Group commit: many requests' writes committed in one transaction.

A request queues its item and waits; a writer takes whatever has queued up
(at most `batch_size` items), commits it in one transaction and answers
every waiting request at once. Under load the batches grow and the cost of
a commit is shared; when idle a batch holds a single item and is committed
at once. A batch that fails is tried again item by item, so that one bad
item fails alone.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from typing import Generic, TypeVar

from orderflow.backbone.logging import get_logger
from orderflow.orders.errors import IntakeUnavailable

log = get_logger(__name__)

T = TypeVar("T")
R = TypeVar("R")

Commit = Callable[[list[T]], Awaitable[Sequence[R]]]


class GroupCommit(Generic[T, R]):
    """Commits submitted items in batches with `commit`, which returns results."""

    def __init__(
        self, commit: Commit[T, R], *, batch_size: int = 256, writers: int = 2
    ) -> None:
        self._commit = commit
        self._batch_size = batch_size
        self._writers = writers
        self._queue: asyncio.Queue[tuple[T, asyncio.Future[R]]] | None = None

    async def submit(self, item: T) -> R:
        """Queue `item`; return its result once its batch has committed."""
        if self._queue is None:
            raise IntakeUnavailable("the intake is not running")
        future: asyncio.Future[R] = asyncio.get_running_loop().create_future()
        self._queue.put_nowait((item, future))
        return await asyncio.shield(future)

    @asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        """Run the writers; refuse what is still queued when stopped."""
        queue: asyncio.Queue[tuple[T, asyncio.Future[R]]] = asyncio.Queue()
        self._queue = queue
        tasks = [
            asyncio.create_task(self._write(queue), name=f"group-commit-{n}")
            for n in range(self._writers)
        ]
        try:
            yield
        finally:
            self._queue = None
            for task in tasks:
                task.cancel()
            for task in tasks:
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            while not queue.empty():
                _, future = queue.get_nowait()
                future.set_exception(IntakeUnavailable("the intake has stopped"))

    async def _write(self, queue: asyncio.Queue[tuple[T, asyncio.Future[R]]]) -> None:
        while True:
            batch = [await queue.get()]
            while len(batch) < self._batch_size and not queue.empty():
                batch.append(queue.get_nowait())
            await self._commit_batch(batch)

    async def _commit_batch(self, batch: list[tuple[T, asyncio.Future[R]]]) -> None:
        try:
            results = await self._commit([item for item, _ in batch])
        except Exception as error:  # noqa: BLE001 - each item gets its own answer
            if len(batch) == 1:
                _fail(batch[0][1], error)
                return
            log.warning(
                "group_commit.failed", size=len(batch), error=type(error).__name__
            )
            for entry in batch:
                await self._commit_batch([entry])
            return
        for (_, future), result in zip(batch, results, strict=True):
            if not future.done():
                future.set_result(result)


def _fail(future: asyncio.Future[R], error: BaseException) -> None:
    if not future.done():
        future.set_exception(error)
