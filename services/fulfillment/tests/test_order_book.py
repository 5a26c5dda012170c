"""fulfillment keeps an order book from the events it hears of."""

from __future__ import annotations

from collections.abc import AsyncIterator

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
from orderflow.fulfillment.main import create_service
from orderflow.fulfillment.settings import Settings


@pytest.fixture
async def service(amqp_url: str, database_url: str) -> AsyncIterator[Service]:
    async with consuming(create_service, Settings, amqp_url, database_url) as service:
        yield service


async def _book_has(service: Service, condition: str) -> bool:
    return bool(await rows(service, f"SELECT 1 FROM order_book WHERE {condition}"))


async def test_placed_order_is_booked_with_its_kinds_of_lines(
    service: Service, amqp_url: str
) -> None:
    await publish_event(amqp_url, example_event("order.placed.v1"))
    await eventually(lambda: _book_has(service, "true"))

    [row] = await rows(service, "SELECT * FROM order_book")
    assert (row["digital_lines"], row["physical_lines"]) == (1, 1)
    assert row["destination_country"] == "DE"
    assert row["paid_at"] is not None


async def test_payment_that_overtakes_its_order_is_applied_after_it(
    service: Service, amqp_url: str
) -> None:
    captured = example_event("payment.captured.v1")

    await publish_event(amqp_url, captured)
    await publish_event(amqp_url, example_event("order.placed.v1", paid=False))
    await eventually(lambda: _book_has(service, "paid_at IS NOT NULL"))

    [row] = await rows(service, "SELECT paid_at FROM order_book")
    assert row["paid_at"] == captured.payload.captured_at


async def test_erasure_forgets_whose_orders_they_were(
    service: Service, amqp_url: str
) -> None:
    placed = example_event("order.placed.v1")
    hashed = email_sha256(placed.payload.customer.email)

    await publish_event(amqp_url, placed)
    await eventually(lambda: _book_has(service, "true"))
    await publish_event(
        amqp_url, example_event("customer.erased.v1", email_sha256=hashed)
    )
    await eventually(lambda: _book_has(service, "customer_email_sha256 IS NULL"))

    [row] = await rows(service, "SELECT order_number FROM order_book")
    assert row["order_number"] == placed.payload.order_number


async def test_erasure_blanks_the_dead_letters_about_the_customer(
    service: Service, amqp_url: str, database_url: str
) -> None:
    await erase_and_see_dead_letter_blanked(service, amqp_url, database_url)
