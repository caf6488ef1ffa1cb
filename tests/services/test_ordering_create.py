"""Create Order: one order per Wix order id whatever the resends and races; stock taken once."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select

from posbridge.errors import InvalidArgument, WixError
from posbridge.orders.model import Order
from posbridge.services.ordering import CreatedOrder, create_order
from posbridge.store.db import Database
from posbridge.store.models import Account, OrderLine, OrderLineOption, OrderRow, OrderStatusChange, Stock
from tests.support.fixtures_pos import PosWorld, build_pos
from tests.support.orders import FRIDAY_EVENING, line, wix_order

# all_backends where the database backend matters (the order write, its unique key, races); an order without an
# id is refused before any


@pytest.fixture()
def world(db: Database, instance_id: str) -> PosWorld:
    """The default READY tenant for this test."""
    return build_pos(db, instance_id)


def place(db: Database, world: PosWorld, order: Order, **kwargs: Any) -> CreatedOrder:
    return create_order(
        db,
        **world.ids(),
        order=order,
        paid_by_pos_gateway=kwargs.pop("paid", True),
        now=kwargs.pop("now", FRIDAY_EVENING),
        **kwargs,
    )


def orders_of(db: Database, world: PosWorld) -> list[OrderRow]:
    with db.transaction(write=False) as session:
        return list(
            session.scalars(select(OrderRow).where(OrderRow.instance_id == world.instance_id).order_by(OrderRow.id))
        )


def stock_of(db: Database, world: PosWorld, item: str) -> int | None:
    with db.transaction(write=False) as session:
        row = session.get(Stock, (world.items[item], world.location))
        return None if row is None else row.quantity


def race(count: int, call: Callable[[], Any]) -> list[Any]:
    """Run `call` from `count` threads released at the same instant; results or raised exceptions."""
    barrier = threading.Barrier(count)

    def one() -> Any:
        barrier.wait()
        try:
            return call()
        except Exception as exc:  # collected, judged by the test
            return exc

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(lambda _: one(), range(count)))


@pytest.mark.all_backends
def test_create_writes_the_order_for_the_kitchen(db: Database, world: PosWorld) -> None:
    order = wix_order(
        [
            line("item-2", 2, options={"Size": ["var-large"], "Extras": ["var-bacon"]}, comment="well done"),
            line("item-3"),
        ],
        fulfillment_type="DELIVERY",
        delivery="3.00",
        tax="3.10",
        tip="5.00",
        discount="2.00",
        service_fees=("1.50",),
    )
    created = place(db, world, order, request_id="req-1")
    assert created.created
    assert created.pos_order_id.startswith("po_") and len(created.pos_order_id) == 35
    assert created.pos_location_id == "loc-1"
    with db.transaction(write=False) as session:
        row = session.scalar(select(OrderRow).where(OrderRow.pos_order_id == created.pos_order_id))
        assert row is not None
        assert (row.wix_order_id, row.configuration_wix_id, row.status) == (order.ref, world.configuration_id, "NEW")
        assert row.subtotal == Decimal("45.00")  # (14 + 3 + 2) × 2 + 7
        assert (row.delivery, row.tax, row.tip, row.discount, row.service_fees) == (
            Decimal("3.00"),
            Decimal("3.10"),
            Decimal("5.00"),
            Decimal("2.00"),
            Decimal("1.50"),
        )
        assert row.total == Decimal("55.60")
        assert row.fulfillment_type == "DELIVERY" and row.asap
        assert row.slot_start == FRIDAY_EVENING
        assert row.paid_by_pos_gateway and row.request_id == "req-1"
        assert row.customer["phone"] == "+1 212 555 0100"
        assert row.wix_order["id"] == order.ref
        lines = session.scalars(
            select(OrderLine).where(OrderLine.order_id == row.id).order_by(OrderLine.position)
        ).all()
        assert [(x.name, x.quantity, x.unit_price, x.line_total, x.comment) for x in lines] == [
            ("Diavola", 2, Decimal("14.00"), Decimal("38.00"), "well done"),
            ("Tiramisu", 1, Decimal("7.00"), Decimal("7.00"), None),
        ]
        options = session.scalars(select(OrderLineOption).where(OrderLineOption.line_id == lines[0].id)).all()
        assert sorted((o.group_name, o.name, o.price) for o in options) == [
            ("Extras", "Bacon", Decimal("2.00")),
            ("Size", "Large", Decimal("3.00")),
        ]
        assert all(o.variation_id is not None and o.option_group_id is not None for o in options)
        history = session.scalars(select(OrderStatusChange).where(OrderStatusChange.order_id == row.id)).all()
        assert [h.status for h in history] == ["NEW"]
    assert stock_of(db, world, "item-2") == 3


@pytest.mark.all_backends
def test_a_resend_returns_the_first_answer_and_creates_nothing(db: Database, world: PosWorld) -> None:
    order = wix_order([line("item-2", 2, options={"Size": ["var-small"]})])
    first = place(db, world, order)
    again = place(db, world, order)
    assert again == CreatedOrder(first.pos_order_id, first.pos_location_id, created=False)
    assert len(orders_of(db, world)) == 1
    assert stock_of(db, world, "item-2") == 3  # taken once


@pytest.mark.all_backends
def test_a_resend_is_answered_without_validating_again(db: Database, world: PosWorld) -> None:
    order = wix_order([line("item-2", 5, options={"Size": ["var-small"]})])
    first = place(db, world, order)
    # Since then: sold out, account revoked, and the resend arrives hours later when closed.
    with db.transaction() as session:
        session.get(Account, world.account).authorized = False
    again = place(db, world, order, now=FRIDAY_EVENING + timedelta(hours=8))
    assert again.pos_order_id == first.pos_order_id and not again.created


@pytest.mark.all_backends
def test_the_key_is_per_tenant(db: Database, world: PosWorld) -> None:
    other = build_pos(db, f"{world.instance_id}-other")
    order = wix_order(order_id="wix-order-shared-id")
    mine, theirs = place(db, world, order), place(db, other, order)
    assert mine.created and theirs.created
    assert mine.pos_order_id != theirs.pos_order_id


def test_create_without_an_order_id_is_an_invalid_argument(db: Database, world: PosWorld) -> None:
    order = replace(wix_order(), ref=None)
    with pytest.raises(InvalidArgument) as raised:
        place(db, world, order)
    assert raised.value.http_status == 400


@pytest.mark.all_backends
def test_a_failed_validation_writes_nothing(db: Database, world: PosWorld) -> None:
    order = wix_order([line("item-2", 2, price="1.00", options={"Size": ["var-small"]})])
    with pytest.raises(WixError) as raised:
        place(db, world, order)
    assert [d.code for d in raised.value.details] == ["PRICE_CHANGED"]
    assert orders_of(db, world) == []
    assert stock_of(db, world, "item-2") == 5


@pytest.mark.all_backends
def test_untracked_stock_is_left_alone(db: Database, world: PosWorld) -> None:
    place(db, world, wix_order([line("item-3", 3)]))
    assert stock_of(db, world, "item-3") is None


@pytest.mark.all_backends
def test_stock_runs_out_and_the_next_order_is_refused(db: Database, world: PosWorld) -> None:
    place(db, world, wix_order([line("item-2", 5, options={"Size": ["var-small"]})]))
    assert stock_of(db, world, "item-2") == 0
    with pytest.raises(WixError) as raised:
        place(db, world, wix_order([line("item-2", options={"Size": ["var-small"]})]))
    assert raised.value.code == "AVAILABILITY_CHANGED"


@pytest.mark.all_backends
def test_fifty_identical_concurrent_creates_make_one_order(db: Database, world: PosWorld) -> None:
    order = wix_order([line("item-2", 2, options={"Size": ["var-small"]})])
    results = race(50, lambda: place(db, world, order))
    assert all(isinstance(r, CreatedOrder) for r in results), [r for r in results if not isinstance(r, CreatedOrder)]
    assert len({r.pos_order_id for r in results}) == 1
    assert sum(r.created for r in results) == 1
    assert len(orders_of(db, world)) == 1
    assert stock_of(db, world, "item-2") == 3


@pytest.mark.all_backends
def test_concurrent_orders_never_oversell_tracked_stock(db: Database, world: PosWorld) -> None:
    results = race(12, lambda: place(db, world, wix_order([line("item-2", options={"Size": ["var-small"]})])))
    outcomes = Counter(r.code if isinstance(r, WixError) else type(r).__name__ for r in results)
    assert outcomes == {"CreatedOrder": 5, "AVAILABILITY_CHANGED": 7}
    assert stock_of(db, world, "item-2") == 0


@pytest.mark.all_backends
def test_concurrent_orders_never_overfill_a_slot(db: Database, instance_id: str) -> None:
    world = build_pos(db, instance_id, location={"orders_per_slot": 3})
    results = race(10, lambda: place(db, world, wix_order([line("item-3")])))
    outcomes = Counter(r.code if isinstance(r, WixError) else type(r).__name__ for r in results)
    assert outcomes == {"CreatedOrder": 3, "NO_CAPACITY": 7}
    with db.transaction(write=False) as session:
        taken = session.scalar(select(func.count(OrderRow.id)).where(OrderRow.location_id == world.location))
    assert taken == 3
