"""A RabbitMQ restart in the middle of the traffic loses nothing."""

from __future__ import annotations

import asyncio
import shutil
import subprocess

import pytest
from backbone_harness import Harness, ThingHappened, eventually

from orderflow.backbone.service import Service

EVENTS = 200


def _rabbitmqctl(*args: str) -> None:
    executable = shutil.which("rabbitmqctl")
    if executable is None:
        pytest.skip("rabbitmqctl is needed to restart the broker")
    subprocess.run([executable, "-q", *args], check=True, capture_output=True)  # noqa: S603


async def _restart_broker() -> None:
    await asyncio.to_thread(_rabbitmqctl, "stop_app")
    await asyncio.sleep(1.0)
    await asyncio.to_thread(_rabbitmqctl, "start_app")
    await asyncio.to_thread(_rabbitmqctl, "await_startup")


async def _produce(producer: Service, count: int) -> None:
    for n in range(count):
        async with producer.unit_of_work() as uow:
            uow.emit(ThingHappened(thing_id=f"thing-{n}"), correlation_id=f"thing-{n}")
        await asyncio.sleep(0.02)


@pytest.mark.slow
async def test_every_event_arrives_across_a_broker_restart(harness: Harness) -> None:
    consumer = harness.service(name=f"{harness.name}_consumer", prefetch=20)
    producer = harness.service(handler=None)

    async with harness.running(consumer), harness.running(producer):
        production = asyncio.create_task(_produce(producer, EVENTS))
        await asyncio.sleep(1.0)
        await _restart_broker()
        await production
        await eventually(lambda: _all_applied(harness, consumer.name), timeout=120)
        ready_again = await consumer.broker_ready() and await producer.broker_ready()

    rows = await harness.fetch(
        "SELECT count(*) AS applied, count(DISTINCT thing_id) AS things"
        f" FROM {consumer.name}.effects"
    )
    assert (rows[0]["applied"], rows[0]["things"]) == (EVENTS, EVENTS)
    assert ready_again


async def _all_applied(harness: Harness, consumer: str) -> bool:
    rows = await harness.fetch(f"SELECT count(*) AS n FROM {consumer}.effects")
    return int(rows[0]["n"]) >= EVENTS
