"""Group commit: one transaction for many requests, one bad item fails alone."""

from __future__ import annotations

import asyncio

import pytest

from orderflow.orders.adapters.group_commit import GroupCommit
from orderflow.orders.errors import IntakeUnavailable


async def test_waiting_requests_share_one_commit() -> None:
    batches: list[list[int]] = []

    async def commit(items: list[int]) -> list[int]:
        batches.append(items)
        await asyncio.sleep(0.01)
        return [item * 10 for item in items]

    writer: GroupCommit[int, int] = GroupCommit(commit, writers=1)
    async with writer.running():
        results = await asyncio.gather(*(writer.submit(n) for n in range(20)))

    assert results == [n * 10 for n in range(20)]
    assert len(batches) < 20


async def test_one_bad_item_fails_alone() -> None:
    async def commit(items: list[int]) -> list[int]:
        if 13 in items:
            raise ValueError("item 13 breaks a constraint")
        return items

    writer: GroupCommit[int, int] = GroupCommit(commit, writers=1)
    async with writer.running():
        results = await asyncio.gather(
            *(writer.submit(n) for n in range(10, 16)), return_exceptions=True
        )

    assert [type(r).__name__ for r in results].count("ValueError") == 1
    assert [r for r in results if isinstance(r, int)] == [10, 11, 12, 14, 15]


async def test_submit_before_start_is_refused() -> None:
    async def commit(items: list[int]) -> list[int]:
        return items

    writer: GroupCommit[int, int] = GroupCommit(commit)

    with pytest.raises(IntakeUnavailable):
        await writer.submit(1)
