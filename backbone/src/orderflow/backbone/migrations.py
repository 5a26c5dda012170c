"""Numbered SQL migrations, applied once each, under an advisory lock.

Each service owns one schema. Into it go the backbone's own tables (inbox,
outbox, dead letters) and then the service's migrations, each file named
`NNNN_what_it_does.sql`. A checksum is kept for every applied file; a file
changed after it was applied stops the start-up instead of drifting.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from importlib import resources
from importlib.resources.abc import Traversable

from orderflow.backbone.database import Connection, quote_ident
from orderflow.backbone.errors import PermanentError
from orderflow.backbone.logging import get_logger

log = get_logger(__name__)

_FILE_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")


class MigrationError(PermanentError):
    """The migrations on disk disagree with what the database has applied."""


@dataclass(frozen=True)
class Migration:
    source: str
    version: int
    name: str
    sql: str

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.sql.encode()).hexdigest()


def load_migrations(source: str, folder: Traversable) -> list[Migration]:
    """Read the numbered SQL files of one folder, in order."""
    found: list[Migration] = []
    for entry in folder.iterdir():
        match = _FILE_NAME.match(entry.name)
        if match:
            found.append(
                Migration(source, int(match[1]), entry.name, entry.read_text("utf-8"))
            )
        elif entry.name.endswith(".sql"):
            raise MigrationError(f"{source}: badly named migration {entry.name!r}")
    found.sort(key=lambda migration: migration.version)
    versions = [migration.version for migration in found]
    if len(set(versions)) != len(versions):
        raise MigrationError(f"{source}: two migrations share a number")
    return found


def backbone_migrations() -> list[Migration]:
    folder = resources.files("orderflow.backbone") / "migrations"
    return load_migrations("backbone", folder)


async def migrate(
    conn: Connection, schema: str, migrations: list[Migration]
) -> list[Migration]:
    """Apply what is missing of `migrations` to `schema`; return what was applied."""
    lock_key = f"orderflow.migrate.{schema}"
    await conn.execute("SELECT pg_advisory_lock(hashtext($1))", lock_key)
    try:
        return await _apply_missing(conn, schema, migrations)
    finally:
        await conn.execute("SELECT pg_advisory_unlock(hashtext($1))", lock_key)


async def _apply_missing(
    conn: Connection, schema: str, migrations: list[Migration]
) -> list[Migration]:
    quoted = quote_ident(schema)
    await conn.execute(f"CREATE SCHEMA IF NOT EXISTS {quoted}")
    await conn.execute(
        f"""CREATE TABLE IF NOT EXISTS {quoted}.schema_migrations (
            source text NOT NULL,
            version integer NOT NULL,
            name text NOT NULL,
            checksum text NOT NULL,
            applied_at timestamptz NOT NULL DEFAULT now(),
            PRIMARY KEY (source, version))"""
    )
    rows = await conn.fetch(
        f"SELECT source, version, name, checksum FROM {quoted}.schema_migrations"
    )
    applied = {(row["source"], row["version"]): row for row in rows}
    done: list[Migration] = []
    for migration in migrations:
        row = applied.get((migration.source, migration.version))
        if row is None:
            await _apply(conn, schema, migration)
            done.append(migration)
        elif row["checksum"] != migration.checksum:
            raise MigrationError(
                f"{schema}: {migration.source} migration {row['name']} was changed "
                "after it was applied; add a new migration instead"
            )
    return done


async def _apply(conn: Connection, schema: str, migration: Migration) -> None:
    quoted = quote_ident(schema)
    async with conn.transaction():
        await conn.execute(f"SET LOCAL search_path TO {quoted}")
        await conn.execute(migration.sql)
        await conn.execute(
            f"INSERT INTO {quoted}.schema_migrations (source, version, name, checksum)"
            " VALUES ($1, $2, $3, $4)",
            migration.source,
            migration.version,
            migration.name,
            migration.checksum,
        )
    log.info(
        "migration.applied",
        schema=schema,
        source=migration.source,
        migration=migration.name,
    )
