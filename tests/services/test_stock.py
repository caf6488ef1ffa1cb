"""Stock and 86: the last portion sold once under a race, cancels give portions back, an 86 (for now or until a
time) is what Validate and Create Order see at once, and every change owes Wix one coalesced push."""

from __future__ import annotations

import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from posbridge.errors import WixError
from posbridge.pos.stock import blocked_items
from posbridge.services import order_flow, stock
from posbridge.services.ordering import CreatedOrder, create_order, validate_order
from posbridge.store.db import Database
from posbridge.store.models import OutboundJob, Stock
from posbridge.store.types import utcnow
from tests.services.test_ordering_create import race
from tests.support.fixtures_pos import PosWorld, build_pos
from tests.support.orders import FRIDAY_EVENING, line, wix_order

pytestmark = pytest.mark.all_backends  # row locks and the stock row's upsert differ per backend

SMALL = {"Size": ["var-small"]}
LOC = "loc-1"


@pytest.fixture()
def world(db: Database, instance_id: str) -> PosWorld:
    return build_pos(db, instance_id)


def place(db: Database, world: PosWorld, quantity: int = 1) -> CreatedOrder:
    order = wix_order([line("item-2", quantity, options=SMALL)], order_id=f"wix-{uuid.uuid4().hex[:12]}")
    return create_order(db, **world.ids(), order=order, paid_by_pos_gateway=True, now=FRIDAY_EVENING)


def quantity(db: Database, world: PosWorld, item: str = "item-2") -> int | None:
    with db.transaction(write=False) as session:
        row = session.get(Stock, (world.items[item], world.location))
        return None if row is None else row.quantity


def stock_jobs(db: Database, world: PosWorld) -> list[OutboundJob]:
    with db.transaction(write=False) as session:
        query = select(OutboundJob).where(OutboundJob.kind == "STOCK", OutboundJob.instance_id == world.instance_id)
        return list(session.scalars(query.order_by(OutboundJob.id)))


def test_two_last_portion_orders_at_once_one_succeeds(db: Database, instance_id: str) -> None:
    world = build_pos(db, instance_id, stock={"item-2": 1})
    results = race(2, lambda: place(db, world))
    outcomes = Counter(r.code if isinstance(r, WixError) else type(r).__name__ for r in results)
    assert outcomes == {"CreatedOrder": 1, "AVAILABILITY_CHANGED": 1}
    assert quantity(db, world) == 0
    # Selling the last portion owes Wix a push, and the order's caller wakes it.
    created = next(r for r in results if isinstance(r, CreatedOrder))
    jobs = stock_jobs(db, world)
    assert [j.payload["item"] for j in jobs] == [world.items["item-2"]]
    assert jobs[0].id in created.jobs


def test_a_cancelled_order_gives_its_portions_back(db: Database, instance_id: str) -> None:
    world = build_pos(db, instance_id, stock={"item-2": 2})
    created = place(db, world, 2)
    assert quantity(db, world) == 0
    outcome = order_flow.change_status(db, created.pos_order_id, "CANCELED", actor="KITCHEN", reason="no dough")
    assert quantity(db, world) == 2
    assert any(j.id in outcome.jobs for j in stock_jobs(db, world))  # back in stock: Wix is told
    again = order_flow.change_status(db, created.pos_order_id, "CANCELED", actor="KITCHEN")
    assert not again.changed and quantity(db, world) == 2  # given back once


def test_a_cancel_after_the_food_is_ready_gives_nothing_back(db: Database, instance_id: str) -> None:
    world = build_pos(db, instance_id, stock={"item-2": 3})
    created = place(db, world, 2)
    order_flow.change_status(db, created.pos_order_id, "ACCEPTED", actor="KITCHEN")
    order_flow.change_status(db, created.pos_order_id, "READY", actor="KITCHEN")
    order_flow.change_status(db, created.pos_order_id, "CANCELED", actor="KITCHEN")
    assert quantity(db, world) == 1


def test_an_86_is_refused_at_once_and_a_restore_sells_again(db: Database, world: PosWorld) -> None:
    order = wix_order([line("item-2", options=SMALL)])
    stock.eighty_six(db, "item-2", LOC, instance_id=world.instance_id)
    with pytest.raises(WixError) as raised:
        validate_order(db, **world.ids(), order=order, now=FRIDAY_EVENING)
    assert [d.code for d in raised.value.details] == ["AVAILABILITY_CHANGED"]
    with pytest.raises(WixError):
        place(db, world)
    stock.restore(db, "item-2", LOC, instance_id=world.instance_id)
    validate_order(db, **world.ids(), order=order, now=FRIDAY_EVENING)
    assert quantity(db, world) == 5  # the count is the kitchen's, untouched by an 86


def test_a_timed_86_ends_by_itself(db: Database, world: PosWorld) -> None:
    start = FRIDAY_EVENING - timedelta(minutes=30)
    change = stock.eighty_six(db, "item-2", LOC, instance_id=world.instance_id, for_=timedelta(minutes=20), now=start)
    end = start + timedelta(minutes=20)
    assert change.view.eighty_sixed and change.view.out_until == end
    order = wix_order([line("item-2", options=SMALL)])
    with pytest.raises(WixError):
        validate_order(db, **world.ids(), order=order, now=end - timedelta(seconds=1))
    validate_order(db, **world.ids(), order=order, now=end)
    # One push now, one at the end (kept in the database, so a restart still sends it).
    jobs = stock_jobs(db, world)
    assert len(jobs) == 2 and jobs[1].next_attempt_at == end and jobs[1].payload["at"] == end.isoformat()
    assert stock.list_stock(db, LOC, instance_id=world.instance_id, now=end, only_out=True) == []


def test_until_without_a_zone_is_the_locations_time(db: Database, world: PosWorld) -> None:
    until = stock.parse_time("2099-01-01T22:00")
    now = datetime(2098, 12, 31, tzinfo=UTC)
    change = stock.eighty_six(db, "item-3", LOC, instance_id=world.instance_id, until=until, now=now)
    assert change.view.out_until is not None
    assert change.view.out_until.astimezone(UTC) == datetime(2099, 1, 2, 3, 0, tzinfo=UTC)  # New York is UTC-5


def test_counts_and_sold_out(db: Database, world: PosWorld) -> None:
    view = stock.set_count(db, "item-2", LOC, 0, instance_id=world.instance_id).view
    assert view.quantity == 0 and not view.in_stock and not view.eighty_sixed
    tracked = stock.set_count(db, "item-3", LOC, 4, instance_id=world.instance_id)  # untracked → tracked
    assert tracked.view.available == 4
    assert stock.set_count(db, "item-3", LOC, None, instance_id=world.instance_id).view.available is None
    out = stock.list_stock(db, LOC, instance_id=world.instance_id, only_out=True)
    assert [v.item_id for v in out] == ["item-2"]
    assert [v.item_id for v in stock.list_stock(db, LOC, instance_id=world.instance_id, search="diav")] == ["item-2"]


REFUSALS = [
    (stock.set_count, ("item-2", LOC, -1), {}, "INVALID_COUNT"),
    (stock.eighty_six, ("item-2", LOC), {"for_": timedelta(0)}, "INVALID_UNTIL"),
    (stock.eighty_six, ("item-2", LOC), {"for_": timedelta(days=400)}, "INVALID_UNTIL"),
    (stock.eighty_six, ("item-2", LOC), {"for_": timedelta(hours=1), "until": FRIDAY_EVENING}, "INVALID_ARGUMENT"),
    (stock.eighty_six, ("nope", LOC), {}, "ITEM_NOT_FOUND"),
    (stock.eighty_six, ("item-2", "nope"), {}, "LOCATION_NOT_FOUND"),
]


@pytest.mark.parametrize(("change", "args", "kwargs", "code"), REFUSALS)
def test_refusals_change_nothing(
    db: Database, world: PosWorld, change: Any, args: tuple[Any, ...], kwargs: dict[str, Any], code: str
) -> None:
    with pytest.raises(WixError) as raised:
        change(db, *args, instance_id=world.instance_id, **kwargs)
    assert raised.value.code == code
    assert quantity(db, world) == 5 and stock_jobs(db, world) == []


@pytest.mark.parametrize(("parse", "text"), [(stock.parse_duration, "2 hours"), (stock.parse_time, "tomorrow")])
def test_unreadable_times_are_refused(parse: Any, text: str) -> None:
    with pytest.raises(WixError) as raised:
        parse(text)
    assert raised.value.http_status == 400


def test_another_instance_cannot_touch_this_stock(db: Database, world: PosWorld) -> None:
    other = build_pos(db, str(uuid.uuid4()))
    with pytest.raises(WixError) as raised:
        stock.eighty_six(db, "item-2", LOC, instance_id=str(uuid.uuid4()))
    assert raised.value.code == "LOCATION_NOT_FOUND"
    with pytest.raises(WixError) as raised:
        stock.eighty_six(db, "item-2", LOC)  # two merchants have a loc-1: never a guess
    assert raised.value.code == "LOCATION_AMBIGUOUS"
    stock.eighty_six(db, "item-2", LOC, instance_id=other.instance_id)
    with db.transaction(write=False) as session:
        assert session.get(Stock, (other.items["item-2"], other.location)).out_of_stock is True
        assert session.get(Stock, (world.items["item-2"], world.location)).out_of_stock is False


def test_an_86ed_choice_is_refused_and_a_required_group_all_out_blocks_its_dish(db: Database, world: PosWorld) -> None:
    scope = {"instance_id": world.instance_id, "choice": True}
    small, large = (
        wix_order([line("item-2", options=SMALL)]),
        wix_order([line("item-2", options={"Size": ["var-large"]})]),
    )
    stock.eighty_six(db, "var-small", LOC, **scope)
    with pytest.raises(WixError) as raised:
        validate_order(db, **world.ids(), order=small, now=FRIDAY_EVENING)
    assert [d.code for d in raised.value.details] == ["AVAILABILITY_CHANGED"]
    validate_order(db, **world.ids(), order=large, now=FRIDAY_EVENING)  # the other size still sells
    with db.transaction(write=False) as session:
        assert blocked_items(session, world.location, [world.items["item-2"]], utcnow()) == set()
    stock.eighty_six(db, "var-large", LOC, **scope)
    with db.transaction(write=False) as session:  # every size out: Margherita and Diavola cannot be ordered
        blocked = blocked_items(session, world.location, [world.items["item-1"], world.items["item-2"]], utcnow())
    assert blocked == {world.items["item-1"], world.items["item-2"]}
    # Each choice's 86 owes Wix the choice and the dishes that need it.
    kinds = Counter(j.payload["kind"] for j in stock_jobs(db, world))
    assert kinds["VARIATION"] == 2 and kinds["DISH"] >= 2
    stock.restore(db, "var-small", LOC, **scope)
    validate_order(db, **world.ids(), order=small, now=FRIDAY_EVENING)
    with pytest.raises(WixError) as raised:
        stock.eighty_six(db, "var-nope", LOC, **scope)
    assert raised.value.code == "ITEM_NOT_FOUND"


def test_the_pages_stock_is_bounded_with_what_is_out_first_and_counted_in_sql(db: Database, world: PosWorld) -> None:
    """The merchant's page shows at most `limit` dishes and choices (a menu may have thousands): those out now
    first, then by name, with how many match in all; a lapsed 86 is not "out"."""
    now = FRIDAY_EVENING
    ids = {"instance_id": world.instance_id, "now": now}
    stock.eighty_six(db, "item-4", LOC, **ids)  # Pancakes: last by name, out now
    stock.eighty_six(
        db, "item-1", LOC, instance_id=world.instance_id, now=now - timedelta(hours=2), for_=timedelta(hours=1)
    )
    stock.set_count(db, "item-3", LOC, 0, instance_id=world.instance_id)  # Tiramisu: sold out
    stock.eighty_six(db, "var-olives", LOC, choice=True, **ids)
    page = stock.stock_page(db, LOC, limit=2, **ids)
    assert [v.item_id for v in page.dishes] == ["item-4", "item-3"] and page.dish_count == 4
    assert [v.item_id for v in page.choices] == ["var-olives", "var-bacon"] and page.choice_count == 5
    assert page.choices[0].eighty_sixed and not page.choices[1].eighty_sixed
    whole = stock.stock_page(db, LOC, **ids)
    assert [v.item_id for v in whole.dishes] == ["item-4", "item-3", "item-2", "item-1"]  # Margherita's 86 lapsed
    searched = stock.stock_page(db, LOC, search="DIAV", **ids)
    assert [v.item_id for v in searched.dishes] == ["item-2"] and searched.choices == [] and searched.dish_count == 1
    with pytest.raises(WixError):
        stock.stock_page(db, LOC, instance_id="another-site", now=now)  # only the site's own paired locations
