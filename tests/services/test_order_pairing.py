"""The order checks judge a `Pairing`, whoever resolved it: the legacy SPI keys today, a business location later."""

from __future__ import annotations

from dataclasses import replace

import pytest

from posbridge.errors import WixError
from posbridge.pos.builtin import BuiltinPos
from posbridge.services.order_checks import Pairing, check_order, legacy_pairing
from posbridge.store.db import Database
from tests.support.fixtures_pos import PosWorld, build_pos
from tests.support.orders import FRIDAY_EVENING, line, wix_order


@pytest.fixture()
def world(db: Database, instance_id: str) -> PosWorld:
    return build_pos(db, instance_id)


def pairing_by_hand(pos: BuiltinPos, world: PosWorld) -> Pairing:
    """What another channel would resolve: the same location and menus, reached without SPI keys."""
    merchant, location = pos.merchant(world.merchant), pos.location(world.location)
    assert merchant is not None and location is not None
    return Pairing(world.instance_id, merchant, location, world.configuration, world.catalog_id, world.configuration)


def test_the_legacy_keys_resolve_to_the_paired_location(db: Database, world: PosWorld) -> None:
    with db.transaction(write=False) as session:
        pos = BuiltinPos(session)
        pairing = legacy_pairing(session, pos, **world.ids())
        assert pairing == pairing_by_hand(pos, world)


def test_the_checks_need_only_a_pairing(db: Database, world: PosWorld) -> None:
    order = wix_order([line("item-2", 2, options={"Size": ["var-small"]}), line("item-3")])
    with db.transaction(write=False) as session:
        pos = BuiltinPos(session)
        plan = check_order(session, pos, pairing_by_hand(pos, world), order, now=FRIDAY_EVENING)
    assert [resolved.item.id for resolved in plan.lines if resolved.item] == [
        world.items["item-2"],
        world.items["item-3"],
    ]
    assert plan.demand == {world.items["item-2"]: 2, world.items["item-3"]: 1}


def test_item_refs_are_read_in_the_pairings_id_space(db: Database, world: PosWorld) -> None:
    order = wix_order([line("item-3")])
    with db.transaction(write=False) as session:
        pos = BuiltinPos(session)
        elsewhere = replace(pairing_by_hand(pos, world), catalog_id="another-catalog")
        with pytest.raises(WixError) as refused:
            check_order(session, pos, elsewhere, order, now=FRIDAY_EVENING)
    assert [detail.code for detail in refused.value.details] == ["ORDER_ITEM"]
