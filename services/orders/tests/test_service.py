"""The running service as a whole."""

from __future__ import annotations

import gc

from orders_harness import OrdersHarness


async def test_startup_heap_is_left_out_of_full_collections(
    orders: OrdersHarness,
) -> None:
    frozen = gc.get_freeze_count()

    gc.collect()

    assert frozen > 0
    assert gc.get_freeze_count() == frozen
