"""The POS backend seam: the order checks and the order write reach the POS only through `PosBackend`."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from posbridge.errors import WixError
from posbridge.orders.model import OrderStatus, StatusActor
from posbridge.pos.backend import (
    OrderPlacement,
    PlacedOrder,
    PosError,
    PosMisconfigured,
    PosOrderUnknown,
    PosRefused,
    PosUnavailable,
    StatusChange,
    StockLevel,
)
from posbridge.pos.builtin import BuiltinPos
from posbridge.services.ordering import create_order, validate_order
from posbridge.store.db import Database
from posbridge.store.models import OrderRow, OrderStatusChange, Stock
from tests.support.fixtures_pos import PosWorld, build_pos
from tests.support.orders import FRIDAY_EVENING, line, wix_order


@pytest.fixture()
def world(db: Database, instance_id: str) -> PosWorld:
    return build_pos(db, instance_id)


class RecordingPos(BuiltinPos):
    """The built-in store, noting what the services ask of it: another implementation, not a patch."""

    placements: list[OrderPlacement] = []

    def place_order(self, placement: OrderPlacement) -> PlacedOrder:
        RecordingPos.placements.append(placement)
        return super().place_order(placement)


def refusing(error: PosError) -> type[BuiltinPos]:
    """A POS that reads like the built-in store but fails every placement with `error`."""

    class Refusing(BuiltinPos):
        def place_order(self, placement: OrderPlacement) -> PlacedOrder:
            raise error

    return Refusing


def stock_of(db: Database, world: PosWorld, item: str) -> int | None:
    with db.transaction(write=False) as session:
        row = session.get(Stock, (world.items[item], world.location))
        return None if row is None else row.quantity


def test_create_places_the_checked_order_through_the_backend(db: Database, world: PosWorld) -> None:
    RecordingPos.placements = []
    order = wix_order([line("item-2", 2, options={"Size": ["var-small"]})])
    created = create_order(
        db, **world.ids(), order=order, paid_by_pos_gateway=True, now=FRIDAY_EVENING, pos_backend=RecordingPos
    )
    [placement] = RecordingPos.placements
    assert placement.order == order
    assert placement.location.id == world.location
    assert dict(placement.demand) == {world.items["item-2"]: 2}
    [placed_line] = placement.lines
    assert (placed_line.item_id, placed_line.quantity, placed_line.name) == (world.items["item-2"], 2, "Diavola")
    assert [choice.variation_id for choice in placed_line.choices] == [world.variations["var-small"]]
    # A repeat is answered from the record: the POS is not asked again.
    again = create_order(
        db, **world.ids(), order=order, paid_by_pos_gateway=True, now=FRIDAY_EVENING, pos_backend=RecordingPos
    )
    assert (again.pos_order_id, len(RecordingPos.placements)) == (created.pos_order_id, 1)


def test_validation_never_places(db: Database, world: PosWorld) -> None:
    RecordingPos.placements = []
    validate_order(db, **world.ids(), order=wix_order([line("item-3")]), now=FRIDAY_EVENING, pos_backend=RecordingPos)
    assert RecordingPos.placements == []


@pytest.mark.parametrize(
    ("error", "code", "status"),
    [
        (PosRefused("the kitchen is full"), "ORDER_REJECTED", 400),
        (PosMisconfigured("bad signing secret"), "ACCOUNT_CONFIGURATION", 428),
        (PosUnavailable("connect timeout"), "SYSTEM_ERROR", 503),
    ],
)
def test_a_failed_placement_is_a_wix_error_and_records_nothing(
    db: Database, world: PosWorld, error: PosError, code: str, status: int
) -> None:
    before = stock_of(db, world, "item-2")
    order = wix_order([line("item-2", 2, options={"Size": ["var-small"]})])
    with pytest.raises(WixError) as raised:
        create_order(
            db,
            **world.ids(),
            order=order,
            paid_by_pos_gateway=True,
            now=FRIDAY_EVENING,
            pos_backend=refusing(error),
        )
    assert ([d.code for d in raised.value.details], raised.value.http_status) == ([code], status)
    assert str(error) in raised.value.details[0].message
    with db.transaction(write=False) as session:
        assert session.scalars(select(OrderRow).where(OrderRow.instance_id == world.instance_id)).all() == []
    assert stock_of(db, world, "item-2") == before


def test_builtin_status_change_moves_the_order_and_records_who_and_why(db: Database, world: PosWorld) -> None:
    created = create_order(
        db, **world.ids(), order=wix_order([line("item-3")]), paid_by_pos_gateway=True, now=FRIDAY_EVENING
    )
    with db.transaction(write=True) as session:
        BuiltinPos(session).change_status(
            created.pos_order_id, StatusChange(OrderStatus.ACCEPTED, StatusActor.KITCHEN, "on it")
        )
    with db.transaction(write=False) as session:
        row = session.scalar(select(OrderRow).where(OrderRow.pos_order_id == created.pos_order_id))
        assert row is not None and row.status == "ACCEPTED"
        history = session.scalars(
            select(OrderStatusChange).where(OrderStatusChange.order_id == row.id).order_by(OrderStatusChange.id)
        ).all()
        assert [(h.status, h.actor, h.note) for h in history][-1] == ("ACCEPTED", "KITCHEN", "on it")
        assert [h.status for h in history] == ["NEW", "ACCEPTED"]


def test_builtin_status_change_of_an_unknown_order_is_refused(db: Database, world: PosWorld) -> None:
    with db.transaction(write=True) as session, pytest.raises(PosOrderUnknown):
        BuiltinPos(session).change_status("po_nope", StatusChange(OrderStatus.CANCELED, StatusActor.OPERATOR))


def test_stock_levels_say_what_can_be_sold(db: Database, world: PosWorld) -> None:
    with db.transaction(write=False) as session:
        levels = BuiltinPos(session).stock(world.location, [world.items["item-2"], world.items["item-3"]])
    tracked = levels[world.items["item-2"]]
    assert tracked.available(FRIDAY_EVENING) == tracked.quantity
    assert StockLevel(1, 5, out_of_stock=True).available(FRIDAY_EVENING) == 0
    assert StockLevel(1, 5, out_of_stock=True, out_until=FRIDAY_EVENING).available(FRIDAY_EVENING) == 5
    assert StockLevel(1, None).available(FRIDAY_EVENING) is None
