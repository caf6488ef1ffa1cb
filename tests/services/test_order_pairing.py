"""The order checks judge a `Pairing`, whoever resolved it: the legacy SPI keys, or a business location."""

from __future__ import annotations

from dataclasses import replace

import pytest

from posbridge.errors import WixError
from posbridge.pos.builtin import BuiltinPos
from posbridge.services.order_checks import Pairing, check_order
from posbridge.services.order_pairing import BusinessLocationKey, LegacyPairingKey
from posbridge.store.db import Database
from posbridge.store.models import Account, Configuration
from posbridge.store.statuses import AccountStatus
from posbridge.wix.generation import Generation
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
        pairing = LegacyPairingKey(**world.ids()).resolve(session, pos)
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


def as_business_location(db: Database, world: PosWorld) -> None:
    """Make the world's pairing a new-generation site's: its Wix id is a business location's."""
    with db.transaction() as session:
        configuration = session.get(Configuration, world.configuration)
        assert configuration is not None
        configuration.generation = Generation.NEWGEN


def test_a_business_location_resolves_to_its_pairing_without_spi_keys(db: Database, world: PosWorld) -> None:
    as_business_location(db, world)
    key = BusinessLocationKey(world.instance_id, world.configuration_id)
    with db.transaction(write=False) as session:
        pos = BuiltinPos(session)
        pairing = key.resolve(session, pos)
        # Its item refs are read in the business location's id space, not a catalog's.
        assert pairing == replace(pairing_by_hand(pos, world), catalog_id=world.configuration_id)
    assert key.wix_id == world.configuration_id


def test_a_business_location_key_names_only_a_new_generation_pairing(db: Database, world: PosWorld) -> None:
    with db.transaction(write=False) as session, pytest.raises(WixError) as refused:
        BusinessLocationKey(world.instance_id, world.configuration_id).resolve(session, BuiltinPos(session))
    assert [detail.code for detail in refused.value.details] == ["LOCATION_NOT_FOUND"]


def test_a_business_location_of_a_disconnected_account_takes_no_order(db: Database, world: PosWorld) -> None:
    as_business_location(db, world)
    with db.transaction() as session:
        account = session.get(Account, world.account)
        assert account is not None
        account.status = AccountStatus.DISCONNECTED
    with db.transaction(write=False) as session, pytest.raises(WixError) as refused:
        BusinessLocationKey(world.instance_id, world.configuration_id).resolve(session, BuiltinPos(session))
    assert [detail.code for detail in refused.value.details] == ["ACCOUNT_NOT_CONNECTED"]
