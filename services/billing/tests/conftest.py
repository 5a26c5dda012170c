"""Fixtures of the billing tests: the billing schema, a Saxon server for factur-x."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import asyncpg
import pytest
from billing_saxon import saxon_server

from orderflow.backbone.database import create_pool
from orderflow.billing.main import create_service
from orderflow.billing.settings import Settings


@pytest.fixture(scope="module")
async def billing_pool(database_url: str, amqp_url: str) -> AsyncIterator[asyncpg.Pool]:
    """The billing schema, migrated, and a pool on it; dropped after the module."""
    service = create_service(Settings(amqp_url=amqp_url, database_url=database_url))
    await service.migrate()
    pool = await create_pool(database_url, schema="billing", max_size=12)
    yield pool
    await pool.execute("DROP SCHEMA billing CASCADE")
    await pool.close()


@pytest.fixture(scope="session")
def saxon_url() -> Iterator[str]:
    """Where factur-x sends its schematron checks: a Saxon server on loopback."""
    with saxon_server() as url:
        yield url
