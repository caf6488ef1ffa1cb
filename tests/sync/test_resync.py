"""Later syncs write only what changed and keep Wix ids stable."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import update

from posbridge.store.models import Item
from tests.sync.world import SyncWorld

pytestmark = pytest.mark.all_backends  # the database backend matters here


def test_no_change_resync_only_checks_the_catalog_version(world: SyncWorld) -> None:
    world.sync()
    before = world.live()
    world.sim.clear_request_log()
    sync = world.sync()
    assert sync.status == "SYNCED"
    assert sync.summary["unchanged"] is True
    assert world.counts() == {"listCatalogs": 1}
    assert world.live() == before


def test_reconcile_with_no_change_reads_but_writes_nothing(world: SyncWorld) -> None:
    world.sync()
    world.sim.clear_request_log()
    sync = world.sync("RECONCILE")
    assert sync.status == "SYNCED" and sync.summary["unchanged"] is True
    counts = world.counts()
    assert set(counts) == {"listMenus", "listSections", "listItems", "listCatalogs"}
    assert world.sim.catalog(world.catalog_id)["publishCount"] == 1


def test_one_price_change_is_one_item_update_and_keeps_the_id(world: SyncWorld) -> None:
    world.sync()
    item = world.item("item-3")
    dish_id = world.id_map()[("DISH", item.id)].wix_id
    with world.db.transaction() as session:
        session.execute(update(Item).where(Item.id == item.id).values(price=Decimal("99.25"), name="Renamed dish"))
    world.sim.clear_request_log()
    sync = world.sync()
    assert sync.status == "SYNCED", sync.failure_reason
    counts = world.counts()
    assert counts.pop("bulkUpdateItems") == 1
    assert counts.pop("createDraftCatalog") == 1 and counts.pop("publishDraftCatalog") == 1
    assert set(counts) <= {"listMenus", "listSections", "listItems"}
    assert sync.summary["counts"] == {"DISH": {"update": 1}}
    dish = world.live()["items"][dish_id]
    assert dish["price"]["value"] == "99.25" and dish["name"] == "Renamed dish"
    assert world.id_map()[("DISH", item.id)].wix_id == dish_id


def test_removed_item_is_detached_and_stays_resolvable(world: SyncWorld) -> None:
    world.sync()
    item = world.item("item-5")
    dish_id = world.id_map()[("DISH", item.id)].wix_id
    with world.db.transaction() as session:
        session.execute(update(Item).where(Item.id == item.id).values(active=False))
    sync = world.sync()
    assert sync.status == "SYNCED"
    live = world.live()
    assert all(dish_id not in s["itemIds"]["values"] for s in live["sections"].values())
    assert dish_id in live["items"]  # carts and in-flight orders still resolve it
    row = world.id_map()[("DISH", item.id)]
    assert row.wix_id == dish_id and row.detached_at is not None
    assert sync.summary["counts"]["DISH"] == {"detach": 1}
    assert sync.summary["counts"]["SECTION"] == {"update": 1}
    # Sold again: the same Wix id comes back into its section.
    with world.db.transaction() as session:
        session.execute(update(Item).where(Item.id == item.id).values(active=True))
    world.sync()
    assert any(dish_id in s["itemIds"]["values"] for s in world.live()["sections"].values())
    assert world.id_map()[("DISH", item.id)].detached_at is None
