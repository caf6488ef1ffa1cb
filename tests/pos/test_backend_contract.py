"""What every `PosBackend` answers the services, the built-in store and the merchant's own POS over HTTP alike.

The reads and the auto-accept setting the kitchen flow and the Validations plugin ask of the POS
(they read no POS rows themselves); `HttpPos` must answer them exactly as the built-in store does.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from posbridge.pos.backend import PosBackend, PosItemChoice, PosItemState
from posbridge.pos.builtin import BuiltinPos
from posbridge.pos.http_pos import HttpPos
from posbridge.store.db import Database
from posbridge.store.models import Item, Merchant
from tests.support.fixtures_pos import PosWorld, build_pos

BACKENDS = [BuiltinPos, HttpPos]


@pytest.fixture()
def world(db: Database, instance_id: str) -> PosWorld:
    return build_pos(db, instance_id)


def merchant_pos_id(db: Database, world: PosWorld) -> str:
    with db.transaction(write=False) as session:
        merchant = session.get(Merchant, world.merchant)
        assert merchant is not None
        return merchant.pos_id


@pytest.mark.parametrize("pos_class", BACKENDS)
def test_auto_accept_is_set_and_read_on_the_location(
    db: Database, world: PosWorld, pos_class: type[PosBackend]
) -> None:
    with db.transaction(write=False) as session:
        location = pos_class(session).location(world.location)
        assert location is not None and (location.auto_accept, location.prep_minutes) == (False, None)
    with db.transaction() as session:
        assert pos_class(session).set_auto_accept(world.location, enabled=True, prep_minutes=25)
    with db.transaction(write=False) as session:
        location = pos_class(session).location(world.location)
        assert location is not None and (location.auto_accept, location.prep_minutes) == (True, 25)
        other = pos_class(session).location(world.other_location)
        assert other is not None and (other.auto_accept, other.prep_minutes) == (False, None)


@pytest.mark.parametrize("pos_class", BACKENDS)
def test_auto_accept_of_a_location_that_is_gone_is_refused(db: Database, pos_class: type[PosBackend]) -> None:
    with db.transaction() as session:
        assert pos_class(session).set_auto_accept(2_000_000_000, enabled=True, prep_minutes=None) is False


@pytest.mark.parametrize("pos_class", BACKENDS)
def test_a_location_is_found_by_the_pos_own_ids(db: Database, world: PosWorld, pos_class: type[PosBackend]) -> None:
    merchant = merchant_pos_id(db, world)
    with db.transaction(write=False) as session:
        pos = pos_class(session)
        found = pos.find_location(merchant, world.location_pos_id)
        assert found is not None and found.id == world.location
        assert pos.find_location(merchant, "no-such-location") is None
        assert pos.find_location("another-merchant", world.location_pos_id) is None


@pytest.mark.parametrize("pos_class", BACKENDS)
def test_items_say_their_name_and_whether_they_are_sold(
    db: Database, world: PosWorld, pos_class: type[PosBackend]
) -> None:
    with db.transaction() as session:
        retired = session.get(Item, world.items["item-3"])
        assert retired is not None
        retired.active, name = False, retired.name
    wanted = [world.items["item-2"], world.items["item-3"], 2_000_000_000]
    with db.transaction(write=False) as session:
        pos = pos_class(session)
        assert pos.items(wanted) == {
            world.items["item-2"]: PosItemState(world.items["item-2"], "Diavola", True),
            world.items["item-3"]: PosItemState(world.items["item-3"], name, False),
        }
        assert pos.items([]) == {}


@pytest.mark.parametrize("pos_class", BACKENDS)
def test_an_items_choices_come_by_group_in_the_items_order(
    db: Database, world: PosWorld, pos_class: type[PosBackend]
) -> None:
    def choice(group: str, kind: str, variation: str, name: str, price: str) -> PosItemChoice:
        return PosItemChoice(group, kind, world.variations[variation], name, Decimal(price))

    with db.transaction(write=False) as session:
        pos = pos_class(session)
        assert pos.item_choices(world.items["item-2"]) == [
            choice("Size", "SELECTION", "var-small", "Small", "0.00"),
            choice("Size", "SELECTION", "var-large", "Large", "3.00"),
            choice("Extras", "EXTRAS", "var-bacon", "Bacon", "2.00"),
            choice("Extras", "EXTRAS", "var-olives", "Olives", "1.00"),
            choice("Extras", "EXTRAS", "var-basil", "Basil", "0.50"),
        ]
        assert pos.item_choices(world.items["item-3"]) == []
        assert pos.item_choices(2_000_000_000) == []
