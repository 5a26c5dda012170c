"""Erasure by email address, over HTTP and with `orderflow customer erase`."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

import asyncpg
from crm_fakes import smtp_server
from crm_harness import CrmHarness, placed
from typer.testing import CliRunner

from orderflow.backbone.database import quote_ident
from orderflow.backbone.testing import eventually
from orderflow.contracts import (
    CustomerErased,
    CustomerUpserted,
    OrderConfirmationSent,
    OrderPlaced,
    email_sha256,
)
from orderflow.crm.adapters import customer_store as store
from orderflow.crm.cli import app
from orderflow.crm.main import create_service
from orderflow.crm.settings import Settings

ORDERFLOW = Path(sys.executable).with_name("orderflow")


async def test_erasure_over_http_removes_the_customer_everywhere(
    crm: CrmHarness,
) -> None:
    service = crm.service()
    async with crm.running(service):
        await crm.send(placed("ord-1"))
        [upserted] = await crm.wait_for_events(CustomerUpserted)
        await crm.wait_for_events(OrderConfirmationSent)
        await eventually(lambda: _upserted_published(crm))
        assert await _outbox_rows_naming(crm, "ada@example.com") == 1
        assert len(list(crm.mail_dir.glob("*.eml"))) == 1
        async with crm.client(service) as client:
            response = await client.post(
                "/customers/erasure", json={"email": "ADA@example.com"}
            )
            [erased] = await crm.wait_for_events(CustomerErased)

            async def mail_copy_removed() -> bool:
                return not list(crm.mail_dir.glob("*.eml"))

            await eventually(mail_copy_removed)
            [body] = await crm.fetch(
                "SELECT body FROM outbox WHERE routing_key = $1",
                CustomerErased.routing_key(),
            )

    assert response.status_code == 200
    assert response.json() == {"erased": [upserted["customer_id"]]}
    for table in ("customers", "customer_orders", "order_confirmations"):
        assert await crm.count(table) == 0
    assert erased["customer_id"] == upserted["customer_id"]
    assert erased["email_sha256"] == email_sha256("ada@example.com")
    assert b"ada@example.com" not in body["body"]
    assert await _outbox_rows_naming(crm, "ada@example.com") == 0


async def test_erasure_blanks_the_dead_letters_about_the_customer(
    crm: CrmHarness,
) -> None:
    async with smtp_server() as (_, port):
        service = crm.service(smtp_port=port)
        async with crm.running(service):
            await crm.send(placed("ord-1", email="nobody@bounce.test"))
            [bounced] = await crm.wait_for_dead_letters()
            async with crm.client(service) as client:
                response = await client.post(
                    "/customers/erasure", json={"email": "nobody@bounce.test"}
                )
            [erased] = await crm.dead_letters()

    assert response.status_code == 200
    [customer_id] = response.json()["erased"]
    assert customer_id.encode() in bounced.body
    assert erased.id == bounced.id
    assert erased.body == b""
    assert erased.erased_at is not None
    assert erased.error_type == bounced.error_type


async def _upserted_published(crm: CrmHarness) -> bool:
    rows = await crm.fetch(
        "SELECT count(*) AS n FROM outbox"
        " WHERE routing_key = $1 AND published_at IS NOT NULL",
        CustomerUpserted.routing_key(),
    )
    return bool(rows[0]["n"] == 1)


async def _outbox_rows_naming(crm: CrmHarness, text: str) -> int:
    rows = await crm.fetch(
        "SELECT count(*) AS n FROM outbox WHERE position($1::bytea IN body) > 0",
        text.encode(),
    )
    return int(rows[0]["n"])


async def test_erasure_in_one_shop_leaves_the_others(crm: CrmHarness) -> None:
    service = crm.service()
    other_shop = "woocommerce:two.example"
    async with crm.running(service), crm.client(service) as client:
        await crm.send(placed("ord-1"))
        [upserted] = await crm.wait_for_events(CustomerUpserted)
        order = placed("ord-2").payload
        async with service.unit_of_work(placed("ord-2")) as uow:
            await store.upsert_customer(
                uow.conn, other_shop, order.customer, order.placed_at
            )
        response = await client.post(
            "/customers/erasure",
            json={"email": "ada@example.com", "shop_id": upserted["shop_id"]},
        )

    assert response.json() == {"erased": [upserted["customer_id"]]}
    [remaining] = await crm.fetch("SELECT shop_id FROM customers")
    assert remaining["shop_id"] == other_shop


async def test_order_of_an_erased_customer_delivered_again_records_nobody(
    crm: CrmHarness,
) -> None:
    service = crm.service()
    async with crm.running(service), crm.client(service) as client:
        await crm.send(placed("ord-1"))
        await crm.wait_for_events(CustomerUpserted)
        await client.post("/customers/erasure", json={"email": "ada@example.com"})
        await crm.send(placed("ord-1"))
        await crm.wait_until_handled(OrderPlaced, 2)
        await crm.send(placed("ord-2"))
        await crm.wait_until_handled(OrderPlaced, 3)

    [customer] = await crm.fetch("SELECT customer_id FROM customers")
    [order] = await crm.fetch("SELECT order_id, customer_id FROM customer_orders")
    assert (order["order_id"], order["customer_id"]) == (
        "ord-2",
        customer["customer_id"],
    )
    [kept] = await crm.fetch("SELECT * FROM orders_without_customer")
    assert (kept["order_id"], kept["reason"]) == ("ord-1", "erased")


def test_erase_command_refuses_what_is_no_address_or_shop() -> None:
    runner = CliRunner()

    no_address = runner.invoke(app, ["erase", "ada at example.com"])
    no_shop = runner.invoke(app, ["erase", "ada@example.com", "--shop", "x.example"])

    assert no_address.exit_code == no_shop.exit_code == 2
    assert "not an email address" in no_address.output
    assert "not a shop id" in no_shop.output


async def test_erasure_of_an_unknown_address_is_not_found(crm: CrmHarness) -> None:
    service = crm.service()
    async with (
        crm.running(service),
        crm.client(service) as client,
    ):
        response = await client.post(
            "/customers/erasure", json={"email": "nobody@example.com"}
        )

    assert response.status_code == 404
    assert await crm.events(CustomerErased) == []


async def test_erase_command_erases_in_every_shop(database_url: str) -> None:
    service = create_service(Settings(database_url=database_url))
    await service.migrate()
    conn = await asyncpg.connect(
        database_url, server_settings={"search_path": quote_ident(service.name)}
    )
    try:
        for shop in ("shopify:one.myshopify.com", "woocommerce:two.example"):
            order = placed("ord-1").payload
            await store.upsert_customer(conn, shop, order.customer, order.placed_at)

        process = await asyncio.create_subprocess_exec(
            ORDERFLOW,
            "customer",
            "erase",
            "ada@example.com",
            env=os.environ | {"ORDERFLOW_DATABASE_URL": database_url},
            stdout=asyncio.subprocess.PIPE,
        )
        output, _ = await process.communicate()
        remaining = await conn.fetchval("SELECT count(*) FROM customers")
        erased = await conn.fetch(
            "SELECT routing_key FROM outbox WHERE routing_key = $1",
            CustomerErased.routing_key(),
        )
    finally:
        await conn.execute(f"DROP SCHEMA {quote_ident(service.name)} CASCADE")
        await conn.close()

    assert process.returncode == 0
    assert output.decode().count("erased customer") == 2
    assert remaining == 0
    assert len(erased) == 2


async def test_the_routes_refuse_a_missing_or_wrong_key(crm: CrmHarness) -> None:
    service = crm.service(admin_api_key_previous="the-key-before-rotation")
    async with crm.running(service):
        async with crm.client(service, api_key=None) as client:
            missing = await client.post(
                "/customers/erasure", json={"email": "ada@example.com"}
            )
        async with crm.client(service, api_key="a-guess") as client:
            wrong = await client.get("/customers/some-id")
        async with crm.client(service, api_key="the-key-before-rotation") as client:
            rotated = await client.post(
                "/customers/erasure", json={"email": "nobody@example.com"}
            )

    assert missing.status_code == wrong.status_code == 401
    assert missing.headers["www-authenticate"] == "Bearer"
    assert "X-Api-Key" in missing.json()["detail"]
    assert wrong.json()["detail"] == "the API key is not a valid one"
    assert rotated.status_code == 404


async def test_without_a_configured_key_the_routes_are_closed(
    crm: CrmHarness,
) -> None:
    service = crm.service(admin_api_key=None)
    async with crm.running(service), crm.client(service) as client:
        response = await client.post(
            "/customers/erasure", json={"email": "ada@example.com"}
        )

    assert response.status_code == 401
    assert "ORDERFLOW_ADMIN_API_KEY" in response.json()["detail"]
