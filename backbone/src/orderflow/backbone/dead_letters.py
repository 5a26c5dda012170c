"""Dead letters: collected from a service's DLQ, listed, replayed, purged.

RabbitMQ cannot browse a queue, so `collect` moves every message of
`<service>.dlq` into the service's `dead_letters` table (insert, commit, then
ack: nothing is lost). From there they can be filtered and shown at leisure.
A replay publishes the message back to the queue it failed in, through
`orderflow.retry`, with its original id and headers and a fresh attempt
count; a purge only marks it. Both are recorded in `dead_letter_audit`.

A dead letter may hold a customer's personal data. `erase_customer`, called
by a service's `customer.erased.v1` handler, blanks the body of every dead
letter about that customer and remembers the customer, so that one still
waiting in the queue loses its body when it is collected.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import aio_pika
import asyncpg
from aio_pika.abc import AbstractIncomingMessage

from orderflow.backbone import topology
from orderflow.backbone.database import Connection
from orderflow.backbone.logging import get_logger
from orderflow.contracts.crm import CustomerErased
from orderflow.contracts.values import email_sha256

log = get_logger(__name__)

_FAILURE_HEADERS = topology.BROKER_DEATH_HEADERS | {
    topology.ATTEMPT_HEADER,
    topology.FIRST_FAILED_HEADER,
    topology.ORIGINAL_QUEUE_HEADER,
    topology.REASON_HEADER,
    topology.ERROR_TYPE_HEADER,
    topology.ERROR_MESSAGE_HEADER,
    topology.DEAD_LETTERED_AT_HEADER,
    topology.DELAY_HEADER,
}
REPLAYED_FROM_HEADER = "x-orderflow-replayed-from"
ERASURE_ACTOR = "customer.erased"
_EMAIL = re.compile(
    r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+"
)


@dataclass(frozen=True)
class DeadLetterFilter:
    """Which dead letters an operation applies to; empty means all open ones."""

    ids: tuple[int, ...] = ()
    event_type: str | None = None
    reason: str | None = None
    older_than: timedelta | None = None
    newer_than: timedelta | None = None
    include_closed: bool = False

    def where(self) -> tuple[str, list[Any]]:
        clauses: list[str] = []
        args: list[Any] = []

        def add(clause: str, value: Any) -> None:
            args.append(value)
            clauses.append(clause.format(f"${len(args)}"))

        if self.ids:
            add("id = ANY({})", list(self.ids))
        if self.event_type:
            add("routing_key = {}", self.event_type)
        if self.reason:
            add("reason = {}", self.reason)
        if self.older_than is not None:
            add("dead_lettered_at < now() - {}::interval", self.older_than)
        if self.newer_than is not None:
            add("dead_lettered_at >= now() - {}::interval", self.newer_than)
        if not self.include_closed:
            clauses.append("replayed_at IS NULL AND purged_at IS NULL")
        return " AND ".join(clauses) or "true", args

    def describe(self) -> dict[str, Any]:
        return {
            "ids": list(self.ids),
            "event_type": self.event_type,
            "reason": self.reason,
            "older_than": str(self.older_than) if self.older_than else None,
            "newer_than": str(self.newer_than) if self.newer_than else None,
        }


@dataclass(frozen=True)
class DeadLetter:
    id: int
    event_id: str | None
    routing_key: str | None
    original_queue: str
    reason: str
    error_type: str | None
    error_message: str | None
    attempts: int
    first_failed_at: datetime | None
    dead_lettered_at: datetime
    correlation_id: str | None
    headers: dict[str, Any]
    body: bytes
    replayed_at: datetime | None
    purged_at: datetime | None
    erased_at: datetime | None


class DeadLetterStore:
    """The dead letters of one service, in its schema and on its DLQ."""

    def __init__(
        self,
        conn: Connection,
        channel: aio_pika.abc.AbstractChannel,
        service: str,
    ) -> None:
        self._conn = conn
        self._channel = channel
        self._service = service

    async def collect(self) -> int:
        """Move every message waiting in the DLQ into the table."""
        queue = await self._channel.get_queue(
            topology.dead_letter_queue_name(self._service), ensure=True
        )
        moved = 0
        while (message := await queue.get(no_ack=False, fail=False)) is not None:
            async with self._conn.transaction():
                await self._store(message)
            await message.ack()
            moved += 1
        return moved

    async def find(self, selection: DeadLetterFilter) -> list[DeadLetter]:
        where, args = selection.where()
        rows = await self._conn.fetch(
            f"SELECT {_COLUMNS} FROM dead_letters WHERE {where} ORDER BY id", *args
        )
        return [_dead_letter(row) for row in rows]

    async def replay(self, selection: DeadLetterFilter, actor: str) -> list[DeadLetter]:
        """Publish the selected dead letters back to the queues they failed in."""
        exchange = await self._channel.get_exchange(topology.RETRY_EXCHANGE.name)
        replayed: list[DeadLetter] = []
        for letter in await self.find(selection):
            await exchange.publish(
                _replay_message(letter), letter.original_queue, mandatory=True
            )
            await self._close(letter, "replay", actor, selection)
            replayed.append(letter)
            log.info(
                "dead_letter.replayed",
                dead_letter_id=letter.id,
                event_id=letter.event_id,
            )
        return replayed

    async def purge(self, selection: DeadLetterFilter, actor: str) -> list[DeadLetter]:
        """Mark the selected dead letters as dealt with, without replaying them."""
        purged = await self.find(selection)
        for letter in purged:
            await self._close(letter, "purge", actor, selection)
            log.info(
                "dead_letter.purged", dead_letter_id=letter.id, event_id=letter.event_id
            )
        return purged

    async def _close(
        self, letter: DeadLetter, action: str, actor: str, selection: DeadLetterFilter
    ) -> None:
        column = "replayed_at" if action == "replay" else "purged_at"
        async with self._conn.transaction():
            await self._conn.execute(
                f"UPDATE dead_letters SET {column} = now() WHERE id = $1", letter.id
            )
            await self._conn.execute(
                "INSERT INTO dead_letter_audit (action, dead_letter_id, actor, filters)"
                " VALUES ($1, $2, $3, $4)",
                action,
                letter.id,
                actor,
                json.dumps(selection.describe()),
            )

    async def _store(self, message: AbstractIncomingMessage) -> None:
        headers = dict(message.headers)
        erased = await _erased_customer_in(self._conn, message.body)
        dead_letter_id = await self._conn.fetchval(
            "INSERT INTO dead_letters (event_id, routing_key, original_queue, reason,"
            " error_type, error_message, attempts, first_failed_at, dead_lettered_at,"
            " correlation_id, headers, body, erased_at, purged_at)"
            " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $13)"
            " RETURNING id",
            message.message_id,
            _routing_key(headers, self._service),
            _text(headers.get(topology.ORIGINAL_QUEUE_HEADER)) or _death_queue(headers),
            _text(headers.get(topology.REASON_HEADER)) or "delivery-limit",
            _text(headers.get(topology.ERROR_TYPE_HEADER)),
            _text(headers.get(topology.ERROR_MESSAGE_HEADER)),
            int(str(headers.get(topology.ATTEMPT_HEADER, 0))),
            _timestamp(headers.get(topology.FIRST_FAILED_HEADER)),
            _timestamp(headers.get(topology.DEAD_LETTERED_AT_HEADER))
            or datetime.now(UTC),
            message.correlation_id,
            json.dumps(headers, default=str),
            b"" if erased else message.body,
            datetime.now(UTC) if erased else None,
        )
        if erased:
            await _audit_erasure(self._conn, [dead_letter_id], erased)


async def erase_customer(conn: Connection, erased: CustomerErased) -> int:
    """Blank the dead letters about an erased customer, now and when collected.

    Call it in the transaction of the `customer.erased.v1` handler. A blanked
    dead letter keeps its headers and is closed, as there is nothing left to
    replay. Returns how many stored dead letters were blanked.
    """
    await conn.execute(
        "INSERT INTO erased_customers (customer_id, email_sha256) VALUES ($1, $2)"
        " ON CONFLICT (customer_id) DO NOTHING",
        erased.customer_id,
        erased.email_sha256,
    )
    rows = await conn.fetch("SELECT id, body FROM dead_letters WHERE erased_at IS NULL")
    hashes = {erased.email_sha256} if erased.email_sha256 else set()
    ids = [
        row["id"]
        for row in rows
        if _is_about(row["body"], {erased.customer_id}, hashes)
    ]
    if ids:
        await conn.execute(
            "UPDATE dead_letters SET body = ''::bytea, erased_at = now(),"
            " purged_at = coalesce(purged_at, now()) WHERE id = ANY($1)",
            ids,
        )
        await _audit_erasure(conn, ids, erased.customer_id)
        log.info("dead_letters.erased", customer_id=erased.customer_id, count=len(ids))
    return len(ids)


async def _erased_customer_in(conn: Connection, body: bytes) -> str | None:
    """The id of an erased customer the body is about, if any."""
    strings, hashes = _mentions(body)
    if not strings and not hashes:
        return None
    found: str | None = await conn.fetchval(
        "SELECT customer_id FROM erased_customers"
        " WHERE customer_id = ANY($1) OR email_sha256 = ANY($2) LIMIT 1",
        list(strings),
        list(hashes),
    )
    return found


async def _audit_erasure(conn: Connection, ids: list[int], customer_id: str) -> None:
    await conn.executemany(
        "INSERT INTO dead_letter_audit (action, dead_letter_id, actor, filters)"
        " VALUES ('erase', $1, $2, $3)",
        [
            (dead_letter_id, ERASURE_ACTOR, json.dumps({"customer_id": customer_id}))
            for dead_letter_id in ids
        ],
    )


def _is_about(body: bytes, customer_ids: set[str], hashes: set[str]) -> bool:
    strings, found = _mentions(body)
    return bool(strings & customer_ids or found & hashes)


def _mentions(body: bytes) -> tuple[set[str], set[str]]:
    """The strings of a body, and the hashes of the email addresses in them."""
    text = body.decode("utf-8", errors="replace")
    try:
        strings = set(_strings(json.loads(text)))
    except (ValueError, RecursionError):
        strings = {text}
    hashes = {email_sha256(email) for line in strings for email in _EMAIL.findall(line)}
    return strings, hashes


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


_COLUMNS = (
    "id, event_id, routing_key, original_queue, reason, error_type, error_message,"
    " attempts, first_failed_at, dead_lettered_at, correlation_id, headers, body,"
    " replayed_at, purged_at, erased_at"
)


def _dead_letter(row: asyncpg.Record) -> DeadLetter:
    values = dict(row)
    values["headers"] = json.loads(values["headers"])
    return DeadLetter(**values)


def _replay_message(letter: DeadLetter) -> aio_pika.Message:
    headers = {k: v for k, v in letter.headers.items() if k not in _FAILURE_HEADERS}
    headers[REPLAYED_FROM_HEADER] = letter.id
    return aio_pika.Message(
        letter.body,
        headers=headers,
        message_id=letter.event_id,
        correlation_id=letter.correlation_id,
        content_type="application/json",
        delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
    )


def _text(value: Any) -> str | None:
    if value is None:
        return None
    return value.decode() if isinstance(value, bytes) else str(value)


def _timestamp(value: Any) -> datetime | None:
    try:
        return datetime.fromisoformat(_text(value) or "")
    except ValueError:
        return None


def _death_queue(headers: dict[str, Any]) -> str:
    """The queue a message left when the broker itself dead-lettered it."""
    return _text(headers.get("x-first-death-queue")) or "unknown"


def _routing_key(headers: dict[str, Any], service: str) -> str | None:
    queue = _text(headers.get(topology.ORIGINAL_QUEUE_HEADER)) or _death_queue(headers)
    prefix = f"{service}."
    return queue.removeprefix(prefix) if queue.startswith(prefix) else None
