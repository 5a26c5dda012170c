"""The own customer store: one customer per normalised email, with history."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from decimal import Decimal

import asyncpg
from crm_harness import EXAMPLE_ORDER, CrmHarness, placed
from prometheus_client import REGISTRY

from orderflow.backbone.database import quote_ident
from orderflow.backbone.testing import eventually
from orderflow.contracts import (
    CustomerUpserted,
    Envelope,
    OrderCancelled,
    OrderPlaced,
    OrderRefunded,
    OrderUpdated,
    wrap,
)
from orderflow.crm.adapters import customer_store as store
from orderflow.crm.domain.customers import CustomerUpsert


async def test_first_order_creates_the_customer_and_emits_upserted(
    crm: CrmHarness,
) -> None:
    service = crm.service()
    async with crm.running(service):
        await crm.send(placed("ord-1", marketing_consent=True))
        [event] = await crm.wait_for_events(CustomerUpserted)

    [row] = await crm.fetch("SELECT * FROM customers")
    assert row["email"] == "ada@example.com"
    assert row["first_name"] == EXAMPLE_ORDER.customer.first_name
    assert row["marketing_consent"] is True
    assert event["created"] is True
    assert event["customer_id"] == row["customer_id"]
    assert event["order_id"] == "ord-1"


async def test_orders_of_one_normalised_email_share_one_customer(
    crm: CrmHarness,
) -> None:
    service = crm.service()
    async with crm.running(service):
        await crm.send(placed("ord-1", email="Ada@Example.com"))
        await crm.wait_for_events(CustomerUpserted)
        await crm.send(placed("ord-2", email="ADA@example.COM", minutes_later=5))
        events = await crm.wait_for_events(CustomerUpserted, 2)

    assert await crm.count("customers") == 1
    assert [event["created"] for event in events] == [True, False]
    orders = await crm.fetch("SELECT order_id FROM customer_orders ORDER BY 1")
    assert [row["order_id"] for row in orders] == ["ord-1", "ord-2"]


async def test_two_first_orders_at_once_make_one_customer(crm: CrmHarness) -> None:
    replicas = [crm.service(prefetch=10), crm.service(prefetch=10)]
    async with crm.running(replicas[0]), crm.running(replicas[1]):
        await asyncio.gather(
            crm.send(placed("ord-1", email="Ada@Example.com")),
            crm.send(placed("ord-2", email="ADA@example.com", minutes_later=1)),
        )
        events = await crm.wait_for_events(CustomerUpserted, 2)

    assert await crm.count("customers") == 1
    assert await crm.count("customer_orders") == 2
    assert sorted(event["created"] for event in events) == [False, True]
    assert len({event["customer_id"] for event in events}) == 1


async def test_concurrent_upserts_of_a_new_customer_wait_and_update(
    crm: CrmHarness,
) -> None:
    service = crm.service()
    await service.migrate()
    settings = {"search_path": quote_ident(crm.name)}
    first = await asyncpg.connect(crm.database_url, server_settings=settings)
    second = await asyncpg.connect(crm.database_url, server_settings=settings)
    order = EXAMPLE_ORDER

    async def second_waits_for_the_first() -> bool:
        rows = await crm.fetch(
            "SELECT wait_event_type FROM pg_stat_activity WHERE pid = $1",
            second.get_server_pid(),
        )
        return bool(rows[0]["wait_event_type"] == "Lock")

    try:
        async with first.transaction():
            made = await store.upsert_customer(
                first, order.shop_id, order.customer, order.placed_at
            )
            racing = asyncio.create_task(_upsert_in_transaction(second))
            await eventually(second_waits_for_the_first)
            assert not racing.done()
        updated = await racing
    finally:
        await first.close()
        await second.close()

    assert made is not None
    assert updated is not None
    assert made.created is True
    assert updated.created is False
    assert updated.record.customer_id == made.record.customer_id


async def _upsert_in_transaction(conn: asyncpg.Connection) -> CustomerUpsert | None:
    order = EXAMPLE_ORDER
    async with conn.transaction():
        return await store.upsert_customer(
            conn, order.shop_id, order.customer, order.placed_at
        )


async def test_an_older_order_handled_late_keeps_the_newer_profile(
    crm: CrmHarness,
) -> None:
    service = crm.service()
    async with crm.running(service):
        await crm.send(placed("ord-2", minutes_later=10, last_name="Byron", phone=None))
        await crm.wait_for_events(CustomerUpserted)
        await crm.send(placed("ord-1", last_name="Lovelace", phone="+44 20 7946 0000"))
        await crm.wait_for_events(CustomerUpserted, 2)

    [row] = await crm.fetch("SELECT last_name, phone FROM customers")
    assert row["last_name"] == "Byron"
    assert row["phone"] == "+44 20 7946 0000"


async def test_marketing_consent_follows_the_newest_order_that_reports_it(
    crm: CrmHarness,
) -> None:
    service = crm.service()
    async with crm.running(service):
        await crm.send(placed("ord-1", marketing_consent=True))
        await crm.wait_for_events(CustomerUpserted)
        await crm.send(placed("ord-2", minutes_later=5, marketing_consent=None))
        await crm.wait_for_events(CustomerUpserted, 2)
        [kept] = await crm.fetch("SELECT marketing_consent FROM customers")
        await crm.send(placed("ord-3", minutes_later=10, marketing_consent=False))
        await crm.wait_for_events(CustomerUpserted, 3)

    [withdrawn] = await crm.fetch("SELECT marketing_consent FROM customers")
    assert kept["marketing_consent"] is True
    assert withdrawn["marketing_consent"] is False


async def test_redelivered_order_is_recorded_once(crm: CrmHarness) -> None:
    service = crm.service()
    order = placed("ord-1")
    async with crm.running(service):
        await crm.send(order)
        await crm.send(order)
        await crm.send(placed("ord-1"))
        await crm.send(placed("ord-2"))
        await crm.wait_for_events(CustomerUpserted, 2)

    assert await crm.count("customer_orders") == 2
    upserted = await crm.events(CustomerUpserted)
    assert sorted(event["order_id"] for event in upserted) == ["ord-1", "ord-2"]


async def test_order_without_email_or_customer_id_records_nobody(
    crm: CrmHarness,
) -> None:
    service = crm.service()
    anonymous = placed("ord-0", email=None, platform_customer_id=None)
    async with crm.running(service):
        await crm.send(anonymous)
        await crm.send(placed("ord-1"))
        await crm.wait_for_events(CustomerUpserted)

    assert await crm.count("customers") == 1
    assert await crm.count("customer_orders") == 1


async def test_customer_shows_orders_and_lifetime_value_per_currency(
    crm: CrmHarness,
) -> None:
    service = crm.service()
    async with crm.running(service):
        await crm.send(placed("ord-1"))
        await crm.send(placed("ord-2", minutes_later=1))
        [event, _] = await crm.wait_for_events(CustomerUpserted, 2)
        async with crm.client(service) as client:
            response = await client.get(f"/customers/{event['customer_id']}")

    body = response.json()
    assert response.status_code == 200
    assert body["orders"] == 2
    total = EXAMPLE_ORDER.totals.total
    assert Decimal(body["lifetime_value"]["EUR"]) == total * 2


async def test_refunds_and_cancellations_lower_the_lifetime_value(
    crm: CrmHarness,
) -> None:
    service = crm.service()
    order = EXAMPLE_ORDER
    refund = OrderRefunded(
        shop_id=order.shop_id,
        order_id="ord-1",
        platform_order_id=order.platform_order_id,
        refund_id="re-1",
        refunded_at=order.placed_at,
        amount=Decimal("19.00"),
        currency=order.currency,
        full=False,
    )
    cancelled = OrderCancelled(
        shop_id=order.shop_id,
        order_id="ord-3",
        platform_order_id="ord-3",
        cancelled_at=order.placed_at,
    )
    async with crm.running(service):
        await crm.send(wrap(cancelled, producer="orders", correlation_id="ord-3"))
        for order_id in ("ord-1", "ord-2", "ord-3"):
            await crm.send(placed(order_id))
        [event, *_] = await crm.wait_for_events(CustomerUpserted, 3)
        await crm.send(wrap(refund, producer="orders", correlation_id="ord-1"))
        await crm.send(wrap(refund, producer="orders", correlation_id="ord-1"))

        async def refunded() -> bool:
            rows = await crm.fetch(
                "SELECT count(*) AS n FROM inbox WHERE subscription LIKE $1",
                "%order.refunded.v1",
            )
            return bool(rows[0]["n"] == 2)

        await eventually(refunded)
        async with crm.client(service) as client:
            response = await client.get(f"/customers/{event['customer_id']}")

    body = response.json()
    assert await crm.count("order_refunds") == 1
    assert body["orders"] == 3
    expected = order.totals.total * 2 - Decimal("19.00")
    assert Decimal(body["lifetime_value"]["EUR"]) == expected
    history = {entry["order_id"]: entry for entry in body["history"]}
    assert Decimal(history["ord-1"]["refunded"]) == Decimal("19.00")
    assert [history[o]["cancelled"] for o in ("ord-1", "ord-2", "ord-3")] == [
        False,
        False,
        True,
    ]


async def test_customer_changed_on_the_order_takes_the_order_along(
    crm: CrmHarness,
) -> None:
    service = crm.service()
    original = placed("ord-1")
    corrected = OrderUpdated(
        shop_id=original.payload.shop_id,
        order_id="ord-1",
        platform_order_id=original.payload.platform_order_id,
        updated_at=original.payload.placed_at + timedelta(hours=1),
        customer=original.payload.customer.model_copy(
            update={"email": "ada.lovelace@example.com"}
        ),
    )
    async with crm.running(service):
        await crm.send(original)
        [before] = await crm.wait_for_events(CustomerUpserted)
        await crm.send(wrap(corrected, producer="orders", correlation_id="ord-1"))
        [_, after] = await crm.wait_for_events(CustomerUpserted, 2)

    assert after["created"] is True
    assert after["customer"]["email"] == "ada.lovelace@example.com"
    [row] = await crm.fetch("SELECT customer_id FROM customer_orders")
    assert row["customer_id"] == after["customer_id"] != before["customer_id"]


def _update(
    minutes_later: int, *, total: str | None = None, email: str | None = None
) -> Envelope[OrderUpdated]:
    """An update of the example order `ord-1`, stamped some minutes later."""
    order = placed("ord-1").payload
    changes: dict[str, object] = {}
    if total is not None:
        changes["totals"] = order.totals.model_copy(update={"total": Decimal(total)})
    if email is not None:
        changes["customer"] = order.customer.model_copy(update={"email": email})
    update = OrderUpdated(
        shop_id=order.shop_id,
        order_id="ord-1",
        platform_order_id=order.platform_order_id,
        updated_at=order.placed_at + timedelta(minutes=minutes_later),
        **changes,
    )
    return wrap(update, producer="orders", correlation_id="ord-1")


async def test_edited_order_counts_with_its_new_total_and_not_an_older_one(
    crm: CrmHarness,
) -> None:
    service = crm.service()
    async with crm.running(service), crm.client(service) as client:
        await crm.send(placed("ord-1"))
        [event] = await crm.wait_for_events(CustomerUpserted)
        await crm.send(_update(60, total="50.00"))
        await crm.wait_until_handled(OrderUpdated)
        await crm.send(_update(30, total="40.00"))
        await crm.wait_until_handled(OrderUpdated, 2)
        response = await client.get(f"/customers/{event['customer_id']}")

    assert Decimal(response.json()["lifetime_value"]["EUR"]) == Decimal("50.00")


async def test_update_that_overtakes_its_order_waits_for_it(crm: CrmHarness) -> None:
    service = crm.service(retry_delays=[0.5] * 40)
    failures = {
        "service": crm.name,
        "subscription": f"{crm.name}.{OrderUpdated.routing_key()}",
        "error_type": "OrderNotYetKnown",
    }

    async def update_put_off() -> bool:
        count = REGISTRY.get_sample_value("orderflow_messages_failed_total", failures)
        return bool(count)

    async with crm.running(service):
        await crm.send(_update(60, email="ada.lovelace@example.com"))
        await eventually(update_put_off)
        await crm.send(placed("ord-1"))
        await crm.wait_until_handled(OrderUpdated)

    [order] = await crm.fetch(
        "SELECT c.email FROM customer_orders o JOIN customers c USING (customer_id)"
    )
    assert order["email"] == "ada.lovelace@example.com"
    assert await crm.count("customers") == 2
    assert await crm.dead_letters() == []


async def test_older_change_of_customer_handled_late_moves_nothing(
    crm: CrmHarness,
) -> None:
    service = crm.service()
    async with crm.running(service):
        await crm.send(placed("ord-1"))
        await crm.wait_for_events(CustomerUpserted)
        await crm.send(_update(60, email="ada.lovelace@example.com"))
        await crm.wait_until_handled(OrderUpdated)
        await crm.send(_update(30, email="countess@example.com"))
        await crm.wait_until_handled(OrderUpdated, 2)

    emails = await crm.fetch("SELECT email FROM customers ORDER BY email")
    assert [row["email"] for row in emails] == [
        "ada.lovelace@example.com",
        "ada@example.com",
    ]
    [order] = await crm.fetch(
        "SELECT c.email FROM customer_orders o JOIN customers c USING (customer_id)"
    )
    assert order["email"] == "ada.lovelace@example.com"


async def test_update_of_an_order_that_named_nobody_changes_nothing(
    crm: CrmHarness,
) -> None:
    service = crm.service()
    async with crm.running(service):
        await crm.send(placed("ord-1", email=None, platform_customer_id=None))
        await crm.wait_until_handled(OrderPlaced)
        await crm.send(_update(60, total="50.00"))
        await crm.wait_until_handled(OrderUpdated)

    assert await crm.count("customers") == 0
    assert await crm.dead_letters() == []
