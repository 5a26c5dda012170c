"""The `orderflow` command: migrate, run services, and handle dead letters."""

from __future__ import annotations

import asyncio
import getpass
import json
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from datetime import timedelta
from importlib.metadata import entry_points
from typing import Annotated, Any, TypeVar

import aio_pika
import asyncpg
import typer

from orderflow.backbone.asyncapi import asyncapi_document
from orderflow.backbone.database import ensure_database
from orderflow.backbone.dead_letters import (
    DeadLetter,
    DeadLetterFilter,
    DeadLetterStore,
)
from orderflow.backbone.logging import configure_logging
from orderflow.backbone.registry import UnknownService, load_service, service_names
from orderflow.backbone.settings import BackboneSettings

app = typer.Typer(help="Orderflow: automate what happens after a shop takes an order.")
dlq = typer.Typer(help="Inspect, replay and purge dead-lettered events.")
app.add_typer(dlq, name="dlq")

COMMANDS_ENTRY_POINT_GROUP = "orderflow.commands"

T = TypeVar("T")
_AGE = re.compile(r"^(\d+)([smhd])$")
_AGE_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}
_SERVICE_NAME = re.compile(r"^[a-z][a-z0-9_]*$")

ServiceOption = Annotated[
    list[str] | None,
    typer.Option("--service", "-s", help="A service; repeat it; default: all."),
]
EventTypeOption = Annotated[
    str | None, typer.Option("--event-type", "-e", help="e.g. order.placed.v1")
]
ReasonOption = Annotated[
    str | None, typer.Option(help="invalid, permanent, exhausted or delivery-limit")
]
OlderOption = Annotated[
    str | None, typer.Option("--older-than", help="An age such as 30m, 2h or 7d.")
]
NewerOption = Annotated[
    str | None, typer.Option("--newer-than", help="An age such as 30m, 2h or 7d.")
]
IdsArgument = Annotated[list[int] | None, typer.Argument(help="Dead-letter ids.")]


def main() -> None:
    _mount_service_commands()
    app()


def _mount_service_commands() -> None:
    """Add the sub-commands that installed services register, e.g. `customer`."""
    for point in entry_points(group=COMMANDS_ENTRY_POINT_GROUP):
        app.add_typer(point.load(), name=point.name)


def _run(coroutine: Awaitable[T]) -> T:
    async def wrapped() -> T:
        return await coroutine

    return asyncio.run(wrapped())


def _fail(message: str) -> typer.Exit:
    typer.secho(message, fg=typer.colors.RED, err=True)
    return typer.Exit(code=2)


@app.command()
def migrate(
    services: Annotated[list[str] | None, typer.Argument(help="Default: all.")] = None,
    create_database: Annotated[
        bool,
        typer.Option(
            "--create-database", help="Create the database first if it is missing."
        ),
    ] = False,
) -> None:
    """Apply the missing database migrations of the named services."""
    configure_logging(service="migrate")
    if create_database:
        url = BackboneSettings().database_url.get_secret_value()
        if _run(ensure_database(url)):
            typer.echo("database created")
    for name in services or service_names():
        try:
            applied = _run(load_service(name).migrate())
        except UnknownService as exc:
            raise _fail(str(exc)) from None
        typer.echo(f"{name}: {len(applied)} migration(s) applied")


@app.command()
def run(
    service: Annotated[str, typer.Argument(help="A service name, or all.")],
) -> None:
    """Run one service in this process, or every installed one as children."""
    if service == "all":
        raise typer.Exit(code=_run_all(service_names()))
    try:
        loaded = load_service(service)
    except UnknownService as exc:
        raise _fail(str(exc)) from None
    loaded.run()


def _run_all(names: list[str]) -> int:
    """Run each service as a child; when one stops, stop the others too."""
    children = [
        subprocess.Popen([sys.executable, "-m", "orderflow.backbone.cli", "run", name])  # noqa: S603 - our own interpreter
        for name in names
    ]

    def forward(signum: int, _: Any) -> None:
        for child in children:
            if child.poll() is None:
                child.send_signal(signum)

    signal.signal(signal.SIGINT, forward)
    signal.signal(signal.SIGTERM, forward)
    while all(child.poll() is None for child in children):
        time.sleep(0.5)
    forward(signal.SIGTERM, None)
    codes = [child.wait() for child in children]
    return max(codes, default=0)


@app.command()
def asyncapi(service: str) -> None:
    """Print the AsyncAPI document of a service."""
    try:
        loaded = load_service(service)
    except UnknownService as exc:
        raise _fail(str(exc)) from None
    typer.echo(json.dumps(asyncapi_document(loaded), indent=2))


def _age(value: str | None) -> timedelta | None:
    if value is None:
        return None
    match = _AGE.match(value)
    if not match:
        raise _fail(f"not an age: {value!r}; use e.g. 30m, 2h or 7d")
    return timedelta(**{_AGE_UNITS[match[2]]: int(match[1])})


def _services(names: list[str] | None) -> list[str]:
    chosen = names or service_names()
    for name in chosen:
        if not _SERVICE_NAME.match(name):
            raise _fail(f"not a service name: {name!r}")
    return chosen


async def _with_stores(
    names: list[str], action: Callable[[str, DeadLetterStore], Awaitable[None]]
) -> None:
    settings = BackboneSettings()
    connection = await aio_pika.connect(settings.amqp_url.get_secret_value())
    async with connection:
        channel = await connection.channel(on_return_raises=True)
        for name in names:
            conn = await asyncpg.connect(
                settings.database_url.get_secret_value(),
                server_settings={"search_path": name},
            )
            try:
                exists = await conn.fetchval(
                    "SELECT to_regclass('dead_letters') IS NOT NULL"
                )
                if not exists:
                    raise _fail(f"{name}: no dead-letter table; run orderflow migrate")
                store = DeadLetterStore(conn, channel, name)
                await store.collect()
                await action(name, store)
            finally:
                await conn.close()


def _filter(
    ids: list[int] | None,
    event_type: str | None,
    reason: str | None,
    older_than: str | None,
    newer_than: str | None,
    include_closed: bool = False,
) -> DeadLetterFilter:
    return DeadLetterFilter(
        ids=tuple(ids or ()),
        event_type=event_type,
        reason=reason,
        older_than=_age(older_than),
        newer_than=_age(newer_than),
        include_closed=include_closed,
    )


def _summary(service: str, letter: DeadLetter) -> str:
    return "  ".join(
        [
            f"{service}:{letter.id}",
            letter.dead_lettered_at.isoformat(timespec="seconds"),
            letter.routing_key or "?",
            letter.reason,
            f"attempts={letter.attempts}",
            f"{letter.error_type or ''}: {(letter.error_message or '')[:80]}",
            _state(letter),
        ]
    ).rstrip()


def _state(letter: DeadLetter) -> str:
    if letter.erased_at:
        return "erased"
    if letter.replayed_at:
        return "replayed"
    return "purged" if letter.purged_at else ""


@dlq.command("list")
def list_dead_letters(
    service: ServiceOption = None,
    event_type: EventTypeOption = None,
    reason: ReasonOption = None,
    older_than: OlderOption = None,
    newer_than: NewerOption = None,
    include_closed: Annotated[
        bool, typer.Option("--all", help="Include replayed and purged ones.")
    ] = False,
) -> None:
    """List dead letters, newest last."""
    selection = _filter(
        None, event_type, reason, older_than, newer_than, include_closed
    )

    async def show_all(name: str, store: DeadLetterStore) -> None:
        for letter in await store.find(selection):
            typer.echo(_summary(name, letter))

    _run(_with_stores(_services(service), show_all))


@dlq.command("show")
def show_dead_letter(
    dead_letter: Annotated[int, typer.Argument(help="The dead letter's id.")],
    service: Annotated[str, typer.Option("--service", "-s")],
) -> None:
    """Show one dead letter: its headers, error and body."""
    selection = DeadLetterFilter(ids=(dead_letter,), include_closed=True)

    async def show(name: str, store: DeadLetterStore) -> None:
        found = await store.find(selection)
        if not found:
            raise _fail(f"{name}: no dead letter {dead_letter}")
        letter = found[0]
        typer.echo(_summary(name, letter))
        typer.echo(f"original queue: {letter.original_queue}")
        typer.echo(f"event id: {letter.event_id}")
        typer.echo(f"error: {letter.error_type}: {letter.error_message}")
        typer.echo("headers: " + json.dumps(letter.headers, indent=2, sort_keys=True))
        typer.echo("body: " + letter.body.decode("utf-8", errors="replace"))

    _run(_with_stores(_services([service]), show))


def _actor() -> str:
    return f"{getpass.getuser()}@{socket.gethostname()}"


@dlq.command("replay")
def replay_dead_letters(
    ids: IdsArgument = None,
    service: ServiceOption = None,
    event_type: EventTypeOption = None,
    reason: ReasonOption = None,
    older_than: OlderOption = None,
    newer_than: NewerOption = None,
) -> None:
    """Send dead letters back to the queues they failed in."""
    selection = _filter(ids, event_type, reason, older_than, newer_than)
    _close_each(service, selection, "replayed", DeadLetterStore.replay)


@dlq.command("purge")
def purge_dead_letters(
    ids: IdsArgument = None,
    service: ServiceOption = None,
    event_type: EventTypeOption = None,
    reason: ReasonOption = None,
    older_than: OlderOption = None,
    newer_than: NewerOption = None,
    yes: Annotated[bool, typer.Option("--yes", help="Purge without asking.")] = False,
) -> None:
    """Mark dead letters as dealt with; they are kept for the audit."""
    if not yes:
        typer.confirm("Purge the selected dead letters?", abort=True)
    selection = _filter(ids, event_type, reason, older_than, newer_than)
    _close_each(service, selection, "purged", DeadLetterStore.purge)


def _close_each(
    service: list[str] | None,
    selection: DeadLetterFilter,
    verb: str,
    action: Callable[[DeadLetterStore, DeadLetterFilter, str], Awaitable[list[Any]]],
) -> None:
    if selection.ids and len(service or ()) != 1:
        raise _fail("dead-letter ids are numbered per service: name it with --service")
    actor = _actor()

    async def close(name: str, store: DeadLetterStore) -> None:
        closed = await action(store, selection, actor)
        typer.echo(f"{name}: {len(closed)} dead letter(s) {verb}")

    _run(_with_stores(_services(service), close))


if __name__ == "__main__":
    main()
