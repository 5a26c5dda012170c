"""feedback notes when an order's goods arrived, and what rules a review out."""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal

import pytest

from orderflow.backbone.service import Service
from orderflow.backbone.testing import (
    consuming,
    eventually,
    example_event,
    publish_event,
    rows,
)
from orderflow.feedback.main import create_service
from orderflow.feedback.settings import Settings


@pytest.fixture
async def service(amqp_url: str, database_url: str) -> AsyncIterator[Service]:
    async with consuming(create_service, Settings, amqp_url, database_url) as service:
        yield service


async def _candidate_has(service: Service, condition: str) -> bool:
    query = f"SELECT 1 FROM review_candidates WHERE {condition}"
    return bool(await rows(service, query))


async def test_delivery_before_fulfilment_is_kept(
    service: Service, amqp_url: str
) -> None:
    await publish_event(amqp_url, example_event("shipment.delivered.v1"))
    await publish_event(
        amqp_url, example_event("order.fulfilled.v1", awaiting_delivery=True)
    )
    await eventually(lambda: _candidate_has(service, "fulfilled_at IS NOT NULL"))

    [row] = await rows(service, "SELECT * FROM review_candidates")
    assert row["delivered_at"] is not None
    assert row["awaiting_delivery"] is True


async def test_only_a_full_refund_rules_the_review_out(
    service: Service, amqp_url: str
) -> None:
    partial = example_event("order.refunded.v1", full=False, amount=Decimal("5.00"))
    full = example_event("order.refunded.v1", full=True)

    await publish_event(amqp_url, partial)
    await publish_event(amqp_url, example_event("order.cancelled.v1"))
    await eventually(lambda: _candidate_has(service, "cancelled_at IS NOT NULL"))
    assert await _candidate_has(service, "refunded_at IS NULL")

    await publish_event(amqp_url, full)
    await eventually(lambda: _candidate_has(service, "refunded_at IS NOT NULL"))
