"""Fixtures of the crm tests."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from crm_fakes import Certificate, make_certificate
from crm_harness import CrmHarness


@pytest.fixture
async def crm(
    amqp_url: str, database_url: str, service_name: str, tmp_path: Path
) -> AsyncIterator[CrmHarness]:
    harness = CrmHarness(amqp_url, database_url, service_name, tmp_path)
    yield harness
    await harness.clean_up()


@pytest.fixture(scope="session")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> Certificate:
    """A server certificate for 127.0.0.1 and the CA that signed it."""
    return make_certificate(tmp_path_factory.mktemp("tls"))


@pytest.fixture
def trusted_ca(certificate: Certificate, monkeypatch: pytest.MonkeyPatch) -> None:
    """Make the test CA the one that TLS clients trust, as a relay's CA would be."""
    monkeypatch.setenv("SSL_CERT_FILE", str(certificate.ca))
