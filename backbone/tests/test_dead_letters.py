"""`orderflow dlq`: list, show, replay and purge, with an audit of each."""

from __future__ import annotations

import asyncio

import pytest
from backbone_harness import Harness, ThingHappened, eventually, record_effect, thing
from typer.testing import CliRunner

from orderflow.backbone.cli import app
from orderflow.backbone.dead_letters import erase_customer
from orderflow.backbone.errors import TransientError
from orderflow.backbone.testing import example_event
from orderflow.backbone.unit_of_work import UnitOfWork
from orderflow.contracts.crm import CustomerErased
from orderflow.contracts.envelope import Envelope
from orderflow.contracts.examples import EXAMPLES


@pytest.fixture
def cli(harness: Harness, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("ORDERFLOW_AMQP_URL", harness.amqp_url)
    monkeypatch.setenv("ORDERFLOW_DATABASE_URL", harness.database_url)
    return CliRunner()


async def _orderflow(cli: CliRunner, *args: str) -> str:
    """Run the command in a thread of its own, as it runs its own event loop."""
    result = await asyncio.to_thread(
        cli.invoke, app, list(args), catch_exceptions=False
    )
    assert result.exit_code == 0, result.output
    return result.output


async def test_replay_after_the_fix_applies_the_event_once(
    harness: Harness, cli: CliRunner
) -> None:
    fixed = False

    async def fails_until_fixed(
        event: Envelope[ThingHappened], uow: UnitOfWork
    ) -> None:
        if not fixed:
            raise TransientError("the warehouse API is down")
        await record_effect(event, uow)

    service = harness.service(fails_until_fixed, retry_delays=[0.1])
    event = thing("replayed")

    async with harness.running(service):
        await harness.send(event)
        await eventually(lambda: _dead_lettered(harness))
        listed = await _orderflow(cli, "dlq", "list", "--service", harness.name)
        fixed = True
        replayed = await _orderflow(cli, "dlq", "replay", "--service", harness.name)
        await eventually(lambda: _effects(harness, 1))
        again = await _orderflow(
            cli, "dlq", "replay", "--service", harness.name, "--reason", "exhausted"
        )
        await harness.send(event)
        await eventually(lambda: _settled(harness, 2))

    assert "backbone_test.thing_happened.v1  exhausted  attempts=2" in listed
    assert "the warehouse API is down" in listed
    assert f"{harness.name}: 1 dead letter(s) replayed" in replayed
    assert f"{harness.name}: 0 dead letter(s) replayed" in again
    assert await harness.effects() == 1
    audit = await harness.fetch("SELECT action, actor FROM dead_letter_audit")
    assert [row["action"] for row in audit] == ["replay"]


async def test_replaying_an_already_applied_event_changes_nothing(
    harness: Harness, cli: CliRunner
) -> None:
    service = harness.service()
    event = thing("applied")

    async with harness.running(service):
        await harness.send(event)
        await eventually(lambda: _effects(harness, 1))
        await harness.publish_dead_letter(event, original_queue=harness.queue)
        await _orderflow(cli, "dlq", "replay", "--service", harness.name)
        await eventually(lambda: _settled(harness, 2))

    assert await harness.effects() == 1


async def test_show_and_purge_record_an_audit(harness: Harness, cli: CliRunner) -> None:
    service = harness.service()

    async with harness.running(service):
        await harness.publish(b"not an envelope", message_id="broken-1")
        await eventually(lambda: _dead_lettered(harness))

    [letter] = await harness.dead_letters()
    shown = await _orderflow(
        cli, "dlq", "show", str(letter.id), "--service", harness.name
    )
    purged = await _orderflow(
        cli, "dlq", "purge", "--service", harness.name, "--reason", "invalid", "--yes"
    )
    remaining = await _orderflow(cli, "dlq", "list", "--service", harness.name)

    assert "event id: broken-1" in shown
    assert "body: not an envelope" in shown
    assert f"{harness.name}: 1 dead letter(s) purged" in purged
    assert remaining == ""
    audit = await harness.fetch("SELECT action, filters FROM dead_letter_audit")
    assert [row["action"] for row in audit] == ["purge"]
    assert '"reason": "invalid"' in audit[0]["filters"]


async def test_erasure_blanks_the_dead_letters_about_the_customer(
    harness: Harness, cli: CliRunner
) -> None:
    service = harness.service()
    erased = EXAMPLES["customer.erased.v1"]
    assert isinstance(erased, CustomerErased)
    placed = example_event("order.placed.v1")
    queue = f"{harness.name}.order.placed.v1"

    async with harness.running(service):
        await harness.publish_dead_letter(placed, original_queue=queue)
        await harness.dead_letters()
        async with service.unit_of_work() as uow:
            blanked = await erase_customer(uow.conn, erased)
        await harness.publish_dead_letter(placed, original_queue=queue)
        letters = await harness.dead_letters()
        listed = await _orderflow(cli, "dlq", "list", "--all", "-s", harness.name)

    assert blanked == 1
    assert [(letter.body, letter.erased_at is not None) for letter in letters] == [
        (b"", True),
        (b"", True),
    ]
    assert listed.count("erased") == 2
    audit = await harness.fetch("SELECT action, actor FROM dead_letter_audit")
    assert [tuple(row) for row in audit] == [("erase", "customer.erased")] * 2


async def test_erasure_leaves_the_dead_letters_of_others_alone(
    harness: Harness,
) -> None:
    service = harness.service()
    erased = EXAMPLES["customer.erased.v1"]
    assert isinstance(erased, CustomerErased)
    other = erased.model_copy(
        update={"customer_id": "someone-else", "email_sha256": "0" * 64}
    )
    placed = example_event("order.placed.v1")

    async with harness.running(service):
        await harness.publish_dead_letter(placed, original_queue=harness.queue)
        await harness.dead_letters()
        async with service.unit_of_work() as uow:
            blanked = await erase_customer(uow.conn, other)
        [letter] = await harness.dead_letters()

    assert blanked == 0
    assert letter.body == placed.model_dump_json().encode()
    assert letter.erased_at is None


@pytest.mark.parametrize(
    "command", [["replay", "12"], ["purge", "12", "--yes"]], ids=["replay", "purge"]
)
def test_ids_without_their_service_are_refused(
    cli: CliRunner, command: list[str]
) -> None:
    result = cli.invoke(app, ["dlq", *command])

    assert result.exit_code == 2
    assert "numbered per service" in result.output


def test_an_age_that_does_not_parse_is_refused(cli: CliRunner) -> None:
    result = cli.invoke(app, ["dlq", "list", "--older-than", "yesterday"])

    assert result.exit_code == 2
    assert "not an age: 'yesterday'" in result.output


async def _dead_lettered(harness: Harness) -> bool:
    return len(await harness.dead_letters()) >= 1


async def _effects(harness: Harness, count: int) -> bool:
    return await harness.effects() >= count


async def _settled(harness: Harness, deliveries: int) -> bool:
    return harness.handled() >= deliveries
