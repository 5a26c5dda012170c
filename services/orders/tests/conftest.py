"""Fixtures of the orders tests: one running service for all of them."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest
from orders_fakes import (
    API_KEY,
    API_OLD_KEY,
    GUMROAD_KEY,
    GUMROAD_OLD_KEY,
    SHOPIFY_KEY,
    SHOPIFY_OLD_KEY,
    STRIPE_KEY,
    STRIPE_OLD_KEY,
    WOOCOMMERCE_KEY,
    WOOCOMMERCE_OLD_KEY,
)
from orders_harness import OrdersHarness

from orderflow.backbone.testing import virtual_host
from orderflow.orders.main import create_service
from orderflow.orders.settings import Settings


@pytest.fixture(scope="session")
def orders_amqp_url() -> Iterator[str]:
    """A virtual host of the orders tests' own.

    The orders service runs until the session ends, and the other services'
    tests must not receive the orders its relay publishes.
    """
    with virtual_host() as url:
        yield url


# NOTE: one service for every orders test. Stopping a service leaves aio-pika
# a close callback that sometimes never runs when several are stopped in one
# session, which the suite's warning filter turns into an error.
@pytest.fixture(scope="session")
async def orders(
    orders_amqp_url: str, database_url: str
) -> AsyncIterator[OrdersHarness]:
    settings = Settings(
        amqp_url=orders_amqp_url,
        database_url=database_url,
        outbox_poll_interval=0.2,
        shutdown_grace=5.0,
        shopify_secret=SHOPIFY_KEY,
        shopify_secret_previous=SHOPIFY_OLD_KEY,
        woocommerce_secret=WOOCOMMERCE_KEY,
        woocommerce_secret_previous=WOOCOMMERCE_OLD_KEY,
        gumroad_secret=GUMROAD_KEY,
        gumroad_secret_previous=GUMROAD_OLD_KEY,
        stripe_secret=STRIPE_KEY,
        stripe_secret_previous=STRIPE_OLD_KEY,
        api_key=API_KEY,
        api_key_previous=API_OLD_KEY,
    )
    service = create_service(settings)
    harness = OrdersHarness(service, database_url)
    async with harness.running():
        yield harness
