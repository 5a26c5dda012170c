"""pytest fixtures for tests that cross the real RabbitMQ and PostgreSQL.

A test session gets its own RabbitMQ virtual host and its own database, both
removed at the end, so that runs never see each other's queues or rows.
`ORDERFLOW_TEST_AMQP_ADMIN_URL` and `ORDERFLOW_TEST_DATABASE_ADMIN_URL` point
at other servers than the local defaults.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import uuid
from collections.abc import AsyncIterator, Iterator
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import pytest

from orderflow.backbone.database import quote_ident

_ADMIN_DATABASE_URL = os.environ.get(
    "ORDERFLOW_TEST_DATABASE_ADMIN_URL",
    "postgresql://postgres@127.0.0.1:5432/postgres",
)
_AMQP_BASE_URL = os.environ.get(
    "ORDERFLOW_TEST_AMQP_ADMIN_URL", "amqp://guest:guest@127.0.0.1:5672/"
)


def _rabbitmqctl(*args: str) -> None:
    executable = shutil.which("rabbitmqctl")
    if executable is None:
        pytest.fail("rabbitmqctl is needed to create the test virtual host")
    subprocess.run([executable, "-q", *args], check=True, capture_output=True)  # noqa: S603


def _with_path(url: str, path: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, path, parts.query, ""))


@pytest.fixture(scope="session")
def amqp_url() -> Iterator[str]:
    """A RabbitMQ URL on a virtual host of this test session's own."""
    vhost = f"orderflow-test-{uuid.uuid4().hex[:8]}"
    _rabbitmqctl("add_vhost", vhost)
    user = urlsplit(_AMQP_BASE_URL).username or "guest"
    _rabbitmqctl("set_permissions", "-p", vhost, user, ".*", ".*", ".*")
    yield _with_path(_AMQP_BASE_URL, "/" + vhost)
    _rabbitmqctl("delete_vhost", vhost)


@pytest.fixture(scope="session")
async def database_url() -> AsyncIterator[str]:
    """A database of this test session's own, dropped at the end."""
    name = f"orderflow_test_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(_ADMIN_DATABASE_URL)
    try:
        await admin.execute(f"CREATE DATABASE {quote_ident(name)}")
    finally:
        await admin.close()
    yield _with_path(_ADMIN_DATABASE_URL, "/" + name)
    admin = await asyncpg.connect(_ADMIN_DATABASE_URL)
    try:
        await admin.execute(f"DROP DATABASE {quote_ident(name)} WITH (FORCE)")
    finally:
        await admin.close()


@pytest.fixture
def service_name() -> str:
    """A service name no other test uses: its schema and queues are its own."""
    return f"t{uuid.uuid4().hex[:10]}"
