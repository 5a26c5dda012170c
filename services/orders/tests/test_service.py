"""The running service as a whole."""

from __future__ import annotations

import gc

from orders_harness import OrdersHarness


async def test_startup_heap_is_left_out_of_full_collections(
    orders: OrdersHarness,
) -> None:
    assert orders.service.pool is not None

    assert gc.get_freeze_count() > 0
