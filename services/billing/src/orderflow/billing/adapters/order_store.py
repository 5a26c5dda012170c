"""billing's copy of the orders it bills, and the products it registered."""

from __future__ import annotations

import uuid

from orderflow.backbone.database import Connection
from orderflow.billing.domain.invoicing import BillingOrder


async def record_order(conn: Connection, order: BillingOrder) -> bool:
    """Keep the order; False when it was already recorded."""
    status: str = await conn.execute(
        "INSERT INTO orders (shop_id, order_id, body) VALUES ($1, $2, $3) "
        "ON CONFLICT DO NOTHING",
        order.shop_id,
        order.order_id,
        order.model_dump_json(),
    )
    return status.endswith(" 1")


async def order(conn: Connection, shop_id: str, order_id: str) -> BillingOrder | None:
    body = await conn.fetchval(
        "SELECT body FROM orders WHERE shop_id = $1 AND order_id = $2",
        shop_id,
        order_id,
    )
    return BillingOrder.model_validate_json(body) if body else None


async def unregistered_skus(
    conn: Connection, shop_id: str, skus: list[str]
) -> set[str]:
    rows = await conn.fetch(
        "SELECT sku FROM products WHERE shop_id = $1 AND sku = ANY($2::text[])",
        shop_id,
        skus,
    )
    return set(skus) - {row["sku"] for row in rows}


async def claim_product(
    conn: Connection, *, shop_id: str, sku: str, title: str
) -> uuid.UUID | None:
    """Record a product before it is registered anywhere else.

    The new row stays locked until the transaction ends, so a concurrent
    registration of the same SKU waits for it and then finds it taken.
    Returns None when another transaction registered the SKU first.
    """
    product_id: uuid.UUID | None = await conn.fetchval(
        "INSERT INTO products (shop_id, sku, product_id, title) VALUES ($1, $2, $3, $4)"
        " ON CONFLICT DO NOTHING RETURNING product_id",
        shop_id,
        sku,
        uuid.uuid4(),
        title,
    )
    return product_id


async def attach_gateway_product(
    conn: Connection, product_id: uuid.UUID, gateway_product_id: str, price_id: str
) -> None:
    await conn.execute(
        "UPDATE products SET gateway_product_id = $2, gateway_price_id = $3"
        " WHERE product_id = $1",
        product_id,
        gateway_product_id,
        price_id,
    )
