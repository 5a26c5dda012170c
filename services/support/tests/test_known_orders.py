"""support learns the orders a customer may write about."""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal

import pytest

from orderflow.backbone.service import Service
from orderflow.backbone.testing import (
    consuming,
    erase_and_see_dead_letter_blanked,
    eventually,
    example_event,
    publish_event,
    rows,
)
from orderflow.contracts import email_sha256
from orderflow.support.main import create_service
from orderflow.support.settings import Settings


@pytest.fixture
async def service(amqp_url: str, database_url: str) -> AsyncIterator[Service]:
    async with consuming(create_service, Settings, amqp_url, database_url) as service:
        yield service


async def _status(service: Service) -> str | None:
    found = await rows(service, "SELECT status FROM known_orders")
    return str(found[0]["status"]) if found else None


async def test_order_is_found_by_its_customer_and_follows_its_refunds(
    service: Service, amqp_url: str
) -> None:
    placed = example_event("order.placed.v1")
    partial = example_event("order.refunded.v1", full=False, amount=Decimal("5.00"))

    await publish_event(amqp_url, partial)
    await publish_event(amqp_url, placed)
    await eventually(lambda: _status_is(service, "partially_refunded"))

    hashed = email_sha256(placed.payload.customer.email)
    found = await rows(
        service,
        "SELECT order_number, total FROM known_orders WHERE customer_email_sha256 = $1",
        hashed,
    )
    assert [(row["order_number"], row["total"]) for row in found] == [
        (placed.payload.order_number, placed.payload.totals.total)
    ]


async def test_erasure_unlinks_the_customer_from_the_orders(
    service: Service, amqp_url: str
) -> None:
    placed = example_event("order.placed.v1")
    hashed = email_sha256(placed.payload.customer.email)

    await publish_event(amqp_url, placed)
    await eventually(lambda: _status_is(service, "placed"))
    await publish_event(
        amqp_url, example_event("customer.erased.v1", email_sha256=hashed)
    )

    async def unlinked() -> bool:
        query = "SELECT 1 FROM known_orders WHERE customer_email_sha256 IS NULL"
        return bool(await rows(service, query))

    await eventually(unlinked)


async def _status_is(service: Service, status: str) -> bool:
    return await _status(service) == status


async def test_erasure_blanks_the_dead_letters_about_the_customer(
    service: Service, amqp_url: str, database_url: str
) -> None:
    await erase_and_see_dead_letter_blanked(service, amqp_url, database_url)
