"""Dry run: the exact diff the next sync would apply, without writing to Wix."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from sqlalchemy import update

from posbridge.services.syncing import describe
from posbridge.store.models import Item
from posbridge.sync.preview import dry_run
from tests.sync.test_wix_side import OLD_WIX_MENU
from tests.sync.world import SyncWorld


def test_dry_run_shows_before_and_after_and_writes_nothing(world: SyncWorld) -> None:
    world.sync()
    item = world.item("item-4")
    with world.db.transaction() as session:
        session.execute(update(Item).where(Item.id == item.id).values(price=Decimal("42.00")))
        session.execute(
            update(Item).where(Item.merchant_id == world.merchant, Item.pos_id == "item-9").values(active=False)
        )
    world.sim.clear_request_log()
    preview = dry_run(world.db, world.settings, world.configuration, client=world.client)
    assert set(world.counts()) <= {"listMenus", "listSections", "listItems"}
    assert world.sim.catalog(world.catalog_id)["draft"] is None
    text = preview.render()
    assert f"DISH update '{item.name}'" in text
    assert f"price: {item.price:.2f} → 42.00" in text
    assert "DISH detach" in text
    data = preview.to_json()
    update_change = next(c for c in data["changes"] if c["op"] == "update" and c["kind"] == "DISH")
    assert update_change["fields"]["price"] == {"before": f"{item.price:.2f}", "after": "42.00"}
    assert data["counts"]["DISH"] == {"update": 1, "detach": 1}
    # The sync then applies exactly that.
    sync = world.sync()
    assert sync.summary["counts"] == data["counts"]


def test_dry_run_of_an_invalid_menu_lists_the_problems(world: SyncWorld) -> None:
    with world.db.transaction() as session:
        session.execute(update(Item).where(Item.merchant_id == world.merchant).values(price=Decimal("-2")))
    preview = dry_run(world.db, world.settings, world.configuration, client=world.client)
    assert preview.failure_code == "ACCOUNT_CONFIGURATION"
    assert preview.render().startswith("The sync would fail with ACCOUNT_CONFIGURATION")
    assert world.counts() == {}


def test_dry_run_of_a_first_sync_lists_every_create(world: SyncWorld) -> None:
    preview = dry_run(world.db, world.settings, world.configuration, client=world.client)
    counts = preview.diff.counts()
    assert counts["DISH"] == {"create": 60} and counts["MENU"] == {"create": 2}
    # Catalogs v3 writes through a draft that one publish makes live.
    assert preview.render().endswith("bulk calls; draft create and publish.")


def test_dry_run_on_catalogs_v3_archives_the_sites_own_menus(world_factory: Callable[..., SyncWorld]) -> None:
    world = world_factory(wix_catalog=OLD_WIX_MENU)
    text = dry_run(world.db, world.settings, world.configuration, client=world.client).render()
    assert "MENU archive 'Old Wix menu'" in text and "(not created by the POS)" in text
    assert "menus: 1 archived, 2 created" in text
    sync = world.sync()
    assert "archived Wix menus the POS does not own: Old Wix menu" in describe(sync)
