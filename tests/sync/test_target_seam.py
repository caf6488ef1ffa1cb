"""The catalog target seam: the same runner, diff and plan drive a target of either atomicity.

The memory target plays both strategies: DRAFT (one commit makes everything live, an abort
leaves live as it was) and LIVE (every write visible at once: new menus are created hidden and
shown last, so a sync that stops half-way leaves nothing half-built in sight, and the next one
converges). Both through the real runner, store and id map.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import update

from posbridge.store.models import Item
from posbridge.store.types import utcnow
from posbridge.sync.catalog import DISH, MENU, SECTION, VARIATION
from posbridge.sync.catalogs_v3 import CatalogsV3Target
from posbridge.sync.memory import MemoryCatalogs, MemoryTargetKind
from posbridge.sync.plan import StepSpec
from posbridge.sync.preview import dry_run
from posbridge.sync.runner import claim_sync, run_sync
from posbridge.sync.target import Atomicity, Limits, TargetKind
from posbridge.sync.targets import target_for
from posbridge.wix.generation import Generation
from tests.support.clock import SteppedWait
from tests.sync.world import SyncWorld


def _sync(world: SyncWorld, target: TargetKind) -> str:
    sync = world.request()
    run_sync(world.db, world.settings, world.configuration, client=world.client, target=target)
    row = world.row(sync.id)
    assert row.status in ("SYNCED", "FAILED")
    return row.status


def _shown(catalogs: MemoryCatalogs, world: SyncWorld) -> dict[str, int]:
    """What a customer sees: visible, unarchived menus and the dishes their sections list."""
    content = catalogs.catalog(world.catalog_id).content
    menus = [m for m in content.menus.values() if m.fields.get("visible") and not m.archived]
    sections = [content.sections[s] for m in menus for s in m.fields["sections"]]
    dishes = {d for s in sections for d in s.fields["items"]}
    return {"menus": len(menus), "sections": len(sections), "dishes": len(dishes)}


def _set_prices(world: SyncWorld, price: str) -> None:
    with world.db.transaction() as session:
        session.execute(update(Item).where(Item.merchant_id == world.merchant).values(price=Decimal(price)))


@pytest.mark.parametrize("atomicity", [Atomicity.DRAFT, Atomicity.LIVE])
def test_first_sync_then_nothing_then_one_change(world: SyncWorld, atomicity: Atomicity) -> None:
    catalogs = MemoryCatalogs()
    target = MemoryTargetKind(catalogs, atomicity=atomicity)
    assert _sync(world, target) == "SYNCED"
    content = catalogs.catalog(world.catalog_id).content
    assert _shown(catalogs, world)["menus"] == len(world.menus) == len(content.menus)
    assert all(m.fields["visible"] for m in content.menus.values())
    dishes = [e for e in content.items.values() if e.kind == DISH]
    assert dishes and all(isinstance(d.fields["price"], Decimal) for d in dishes)
    assert not catalogs.drafts  # committed

    catalogs.calls.clear()
    assert _sync(world, target) == "SYNCED"
    assert set(catalogs.calls) == {"version"}  # the fast path: nothing read, nothing written

    with world.db.transaction() as session:
        session.execute(
            update(Item)
            .where(Item.merchant_id == world.merchant, Item.pos_id == "item-1")
            .values(price=Decimal("9.10"))
        )
    catalogs.calls.clear()
    assert _sync(world, target) == "SYNCED"
    assert catalogs.calls["update:DISH"] == 1
    writes = sum(n for name, n in catalogs.calls.items() if ":" in name)
    assert writes == 1  # one price change is one update call, on either strategy
    name = world.item("item-1").name
    content = catalogs.catalog(world.catalog_id).content  # a DRAFT commit replaced it
    (dish,) = [d for d in content.items.values() if d.kind == DISH and d.fields["name"] == name]
    assert dish.fields["price"] == Decimal("9.10")


def test_live_target_hides_new_menus_until_complete_and_the_next_sync_converges(world: SyncWorld) -> None:
    catalogs = MemoryCatalogs()
    target = MemoryTargetKind(catalogs, atomicity=Atomicity.LIVE)
    seen: list[dict[str, int]] = []

    def crash_on_dishes(endpoint: str) -> None:
        seen.append(_shown(catalogs, world))
        if endpoint == "create:DISH" and catalogs.calls["create:DISH"] == 1:
            raise ConnectionError("the worker's network went away")

    catalogs.fail_before = crash_on_dishes
    assert _sync(world, target) == "FAILED"
    content = catalogs.catalog(world.catalog_id).content
    assert content.menus and all(m.fields["visible"] is False for m in content.menus.values())
    assert all(view["menus"] == 0 for view in seen)  # nothing half-built was ever in sight

    catalogs.fail_before = None
    assert _sync(world, target) == "SYNCED"
    assert len(content.menus) == len(world.menus)  # the hidden menus were finished, not created again
    assert all(m.fields["visible"] for m in content.menus.values())
    shown = _shown(catalogs, world)
    assert shown["menus"] == len(world.menus) and shown["dishes"] > 0
    catalogs.calls.clear()
    assert _sync(world, target) == "SYNCED" and set(catalogs.calls) == {"version"}


def test_draft_target_failure_leaves_live_as_it_was(world: SyncWorld) -> None:
    catalogs = MemoryCatalogs()
    target = MemoryTargetKind(catalogs, atomicity=Atomicity.DRAFT)
    assert _sync(world, target) == "SYNCED"
    before = repr(catalogs.catalog(world.catalog_id).content)
    _set_prices(world, "7.75")

    def crash_on_updates(endpoint: str) -> None:
        if endpoint == "update:DISH" and catalogs.calls["update:DISH"] == 2:
            raise ConnectionError("Wix went away")

    catalogs.fail_before = crash_on_updates
    assert _sync(world, target) == "FAILED"
    assert repr(catalogs.catalog(world.catalog_id).content) == before
    assert catalogs.calls["abort"] == 1 and not catalogs.drafts
    catalogs.fail_before = None
    assert _sync(world, target) == "SYNCED"
    prices = {d.fields["price"] for d in catalogs.catalog(world.catalog_id).content.items.values() if d.kind == DISH}
    assert prices == {Decimal("7.75")}


def test_the_target_limits_are_what_the_validator_checks(world: SyncWorld) -> None:
    tight = Limits(batch_size=10, max_periods=100, max_items=5, max_choices=100, max_scale=3)
    target = MemoryTargetKind(MemoryCatalogs(), limits=tight)
    sync = world.request()
    run_sync(world.db, world.settings, world.configuration, client=world.client, target=target)
    assert world.row(sync.id).failure_code == "OVERLOADED_MENU"
    preview = dry_run(world.db, world.settings, world.configuration, client=world.client, target=target)
    assert preview.failure_code == "OVERLOADED_MENU"
    assert "exceed the 5 one catalog may hold" in str(preview.problems[0])


def test_batches_follow_the_target_batch_size(world: SyncWorld) -> None:
    catalogs = MemoryCatalogs()
    small = Limits(batch_size=7, max_periods=100, max_items=10_000, max_choices=100, max_scale=3)
    assert _sync(world, MemoryTargetKind(catalogs, limits=small)) == "SYNCED"
    dishes = sum(1 for e in catalogs.catalog(world.catalog_id).content.items.values() if e.kind == DISH)
    assert catalogs.calls["create:DISH"] == -(-dishes // 7)


def test_legacy_sites_write_catalogs_v3_through_drafts() -> None:
    kind = target_for(Generation.LEGACY)
    assert kind is CatalogsV3Target
    assert kind.atomicity is Atomicity.DRAFT and kind.limits.batch_size == 20
    # Dishes and variations share Catalogs v3's items update; the planner has no such notion itself.
    (items,) = [spec for spec in kind.layout if spec.kind == "ITEM"]
    assert items == StepSpec("update", "ITEM", (VARIATION, DISH))
    assert {spec.kind for spec in kind.layout} >= {MENU, SECTION}


def test_the_sync_lease_is_renewed_while_the_run_waits_and_no_one_takes_it_over(world: SyncWorld) -> None:
    catalogs = MemoryCatalogs()
    sync = world.request()
    now = [utcnow()]
    waits = SteppedWait()
    taken: list[object] = []

    def long_pause(endpoint: str) -> None:
        # A run waiting longer than its whole lease (a rate-limit pause, a slow database) between calls,
        # while the lease's renewal waits out each of its own pauses.
        if endpoint != "read" or taken:
            return
        first_end = world.row(sync.id).lease_until
        assert first_end is not None
        while now[0] <= first_end:
            now[0] += timedelta(seconds=waits.asked[-1])
            waits.step()
        taken.append(claim_sync(world.db, world.configuration, clock=lambda: now[0]))

    catalogs.fail_before = long_pause
    run_sync(
        world.db,
        world.settings,
        world.configuration,
        client=world.client,
        lease_seconds=3.0,
        target=MemoryTargetKind(catalogs),
        clock=lambda: now[0],
        wait=waits,
    )
    assert taken == [None]  # the lease outlived its first term: the job queue needs no lease of its own
    assert waits.asked[0] == 1.0  # renewed every third of the lease
    assert world.row(sync.id).status == "SYNCED" and world.row(sync.id).attempts == 1
