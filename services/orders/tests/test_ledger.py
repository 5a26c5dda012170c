"""The ledger's rules, without a database: what each delivery does."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from orders_fakes import encode, shopify_order

from orderflow.contracts import OrderCancelled, OrderRefunded, OrderUpdated, Platform
from orderflow.orders.domain import shopify
from orderflow.orders.domain.deliveries import Change, Delivery
from orderflow.orders.domain.ledger import Ledger, OrderStatus, Outcome

HEADERS = {
    "x-shopify-topic": "orders/create",
    "x-shopify-shop-domain": "example.myshopify.com",
}
NOW = datetime(2026, 3, 1, 12, tzinfo=UTC)


def _placed(delivery_id: str, order_id: int = 42) -> Delivery:
    body = encode(shopify_order(order_id=order_id))
    delivery = shopify.normalise(
        HEADERS | {"x-shopify-webhook-id": delivery_id}, body, NOW
    )
    assert delivery is not None
    return delivery


def _change(placed: Delivery, delivery_id: str, change: Change) -> Delivery:
    return Delivery(
        Platform.SHOPIFY, delivery_id, "change", placed.key, b"{}", changes=(change,)
    )


def _refund(placed: Delivery, refund_id: str, amount: str, hour: int) -> Change:
    return OrderRefunded(
        shop_id=placed.key.shop_id,
        order_id=placed.order_id,
        platform_order_id=placed.key.platform_order_id,
        refund_id=refund_id,
        refunded_at=datetime(2026, 3, 2, hour, tzinfo=UTC),
        amount=Decimal(amount),
        currency="EUR",
        full=False,
    )


def _note(placed: Delivery, note: str, hour: int) -> Change:
    return OrderUpdated(
        shop_id=placed.key.shop_id,
        order_id=placed.order_id,
        platform_order_id=placed.key.platform_order_id,
        updated_at=datetime(2026, 3, 2, hour, tzinfo=UTC),
        note=note,
    )


def test_second_placement_in_one_batch_is_a_duplicate() -> None:
    first, again = _placed("a"), _placed("b")
    ledger = Ledger({}, {}, set())

    outcomes = ledger.settle([first, again])

    assert outcomes == [Outcome.PLACED, Outcome.DUPLICATE]
    assert len(ledger.events) == 1


def test_delivery_seen_before_is_a_duplicate() -> None:
    ledger = Ledger({}, {}, {("shopify", "a")})

    assert ledger.settle([_placed("a")]) == [Outcome.DUPLICATE]
    assert ledger.events == []


def test_changes_waiting_in_the_batch_apply_in_stamp_order() -> None:
    placed = _placed("p")
    later = _change(placed, "u2", _note(placed, "later", 10))
    earlier = _change(placed, "u1", _note(placed, "earlier", 9))
    ledger = Ledger({}, {}, set())

    outcomes = ledger.settle([later, earlier, placed])

    assert outcomes == [Outcome.APPLIED, Outcome.APPLIED, Outcome.PLACED]
    notes = [e.note for e in ledger.events if isinstance(e, OrderUpdated)]
    assert notes == ["earlier", "later"]
    assert ledger.new_pending == []


def test_change_without_its_order_waits() -> None:
    placed = _placed("p")
    ledger = Ledger({}, {}, set())

    outcomes = ledger.settle([_change(placed, "r", _refund(placed, "r1", "5", 9))])

    assert outcomes == [Outcome.PENDING]
    assert ledger.events == []
    assert len(ledger.new_pending) == 1


def test_refunds_add_up_to_a_full_refund_once_each() -> None:
    placed = _placed("p")
    ledger = Ledger({}, {}, set())

    ledger.settle(
        [
            placed,
            _change(placed, "r1", _refund(placed, "re1", "20.00", 9)),
            _change(placed, "r1-again", _refund(placed, "re1", "20.00", 9)),
            _change(placed, "r2", _refund(placed, "re2", "38.90", 10)),
        ]
    )

    refunds = [e for e in ledger.events if isinstance(e, OrderRefunded)]
    assert [(r.refund_id, r.full) for r in refunds] == [("re1", False), ("re2", True)]
    assert ledger.orders[placed.key].status is OrderStatus.REFUNDED


def test_cancelling_twice_emits_one_cancellation() -> None:
    placed = _placed("p")
    cancel = OrderCancelled(
        shop_id=placed.key.shop_id,
        order_id=placed.order_id,
        platform_order_id=placed.key.platform_order_id,
        cancelled_at=NOW,
    )
    ledger = Ledger({}, {}, set())

    outcomes = ledger.settle(
        [placed, _change(placed, "c1", cancel), _change(placed, "c2", cancel)]
    )

    assert outcomes[1:] == [Outcome.APPLIED, Outcome.DUPLICATE]
