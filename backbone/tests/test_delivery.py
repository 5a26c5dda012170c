"""What a subscription does with each delivery: apply once, retry, dead-letter."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from backbone_harness import Harness, ThingHappened, eventually, record_effect, thing

from orderflow.backbone.dead_letters import DeadLetter
from orderflow.backbone.errors import PermanentError, TransientError
from orderflow.backbone.unit_of_work import UnitOfWork
from orderflow.contracts.envelope import Envelope


async def test_duplicate_delivery_applies_the_event_once(harness: Harness) -> None:
    service = harness.service()
    event = thing()

    async with harness.running(service):
        await harness.send(event)
        await harness.send(event)
        await eventually(lambda: _handled(harness, 2))

    assert await harness.effects() == 1


async def test_concurrent_duplicates_apply_the_event_once(harness: Harness) -> None:
    started = asyncio.Event()
    calls = 0

    async def slow_effect(event: Envelope[ThingHappened], uow: UnitOfWork) -> None:
        nonlocal calls
        calls += 1
        started.set()
        await record_effect(event, uow)
        await asyncio.sleep(0.5)

    service = harness.service(slow_effect, prefetch=10)
    event = thing()

    async with harness.running(service):
        await asyncio.gather(harness.send(event), harness.send(event))
        await eventually(lambda: _handled(harness, 2))

    assert await harness.effects() == 1
    assert calls <= 2


async def test_transient_failure_succeeds_on_a_later_tier(harness: Harness) -> None:
    attempts: list[int] = []

    async def flaky(event: Envelope[ThingHappened], uow: UnitOfWork) -> None:
        attempts.append(len(attempts) + 1)
        if len(attempts) < 3:
            raise TransientError("the carrier's API timed out")
        await record_effect(event, uow)

    service = harness.service(flaky)

    async with harness.running(service):
        await harness.send(thing())
        await eventually(lambda: _effects_reach(harness, 1))

    assert attempts == [1, 2, 3]
    assert await _dead_letters(harness) == []


async def test_persistent_failure_is_dead_lettered_after_the_configured_attempts(
    harness: Harness,
) -> None:
    calls: dict[str, int] = {}

    async def fails_for_bad(event: Envelope[ThingHappened], uow: UnitOfWork) -> None:
        thing_id = event.payload.thing_id
        calls[thing_id] = calls.get(thing_id, 0) + 1
        if thing_id == "bad":
            raise TransientError("still down")
        await record_effect(event, uow)

    service = harness.service(fails_for_bad, retry_delays=[0.3, 0.3, 0.3])

    async with harness.running(service):
        await harness.send(thing("bad"))
        for n in range(5):
            await harness.send(thing(f"good-{n}"))
        await eventually(lambda: _effects_reach(harness, 5))
        good_done_while_bad_retried = calls["bad"] < 4
        await eventually(lambda: _dead_letter_count(harness, 1))

    assert good_done_while_bad_retried
    assert calls["bad"] == 4
    [letter] = await _dead_letters(harness)
    assert letter.reason == "exhausted"
    assert letter.attempts == 4
    assert letter.error_type == "TransientError"
    assert letter.error_message == "still down"
    assert letter.original_queue == harness.queue


async def test_permanent_failure_is_dead_lettered_at_once(harness: Harness) -> None:
    calls = 0

    async def refuses(event: Envelope[ThingHappened], uow: UnitOfWork) -> None:
        nonlocal calls
        calls += 1
        raise PermanentError("order total is negative")

    service = harness.service(refuses)

    async with harness.running(service):
        await harness.send(thing())
        await eventually(lambda: _dead_letter_count(harness, 1))

    assert calls == 1
    [letter] = await _dead_letters(harness)
    assert letter.reason == "permanent"
    assert letter.attempts == 1


async def test_invalid_envelope_is_dead_lettered_at_once_with_the_reason(
    harness: Harness,
) -> None:
    calls = 0

    async def never(event: Envelope[ThingHappened], uow: UnitOfWork) -> None:
        nonlocal calls
        calls += 1

    service = harness.service(never)
    broken = thing().model_dump(mode="json")
    del broken["payload"]["thing_id"]
    broken["producer"] = ""

    async with harness.running(service):
        await harness.publish(b"{not json", message_id="m-1")
        await harness.publish(_json(broken), message_id="m-2")
        await eventually(lambda: _dead_letter_count(harness, 2))
        await asyncio.sleep(1.0)

    assert calls == 0
    letters = await _dead_letters(harness)
    assert [letter.reason for letter in letters] == ["invalid", "invalid"]
    assert [letter.attempts for letter in letters] == [1, 1]
    by_id = {letter.event_id: letter.error_message or "" for letter in letters}
    assert "Invalid JSON" in by_id["m-1"]
    assert "payload.thing_id: Field required" in by_id["m-2"]
    assert "producer: String should have at least 1 character" in by_id["m-2"]


async def test_event_of_another_type_on_the_queue_is_refused(harness: Harness) -> None:
    service = harness.service()
    other = thing().model_dump(mode="json") | {"event_type": "order.placed"}

    async with harness.running(service):
        await harness.publish(_json(other), message_id="m-3")
        await eventually(lambda: _dead_letter_count(harness, 1))

    [letter] = await _dead_letters(harness)
    assert "queue expects 'backbone_test.thing_happened.v1'" in (
        letter.error_message or ""
    )


def _json(value: Any) -> bytes:
    return json.dumps(value).encode()


async def _handled(harness: Harness, deliveries: int) -> bool:
    return harness.handled() >= deliveries


async def _effects_reach(harness: Harness, count: int) -> bool:
    return await harness.effects() >= count


async def _dead_letters(harness: Harness) -> list[DeadLetter]:
    return await harness.dead_letters()


async def _dead_letter_count(harness: Harness, count: int) -> bool:
    return len(await harness.dead_letters()) >= count


async def test_batched_subscription_applies_each_event_once(harness: Harness) -> None:
    service = harness.service(batched=True, prefetch=50)
    events = [thing(f"batched-{n}") for n in range(30)]

    async with harness.running(service):
        await asyncio.gather(*(harness.send(event) for event in events))
        await asyncio.gather(*(harness.send(event) for event in events[:10]))
        await eventually(lambda: _handled(harness, 40))

    assert await harness.effects() == 30


async def test_a_failure_in_a_batch_fails_alone(harness: Harness) -> None:
    async def refuses_bad(event: Envelope[ThingHappened], uow: UnitOfWork) -> None:
        if event.payload.thing_id == "bad":
            raise PermanentError("a rule is broken")
        await record_effect(event, uow)

    service = harness.service(refuses_bad, batched=True, prefetch=50)
    events = [thing(f"good-{n}") for n in range(20)] + [thing("bad")]

    async with harness.running(service):
        await asyncio.gather(*(harness.send(event) for event in events))
        await eventually(lambda: _dead_letter_count(harness, 1))
        await eventually(lambda: _effects_reach(harness, 20))

    [letter] = await _dead_letters(harness)
    assert letter.reason == "permanent"
    assert await harness.effects() == 20
