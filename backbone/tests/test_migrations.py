"""Migrations: applied once each, in order, and never silently changed."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest

from orderflow.backbone.database import quote_ident
from orderflow.backbone.migrations import MigrationError, load_migrations, migrate


@pytest.fixture
async def schema(database_url: str, service_name: str) -> AsyncIterator[str]:
    yield service_name
    conn = await asyncpg.connect(database_url)
    try:
        await conn.execute(f"DROP SCHEMA IF EXISTS {quote_ident(service_name)} CASCADE")
    finally:
        await conn.close()


def _folder(tmp_path: Path, **files: str) -> Path:
    for name, sql in files.items():
        (tmp_path / f"{name}.sql").write_text(sql)
    return tmp_path


async def _migrate(database_url: str, schema: str, folder: Path) -> list[str]:
    conn = await asyncpg.connect(database_url)
    try:
        applied = await migrate(conn, schema, load_migrations("svc", folder))
    finally:
        await conn.close()
    return [migration.name for migration in applied]


async def test_concurrent_starts_apply_each_migration_once(
    database_url: str, schema: str, tmp_path: Path
) -> None:
    folder = _folder(
        tmp_path,
        **{
            "0001_create": "CREATE TABLE things (id int PRIMARY KEY);",
            "0002_fill": "INSERT INTO things VALUES (1);",
        },
    )

    results = await asyncio.gather(
        *(_migrate(database_url, schema, folder) for _ in range(4))
    )

    assert sorted(results, key=len) == [
        [],
        [],
        [],
        ["0001_create.sql", "0002_fill.sql"],
    ]


async def test_a_changed_migration_stops_the_start(
    database_url: str, schema: str, tmp_path: Path
) -> None:
    folder = _folder(tmp_path, **{"0001_create": "CREATE TABLE things (id int);"})
    await _migrate(database_url, schema, folder)
    (folder / "0001_create.sql").write_text("CREATE TABLE things (id bigint);")

    with pytest.raises(MigrationError, match=re.escape("0001_create.sql was changed")):
        await _migrate(database_url, schema, folder)


def test_a_badly_named_migration_is_refused(tmp_path: Path) -> None:
    folder = _folder(tmp_path, **{"1_create": "SELECT 1;"})

    with pytest.raises(
        MigrationError, match=re.escape("badly named migration '1_create.sql'")
    ):
        load_migrations("svc", folder)


async def test_a_failing_migration_leaves_nothing_half_applied(
    database_url: str, schema: str, tmp_path: Path
) -> None:
    folder = _folder(
        tmp_path,
        **{"0001_broken": "CREATE TABLE things (id int); SELECT * FROM missing;"},
    )

    with pytest.raises(asyncpg.UndefinedTableError):
        await _migrate(database_url, schema, folder)

    conn = await asyncpg.connect(database_url)
    try:
        things = await conn.fetchval("SELECT to_regclass($1)", f"{schema}.things")
        applied = await conn.fetchval(
            f"SELECT count(*) FROM {quote_ident(schema)}.schema_migrations"
        )
    finally:
        await conn.close()
    assert (things, applied) == (None, 0)
