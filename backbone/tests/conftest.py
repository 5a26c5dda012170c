"""Fixtures of the backbone tests."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from backbone_harness import Harness


@pytest.fixture
async def harness(
    amqp_url: str, database_url: str, service_name: str, tmp_path: Path
) -> AsyncIterator[Harness]:
    harness = Harness(amqp_url, database_url, service_name, tmp_path)
    yield harness
    await harness.clean_up()
