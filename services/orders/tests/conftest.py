"""Fixtures of the orders tests: one running service for all of them."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from orders_fakes import (
    API_KEY,
    GUMROAD_KEY,
    SHOPIFY_KEY,
    SHOPIFY_OLD_KEY,
    STRIPE_KEY,
    WOOCOMMERCE_KEY,
)
from orders_harness import OrdersHarness

from orderflow.orders.main import create_service
from orderflow.orders.settings import Settings


# NOTE: one service for every orders test. Stopping a service leaves aio-pika
# a close callback that sometimes never runs when several are stopped in one
# session, which the suite's warning filter turns into an error.
@pytest.fixture(scope="session")
async def orders(amqp_url: str, database_url: str) -> AsyncIterator[OrdersHarness]:
    settings = Settings(
        amqp_url=amqp_url,
        database_url=database_url,
        outbox_poll_interval=0.2,
        shutdown_grace=5.0,
        shopify_secret=SHOPIFY_KEY,
        shopify_secret_previous=SHOPIFY_OLD_KEY,
        woocommerce_secret=WOOCOMMERCE_KEY,
        gumroad_secret=GUMROAD_KEY,
        stripe_secret=STRIPE_KEY,
        api_key=API_KEY,
    )
    service = create_service(settings)
    harness = OrdersHarness(service, database_url)
    async with harness.running():
        yield harness
