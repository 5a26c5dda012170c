"""crm's `customer.erased.v1`: the person leaves every order the service keeps."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from typing import Any

import asyncpg
from orders_fakes import (
    API_KEY,
    SHOP_DOMAIN,
    changed,
    encode,
    shopify_headers,
    shopify_order,
    shopify_refund,
)
from orders_harness import OrdersHarness
from structlog.testing import capture_logs

from orderflow.contracts import (
    CustomerErased,
    Envelope,
    OrderPlaced,
    email_sha256,
    wrap,
)
from orderflow.contracts.examples import EXAMPLES
from orderflow.orders.domain.erasure import anonymised_order

SHOP = f"shopify:{SHOP_DOMAIN}"
OTHER_SHOP_DOMAIN = "other.myshopify.com"


def _tag() -> str:
    return uuid.uuid4().hex[:10]


@dataclass(frozen=True)
class Person:
    """A customer whose every detail is unique to one test."""

    tag: str = field(default_factory=_tag)

    @property
    def email(self) -> str:
        return f"Jo.Erased-{self.tag}@Example.DE"

    @property
    def last_name(self) -> str:
        return f"Erased{self.tag}"

    @property
    def street(self) -> str:
        return f"Loeschweg {self.tag}"

    @property
    def phone(self) -> str:
        return f"+49 30 {int(self.tag, 16) % 10**8}"

    @property
    def details(self) -> tuple[str, ...]:
        return self.email, self.last_name, self.street, self.phone

    def order(self, customer_id: int | None = None) -> dict[str, Any]:
        """A Shopify order of this person."""
        order = shopify_order()
        address = order["billing_address"] | {
            "first_name": "Jo",
            "last_name": self.last_name,
            "name": f"Jo {self.last_name}",
            "address1": self.street,
            "phone": self.phone,
        }
        customer = order["customer"] | {
            "email": self.email,
            "first_name": "Jo",
            "last_name": self.last_name,
            "phone": self.phone,
        }
        if customer_id is not None:
            customer["id"] = customer_id
        order.update(
            email=self.email,
            contact_email=self.email,
            customer=customer,
            billing_address=address,
            shipping_address=address,
        )
        return order

    def erasure(self, **fields: Any) -> Envelope[CustomerErased]:
        """crm's event erasing this person, as its relay publishes it."""
        erased = CustomerErased(
            shop_id=SHOP,
            customer_id=f"cus-{self.tag}",
            email_sha256=email_sha256(self.email),
            **fields,
        )
        return wrap(erased, producer="crm", correlation_id=erased.customer_id)


async def _shopify(
    orders: OrdersHarness,
    payload: dict[str, Any],
    topic: str = "orders/create",
    shop: str = SHOP_DOMAIN,
) -> dict[str, Any]:
    body = encode(payload)
    headers = shopify_headers(body, topic) | {"X-Shopify-Shop-Domain": shop}
    return await orders.accepted("/webhooks/shopify", body, headers)


async def _stored(orders: OrdersHarness, order_id: str) -> dict[str, Any]:
    assert orders.client is not None
    response = await orders.client.get(
        f"/orders/{order_id}", headers={"X-Api-Key": API_KEY}
    )
    assert response.status_code == 200, response.text
    stored: dict[str, Any] = response.json()
    return stored


async def test_erasure_takes_the_customer_out_of_every_orders_table(
    orders: OrdersHarness,
) -> None:
    person = Person()
    order = person.order()
    placed = await _shopify(orders, order)
    await _shopify(orders, shopify_refund(order, 77_001, "12.00"), "refunds/create")
    waiting = await _shopify(orders, person.order(), "orders/updated")
    before = await orders.traces(*person.details)

    outcome = await orders.erase(person.erasure())

    assert outcome == "applied"
    assert waiting["status"] == "pending"
    assert before >= {"deliveries", "orders", "pending_changes", "outbox"}
    assert await orders.traces(*person.details) == set()
    stored = await _stored(orders, placed["order_id"])
    assert stored["erased_at"] is not None
    assert stored["status"] == "partially_refunded"
    assert set(stored["order"]["customer"].values()) == {None}
    assert stored["order"]["shipping_address"]["country"] == "DE"
    assert stored["order"]["shipping_address"]["line1"] is None
    assert stored["order"]["totals"]["total"] == "58.90"
    assert stored["order"]["note"] is None


async def test_erased_order_events_still_fit_their_contract(
    orders: OrdersHarness,
) -> None:
    person = Person()
    placed = await _shopify(orders, person.order())

    await orders.erase(person.erasure())

    [(key, payload)] = await orders.events(placed["order_id"])
    assert key == "order.placed.v1"
    event = OrderPlaced.model_validate(payload)
    assert event.customer.email is None
    assert [line.sku for line in event.lines] == ["CUP-WHITE", "GUIDE-PDF"]


async def test_erasure_leaves_other_customers_and_shops_alone(
    orders: OrdersHarness,
) -> None:
    person, neighbour = Person(), Person()
    await _shopify(orders, person.order())
    theirs = await _shopify(orders, neighbour.order())
    elsewhere = await _shopify(orders, person.order(), shop=OTHER_SHOP_DOMAIN)

    await orders.erase(person.erasure())

    kept = {"deliveries", "orders", "outbox"}
    assert await orders.traces(neighbour.email) >= kept
    assert await orders.traces(person.email) >= kept
    for receipt, email in ((theirs, neighbour.email), (elsewhere, person.email)):
        stored = await _stored(orders, receipt["order_id"])
        assert stored["erased_at"] is None
        assert stored["order"]["customer"]["email"] == email
    [(_, event)] = await orders.events(elsewhere["order_id"])
    assert event["customer"]["last_name"] == person.last_name


async def test_erasure_finds_orders_by_the_platform_customer_id(
    orders: OrdersHarness,
) -> None:
    person, their_new_address = Person(), Person()
    customer_id = 207_119_000_000 + int(person.tag[:6], 16)
    placed = await _shopify(orders, person.order(customer_id))
    erasure = their_new_address.erasure(platform_customer_id=str(customer_id))

    await orders.erase(erasure)

    assert await orders.traces(*person.details) == set()
    stored = await _stored(orders, placed["order_id"])
    assert stored["order"]["customer"]["platform_customer_id"] is None


async def test_update_after_erasure_does_not_bring_the_person_back(
    orders: OrdersHarness,
) -> None:
    person = Person()
    order = person.order()
    placed = await _shopify(orders, order)
    await orders.erase(person.erasure())
    update = changed(
        order, tags="vip, returning", updated_at="2026-03-02T08:00:00+01:00"
    )

    updated = await _shopify(orders, update, "orders/updated")
    refunded = await _shopify(
        orders, shopify_refund(order, 78_001, "12.00"), "refunds/create"
    )

    assert (updated["status"], refunded["status"]) == ("applied", "applied")
    assert await orders.traces(*person.details) == set()
    events = await orders.events(placed["order_id"])
    assert [key for key, _ in events] == [
        "order.placed.v1",
        "order.updated.v1",
        "order.refunded.v1",
    ]
    assert events[1][1]["tags"] == ["vip", "returning"]
    assert events[1][1]["customer"] is None
    stored = await _stored(orders, placed["order_id"])
    assert stored["order"]["tags"] == ["vip", "returning"]
    assert set(stored["order"]["customer"].values()) == {None}


async def test_webhook_sent_again_after_erasure_is_still_a_duplicate(
    orders: OrdersHarness,
) -> None:
    person = Person()
    body = encode(person.order())
    headers = shopify_headers(body)
    await orders.accepted("/webhooks/shopify", body, headers)
    await orders.erase(person.erasure())

    again = await orders.accepted("/webhooks/shopify", body, headers)

    assert again["status"] == "duplicate"
    assert await orders.traces(*person.details) == set()


async def test_order_whose_waiting_change_was_erased_is_placed_anonymous(
    orders: OrdersHarness,
) -> None:
    person = Person()
    order = person.order()
    waiting = changed(order, updated_at="2026-03-02T08:00:00+01:00")
    await _shopify(orders, waiting, "orders/updated")
    await orders.erase(person.erasure())

    placed = await _shopify(orders, order)

    assert placed["status"] == "placed"
    assert await orders.traces(*person.details) == set()
    [(key, event)] = await orders.events(placed["order_id"])
    assert key == "order.placed.v1"
    assert set(event["customer"].values()) == {None}
    stored = await _stored(orders, placed["order_id"])
    assert stored["erased_at"] is not None


async def test_new_order_after_the_erasure_is_kept_as_it_comes(
    orders: OrdersHarness,
) -> None:
    person = Person()
    await _shopify(orders, person.order())
    await orders.erase(person.erasure())

    again = await _shopify(orders, person.order())

    stored = await _stored(orders, again["order_id"])
    assert stored["erased_at"] is None
    assert stored["order"]["customer"]["email"] == person.email


async def test_erasure_delivered_again_changes_nothing_more(
    orders: OrdersHarness,
) -> None:
    person = Person()
    order = person.order()
    placed = await _shopify(orders, order)
    erasure = person.erasure()
    await orders.erase(erasure)
    after_first = await _rows_of(orders, placed["order_id"])

    redelivered = await orders.erase(erasure)
    erased_again = await orders.erase(person.erasure())

    assert (redelivered, erased_again) == ("duplicate", "applied")
    assert await _rows_of(orders, placed["order_id"]) == after_first


async def test_erasure_is_logged_with_ids_only(orders: OrdersHarness) -> None:
    person = Person()
    await _shopify(orders, person.order())
    await _shopify(orders, person.order())

    with capture_logs() as logs:
        await orders.erase(person.erasure())

    [erased] = [entry for entry in logs if entry["event"] == "customer.erased"]
    assert erased["customer_id"] == f"cus-{person.tag}"
    assert erased["orders"] == 2
    for detail in person.details:
        assert detail not in repr(logs)


async def test_erasure_blanks_the_dead_letters_about_the_customer(
    orders: OrdersHarness,
) -> None:
    person = Person()
    body = json.dumps({"payload": {"customer": {"email": person.email}}}).encode()
    [letter] = await orders.fetch(
        "INSERT INTO dead_letters (original_queue, reason, dead_lettered_at,"
        " headers, body) VALUES ('orders.customer.erased.v1', 'permanent', now(),"
        " '{}', $1) RETURNING id",
        body,
    )

    await orders.erase(person.erasure())

    [row] = await orders.fetch(
        "SELECT body, erased_at FROM dead_letters WHERE id = $1", letter["id"]
    )
    assert row["body"] == b""
    assert row["erased_at"] is not None


def test_anonymised_order_keeps_what_is_not_the_person() -> None:
    order = EXAMPLES["order.placed.v1"]
    assert isinstance(order, OrderPlaced)

    anonymous = anonymised_order(order)

    again = OrderPlaced.model_validate_json(anonymous.model_dump_json())
    assert again == anonymous
    assert set(anonymous.customer.model_dump().values()) == {None}
    assert anonymous.shipping_address is not None
    assert order.shipping_address is not None
    assert anonymous.shipping_address.country == order.shipping_address.country
    assert anonymous.lines == order.lines
    assert anonymous.totals == order.totals


async def test_migration_hashes_the_email_of_orders_stored_before_it(
    orders: OrdersHarness,
) -> None:
    schema = f"orders_backfill_{_tag()}"
    email = "Ünal.Öz@Example.DE"
    customer = json.dumps({"customer": {"email": email, "platform_customer_id": "42"}})
    migrations = orders.service.migrations()
    erasure = next(m for m in migrations if m.name == "0003_customer_erasure.sql")
    conn = await asyncpg.connect(
        orders.database_url, server_settings={"search_path": schema}
    )
    try:
        await conn.execute(f"CREATE SCHEMA {schema}")
        for migration in migrations[: migrations.index(erasure)]:
            await conn.execute(migration.sql)
        await _store_old_rows(conn, customer)

        await conn.execute(erasure.sql)

        keys = await conn.fetch(
            "SELECT customer_email_sha256, platform_customer_id FROM orders"
            " UNION ALL SELECT customer_email_sha256, platform_customer_id"
            " FROM pending_changes"
        )
    finally:
        await conn.execute(f"DROP SCHEMA {schema} CASCADE")
        await conn.close()
    assert [tuple(row) for row in keys] == [(email_sha256(email), "42")] * 2


async def _store_old_rows(conn: asyncpg.Connection, payload: str) -> None:
    await conn.execute(
        "INSERT INTO orders (order_id, shop_id, platform_order_id, status, current)"
        " VALUES ($1, $2, '1', 'placed', $3)",
        uuid.uuid4(),
        SHOP,
        payload,
    )
    await conn.execute(
        "INSERT INTO pending_changes (order_id, shop_id, platform_order_id,"
        " event_type, stamp, delivery_id, payload)"
        " VALUES ($1, $2, '2', 'order.updated', now(), 'd-2', $3)",
        uuid.uuid4(),
        SHOP,
        payload,
    )


async def _rows_of(orders: OrdersHarness, order_id: str) -> list[tuple[Any, ...]]:
    """Everything stored about an order, to compare before and after."""
    queries = (
        "SELECT current::text, modified_at FROM orders WHERE order_id = $1::uuid",
        "SELECT body FROM deliveries WHERE order_id = $1::uuid ORDER BY delivery_id",
        "SELECT body FROM outbox WHERE correlation_id = $1 ORDER BY id",
        "SELECT customer_id, erased_at FROM erased_orders WHERE order_id = $1::uuid",
    )
    rows: list[tuple[Any, ...]] = []
    for query in queries:
        rows.extend(tuple(row) for row in await orders.fetch(query, order_id))
    return rows
