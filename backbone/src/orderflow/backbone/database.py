"""The asyncpg pool of a service, confined to the service's own schema."""

from __future__ import annotations

from typing import TypeAlias
from urllib.parse import unquote, urlsplit, urlunsplit

import asyncpg
from asyncpg.pool import PoolConnectionProxy

Connection: TypeAlias = (
    "asyncpg.Connection[asyncpg.Record] | PoolConnectionProxy[asyncpg.Record]"
)
"""A connection, whether plain or borrowed from a pool."""


def quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


async def _keep_session(conn: asyncpg.Connection) -> None:
    """Skip the reset query asyncpg runs on every release.

    It costs a round trip per message. Nothing here leaves session state
    behind: work runs in transactions, settings are `SET LOCAL`, and the
    outbox relay listens on a connection of its own, outside the pool.
    """


async def create_pool(
    url: str, *, schema: str, min_size: int = 1, max_size: int = 10
) -> asyncpg.Pool:
    """A pool whose connections see the service's schema first."""
    pool: asyncpg.Pool = await asyncpg.create_pool(
        url,
        min_size=min_size,
        max_size=max_size,
        reset=_keep_session,
        server_settings={
            "search_path": quote_ident(schema),
            "application_name": f"orderflow-{schema}",
        },
    )
    return pool


async def ensure_database(url: str) -> bool:
    """Create the database `url` names if it does not exist; True if created."""
    try:
        conn = await asyncpg.connect(url)
    except asyncpg.InvalidCatalogNameError:
        pass
    else:
        await conn.close()
        return False
    parts = urlsplit(url)
    name = unquote(parts.path.lstrip("/"))
    admin = await asyncpg.connect(urlunsplit(parts._replace(path="/postgres")))
    try:
        await admin.execute(f"CREATE DATABASE {quote_ident(name)}")
    except asyncpg.DuplicateDatabaseError:
        return False
    finally:
        await admin.close()
    return True
