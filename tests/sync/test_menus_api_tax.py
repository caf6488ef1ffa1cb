"""Tax on new-generation sites: the public Menus API holds no tax field, so the POS's tax rates are not written
there, and every sync and dry run says so (docs/decisions.md), while Catalogs v3 keeps writing `taxRate`."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from sqlalchemy import select, update

from posbridge.config import Settings
from posbridge.services.syncing import describe, preview_sync
from posbridge.store.db import Database
from posbridge.store.models import Item, SyncLog
from posbridge.sync.menus_api import NOT_HELD
from tests.sync.newgen_world import build_newgen_world
from tests.sync.world import SyncWorld
from wixsim.client import WixSimClient

# Every public Menus API item field (wix-menus-api.md §1, Item); none of them holds a tax.
ITEM_FIELDS = {
    "id", "revision", "createdDate", "updatedDate", "extendedFields", "name", "description", "image",
    "additionalImages", "labels", "visible", "featured", "orderSettings", "modifierGroups", "priceInfo",
    "priceVariants", "businessLocationIds",
}  # fmt: skip


def test_a_menus_api_sync_reports_the_tax_rates_it_cannot_write(
    db: Database, wixsim: WixSimClient, sim_settings: Callable[..., Settings]
) -> None:
    world = build_newgen_world(db, sim_settings(), wixsim, items=12, menus=1)
    with db.transaction() as session:
        session.execute(update(Item).where(Item.merchant_id == world.merchant).values(tax_rate=Decimal("8.875")))

    preview = preview_sync(db, world.settings, world.instance_id, world.business_location_id, client=world.client)
    items_synced = preview.diff.counts()["DISH"]["create"]
    reported = preview.to_json()["notWritten"]
    assert reported["DISH.taxRate"] == f"{items_synced} entities: {NOT_HELD['DISH.taxRate']}"
    assert set(reported) <= set(NOT_HELD)  # images and fulfilment types, when the POS sets them, likewise
    assert f"Not written to Wix: DISH.taxRate on {items_synced} entities" in preview.render()

    done = world.sync()
    assert done.status == "SYNCED"
    assert done.summary is not None and done.summary["notWritten"]["DISH.taxRate"] == items_synced
    assert f"not written, Wix holds no field for it here: DISH.taxRate ({items_synced} entities)" in describe(done)
    with db.transaction(write=False) as session:
        lines = session.scalars(select(SyncLog).where(SyncLog.sync_id == done.id, SyncLog.event == "not_written"))
        [line] = [x for x in lines if (x.data or {}).get("field") == "DISH.taxRate"]
    assert line.level == "WARNING"
    assert line.data == {"field": "DISH.taxRate", "entities": items_synced, "why": NOT_HELD["DISH.taxRate"]}

    items = world.entities()["items"]
    assert len(items) == items_synced
    for item in items:  # nothing tax-like reached Wix, on the item or its order settings
        assert set(item) <= ITEM_FIELDS, set(item) - ITEM_FIELDS
        assert set(item["orderSettings"]) == {"inStock", "acceptSpecialRequests"}

    # A re-sync still says it (the report is about what the POS holds, not about what changed).
    again = world.sync()
    assert again.summary is not None and again.summary["notWritten"]["DISH.taxRate"] == items_synced
    world.client.close()


def test_a_menus_api_sync_without_tax_reports_nothing_dropped(
    db: Database, wixsim: WixSimClient, sim_settings: Callable[..., Settings]
) -> None:
    world = build_newgen_world(db, sim_settings(), wixsim, items=6, menus=1)
    with db.transaction() as session:
        session.execute(update(Item).where(Item.merchant_id == world.merchant).values(tax_rate=None))
    done = world.sync()
    assert done.status == "SYNCED" and "DISH.taxRate" not in (done.summary or {}).get("notWritten", {})
    world.client.close()


def test_catalogs_v3_writes_tax_and_reports_nothing_dropped(world: SyncWorld, db: Database) -> None:
    with db.transaction() as session:
        session.execute(update(Item).where(Item.merchant_id == world.merchant).values(tax_rate=Decimal("7.25")))
    done = world.sync()
    assert done.status == "SYNCED" and "notWritten" not in (done.summary or {})
    dishes = [item for item in world.live()["items"].values() if item.get("type") == "DISH"]
    assert dishes and {Decimal(str(item["taxRate"])) for item in dishes} == {Decimal("7.25")}
