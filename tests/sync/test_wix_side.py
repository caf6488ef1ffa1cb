"""What the sync does to what Wix already holds: WIX-owned parts, pre-existing menus, failures, tenants."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal

from sqlalchemy import select, update

from posbridge.config import Settings
from posbridge.store.models import Item, SectionItem, SyncLog
from tests.sync.world import SyncWorld
from wixsim.client import WixSimClient

OLD_WIX_MENU = {
    "menus": [
        {
            "name": "Old Wix menu",
            "sections": [{"name": "Mains", "items": [{"name": "Legacy burger", "price": "11.00"}]}],
        }
    ]
}


def test_wix_owned_parts_are_carried_over(
    world_factory: Callable[..., SyncWorld], sim_settings: Callable[..., Settings]
) -> None:
    owned = {"dishImagesUpdated": "WIX", "dishLabelsUpdated": "WIX", "entitySortingControl": "WIX"}
    world = world_factory(settings=sim_settings(catalog_sync_configuration=owned))
    world.sync()
    item = world.item("item-2")
    dish_id = world.id_map()[("DISH", item.id)].wix_id
    # The merchant edits the image and labels in Wix, and reorders a section.
    world.client.call(
        world.instance_id,
        "PATCH",
        f"/v3/catalogs/{world.catalog_id}/items/{dish_id}",
        json={"item": {"imageUrl": "https://wix.example/mine.jpg", "labels": {"values": ["merchant-pick"]}}},
    )
    section = next(s for s in world.live()["sections"].values() if dish_id in s["itemIds"]["values"])
    # The POS changes the same parts, reverses the section's order, and changes the price.
    with world.db.transaction() as session:
        entries = list(session.scalars(select(SectionItem).where(SectionItem.item_id == item.id)))
        rows = list(session.scalars(select(SectionItem).where(SectionItem.section_id == entries[0].section_id)))
        for row in rows:
            row.position = 1000 - row.position
        session.execute(
            update(Item)
            .where(Item.id == item.id)
            .values(image_url="https://pos.example/new.jpg", labels=["pos-label"], price=Decimal("21.00"))
        )
    sync = world.sync("RECONCILE")
    assert sync.status == "SYNCED", sync.failure_reason
    dish = world.live()["items"][dish_id]
    assert dish["imageUrl"] == "https://wix.example/mine.jpg"
    assert dish["labels"]["values"] == ["merchant-pick"]
    assert dish["price"]["value"] == "21.00"
    assert world.live()["sections"][section["id"]]["itemIds"] == section["itemIds"]
    assert sync.summary["ownership"]["dishImagesUpdated"] == "WIX"


def test_pre_existing_wix_menus_are_archived_and_reported(world_factory: Callable[..., SyncWorld]) -> None:
    world = world_factory(wix_catalog=OLD_WIX_MENU)
    sync = world.sync()
    assert sync.status == "SYNCED"
    old = [m for m in world.live()["menus"].values() if m["name"] == "Old Wix menu"]
    assert len(old) == 1 and old[0]["archived"] is True
    assert sync.summary["archivedMenus"] == ["Old Wix menu"]
    with world.db.transaction(write=False) as session:
        events = set(session.scalars(select(SyncLog.event).where(SyncLog.sync_id == sync.id)))
    assert "archived_wix_menus" in events
    # Archived once; later syncs leave it alone.
    assert "MENU" not in world.sync("RECONCILE").summary["counts"]


def test_429_storms_and_5xx_during_a_sync_still_finish(world: SyncWorld, wixsim: WixSimClient) -> None:
    wixsim.inject_fault("bulkCreateDishes", "429", count=3, retryAfter=0)
    wixsim.inject_fault("bulkCreateVariations", "429", count=2)  # no Retry-After: backoff
    wixsim.inject_fault("*", "5xx", fraction=0.15, seed=7)
    sync = world.sync()
    assert sync.status == "SYNCED", sync.failure_reason
    assert sync.summary["retries"] >= 5
    assert sync.summary["counts"]["DISH"]["create"] == 60
    wixsim.clear_faults()
    assert world.sync("RECONCILE").summary["unchanged"] is True


def test_a_failure_after_the_draft_leaves_live_untouched(world: SyncWorld, wixsim: WixSimClient) -> None:
    world.sync()
    before = world.live()
    with world.db.transaction() as session:
        session.execute(update(Item).where(Item.merchant_id == world.merchant).values(price=Decimal("5.00")))
    wixsim.inject_fault("publishDraftCatalog", "5xx", status=500)
    sync = world.sync()
    assert sync.status == "FAILED" and sync.failure_code == "SYSTEM_ERROR"
    assert "publish" in sync.failure_reason
    assert world.live() == before
    assert world.sim.draft_catalog(world.catalog_id) is None  # discarded
    wixsim.clear_faults()
    assert world.sync().status == "SYNCED"


def test_a_sync_never_touches_another_tenants_catalog(world_factory: Callable[..., SyncWorld]) -> None:
    first, second = world_factory(items=20), world_factory(items=20)
    second.sync()
    second_live = second.live()
    first.sim.clear_request_log()
    assert first.sync().status == "SYNCED"
    assert second.live() == second_live
    assert second.counts() == {}
    assert set(first.id_map()) and not {r.wix_id for r in first.id_map().values()} & {
        r.wix_id for r in second.id_map().values()
    }


def test_the_sync_paces_itself_within_the_rate_budget(
    world_factory: Callable[..., SyncWorld], sim_settings: Callable[..., Settings]
) -> None:
    # A budget of 5 calls per (1 s window + margin) instead of 200 per minute keeps the test fast.
    settings = sim_settings(wix_rate_limit_per_minute=5, wix_rate_window_seconds=1.0)
    world = world_factory(items=20, settings=settings)
    started = time.monotonic()
    sync = world.sync()
    elapsed = time.monotonic() - started
    assert sync.status == "SYNCED"
    calls = sync.summary["callsTotal"]
    assert calls > 5 and sync.summary["throttledSeconds"] > 0
    assert elapsed >= (math.ceil(calls / 5) - 1) * 1.0
    times = sorted(
        datetime.fromisoformat(r["time"].replace("Z", "+00:00"))
        for r in world.sim.request_log(instance_id=world.instance_id)["requests"]
    )
    assert all((later - first).total_seconds() >= 1.0 for first, later in zip(times, times[5:], strict=False))
