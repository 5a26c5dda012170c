"""Fixtures of the crm tests."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from crm_harness import CrmHarness


@pytest.fixture
async def crm(
    amqp_url: str, database_url: str, service_name: str, tmp_path: Path
) -> AsyncIterator[CrmHarness]:
    harness = CrmHarness(amqp_url, database_url, service_name, tmp_path)
    yield harness
    await harness.clean_up()
