"""Stock changes reach the live Wix item in seconds by the single-item PATCH (legacy, Catalogs v3), against a real
wixsim: an 86, a restore, a timed 86's end, a sold-out item; bursts coalesce; Wix-owned stock is left alone; and
the next full sync agrees with what was pushed."""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from posbridge.config import Settings
from posbridge.jobs import JobQueue
from posbridge.services import outbound, stock
from posbridge.services.stock_push import WIX_OWNS_STOCK
from posbridge.store.db import Database
from posbridge.store.models import Item, OptionGroup, OutboundJob, SyncIdMap, Variation
from posbridge.store.types import utcnow
from tests.sync.newgen_world import build_newgen_world
from tests.sync.world import SyncWorld
from wixsim.client import WixSimClient

LOC = "loc-1"


def dishes(world: SyncWorld, count: int) -> list[tuple[str, str]]:
    """(POS item id, live Wix item id) of `count` synced dishes sold at the location."""
    ids = world.id_map()
    out = []
    with world.db.transaction(write=False) as session:
        for (kind, ref), row in sorted(ids.items(), key=lambda pair: pair[0][1]):
            item = session.get(Item, ref) if kind == "DISH" else None
            if item is not None:
                out.append((item.pos_id, row.wix_id))
    assert len(out) >= count
    return out[:count]


def in_stock(world: SyncWorld, wix_id: str) -> bool:
    return bool(world.live()["items"][wix_id]["inStock"])


def patches(world: SyncWorld) -> int:
    return world.counts().get("updateItem", 0)


def queue_for(world: SyncWorld, db: Database) -> JobQueue:
    """The job queue in immediate mode: a push runs inline when its change is committed and woken."""
    return JobQueue(world.settings, db, client=world.client, name=f"test-{world.instance_id}")


def change(world: SyncWorld, queue: JobQueue, call: Callable[..., stock.StockChange], *args: object, **kw: object):  # type: ignore[no-untyped-def]
    merchant = world.document["merchant"]["id"]
    return call(world.db, *args, merchant=merchant, settings=world.settings, notify=queue.enqueue_outbound, **kw)


def run_due(world: SyncWorld, at: datetime) -> None:
    """What the queue's sweep and scheduled wake-ups do at `at` (an injected clock)."""
    for job in outbound.due_jobs(world.db, now=at):
        outbound.run_job(world.db, world.settings, job, client=world.client, clock=lambda: at)


@pytest.fixture()
def synced(world: SyncWorld) -> SyncWorld:
    assert world.sync().status == "SYNCED"
    world.sim.clear_request_log()
    return world


def test_an_86_reaches_the_live_item_within_two_seconds_and_a_restore_brings_it_back(
    synced: SyncWorld, db: Database
) -> None:
    queue = queue_for(synced, db)
    (item, wix_id), *_ = dishes(synced, 1)
    assert in_stock(synced, wix_id)
    started = time.monotonic()
    change(synced, queue, stock.eighty_six, item, LOC)
    assert not in_stock(synced, wix_id)
    assert time.monotonic() - started < 2.0
    assert patches(synced) == 1 and set(synced.counts()) <= {"updateItem", "token"}
    # A second later (the per-item spacing) the restore goes out the same way.
    change(synced, queue, stock.restore, item, LOC)
    run_due(synced, utcnow() + timedelta(seconds=1.5))
    assert in_stock(synced, wix_id) and patches(synced) == 2
    # No full sync ran, and the next one agrees with what was pushed (nothing to change, no flip-flop).
    assert "publishDraftCatalog" not in synced.counts()


def test_a_full_sync_after_an_86_keeps_it_out(synced: SyncWorld, db: Database) -> None:
    queue = queue_for(synced, db)
    (item, wix_id), *_ = dishes(synced, 1)
    change(synced, queue, stock.eighty_six, item, LOC)
    assert synced.sync("ADMIN").status == "SYNCED"
    assert not in_stock(synced, wix_id)


def test_a_timed_86_restores_itself(synced: SyncWorld, db: Database) -> None:
    queue = queue_for(synced, db)
    (item, wix_id), *_ = dishes(synced, 1)
    change(synced, queue, stock.eighty_six, item, LOC, for_=timedelta(hours=2))
    assert not in_stock(synced, wix_id)
    run_due(synced, utcnow() + timedelta(minutes=119))
    assert not in_stock(synced, wix_id)  # not yet
    # The end's push is a row in the database: a fresh process (a restart) finds and runs it when due.
    run_due(synced, utcnow() + timedelta(hours=2, seconds=1))
    assert in_stock(synced, wix_id)


def test_a_restore_before_a_timed_86_ends_is_not_held_back_by_the_end(synced: SyncWorld, db: Database) -> None:
    queue = queue_for(synced, db)
    (item, wix_id), *_ = dishes(synced, 1)
    change(synced, queue, stock.eighty_six, item, LOC, for_=timedelta(hours=2))
    change(synced, queue, stock.restore, item, LOC)
    run_due(synced, utcnow() + timedelta(seconds=1.5))
    assert in_stock(synced, wix_id)
    run_due(synced, utcnow() + timedelta(hours=2, seconds=1))  # the end comes and changes nothing
    assert in_stock(synced, wix_id) and pending(synced) == 0


def test_a_sold_out_item_is_pushed(synced: SyncWorld, db: Database) -> None:
    queue = queue_for(synced, db)
    (item, wix_id), *_ = dishes(synced, 1)
    change(synced, queue, stock.set_count, item, LOC, 0)
    assert not in_stock(synced, wix_id)


def test_a_burst_of_200_changes_writes_each_item_at_most_once_a_second(synced: SyncWorld, db: Database) -> None:
    queue = queue_for(synced, db)
    items = dishes(synced, 4)
    for n in range(200):
        item, _ = items[n % 4]
        call = stock.eighty_six if (n // 4) % 2 == 0 else stock.restore
        change(synced, queue, call, item, LOC)

    # Each write at the time of the clock the queue ran it by: the burst's own on the real clock, as
    # the sim stamped them; what is still owed when its due time comes on a clock the test moves on
    # (the queue's scheduled wake-ups, done by hand here), so nothing waits in real time.
    def written() -> list[dict[str, Any]]:
        return synced.sim.request_log(endpoint="updateItem", instance_id=synced.instance_id)["requests"]

    log = written()
    by_item: dict[str, list[datetime]] = {}
    for entry in log:
        by_item.setdefault(entry["path"], []).append(datetime.fromisoformat(entry["time"].replace("Z", "+00:00")))
    at = utcnow()
    deadline = at + timedelta(seconds=5)
    while pending(synced) and at < deadline:
        at += timedelta(seconds=0.1)
        run_due(synced, at)
        new = written()[len(log) :]
        log += new
        for entry in new:
            by_item.setdefault(entry["path"], []).append(at)
    assert pending(synced) == 0
    assert len(by_item) == 4
    for times in by_item.values():
        assert all(b - a >= timedelta(seconds=0.99) for a, b in itertools.pairwise(times)), times
    assert len(log) < 50  # 200 changes, coalesced
    # Every item ended restored (50 changes each: 86, restore, …): Wix shows the last one.
    assert all(in_stock(synced, wix_id) for _, wix_id in items)


def pending(world: SyncWorld) -> int:
    with world.db.transaction(write=False) as session:
        query = select(OutboundJob.id).where(
            OutboundJob.instance_id == world.instance_id, OutboundJob.status == "PENDING"
        )
        return len(session.scalars(query).all())


def test_wix_owned_stock_is_left_alone(
    world_factory: Callable[..., SyncWorld], sim_settings: Callable[..., Settings], db: Database
) -> None:
    world = world_factory(settings=sim_settings(catalog_sync_configuration={"dishInStockUpdated": "WIX"}))
    assert world.sync().status == "SYNCED"
    world.sim.clear_request_log()
    queue = queue_for(world, db)
    (item, wix_id), *_ = dishes(world, 1)
    done = change(world, queue, stock.eighty_six, item, LOC)
    assert done.view.wix_push == WIX_OWNS_STOCK
    assert in_stock(world, wix_id) and patches(world) == 0


def test_a_failed_push_blocks_no_later_one(synced: SyncWorld, db: Database) -> None:
    queue = queue_for(synced, db)
    (item, wix_id), *_ = dishes(synced, 1)
    with db.transaction() as session:  # an earlier push Wix refused for good
        session.add(
            OutboundJob(
                kind="STOCK",
                instance_id=synced.instance_id,
                ordering_key=stock_key(synced, item),
                payload={"configuration": synced.configuration, "location": synced.location, "item": 0},
                status="FAILED",
                next_attempt_at=utcnow() - timedelta(seconds=5),
            )
        )
    change(synced, queue, stock.eighty_six, item, LOC)
    assert not in_stock(synced, wix_id)
    # A restore whose wake-up was lost: the sweep finds it behind the failed push.
    stock.restore(db, item, LOC, merchant=synced.document["merchant"]["id"])
    run_due(synced, utcnow() + timedelta(seconds=2))
    assert in_stock(synced, wix_id) and pending(synced) == 0


def stock_key(world: SyncWorld, pos_item: str) -> str:
    from posbridge.pos.stock import push_key

    return push_key(world.configuration, world.item(pos_item).id)


def test_new_generation_sites_get_the_items_order_settings_at_its_revision(
    db: Database, wixsim: WixSimClient, sim_settings: Callable[..., Settings]
) -> None:
    world = build_newgen_world(db, sim_settings(), wixsim)
    assert world.sync().status == "SYNCED"
    wixsim.clear_request_log()
    with db.transaction(write=False) as session:
        rows = session.scalars(
            select(SyncIdMap).where(SyncIdMap.catalog_id == world.business_location_id, SyncIdMap.kind == "DISH")
        ).all()
        item = session.get(Item, rows[0].pos_ref)
        assert item is not None
        pos_item, wix_id = item.pos_id, rows[0].wix_id
    queue = JobQueue(world.settings, db, client=world.client, name=f"test-{world.instance_id}")

    def live() -> dict[str, Any]:
        return next(i for i in world.entities()["items"] if i["id"] == wix_id)

    before = live()
    assert before["orderSettings"]["inStock"] is True
    merchant = world.document["merchant"]["id"]
    stock.eighty_six(db, pos_item, LOC, merchant=merchant, notify=queue.enqueue_outbound)
    after = live()
    assert after["orderSettings"]["inStock"] is False
    assert after["revision"] != before["revision"] and after["name"] == before["name"]
    # Only the item was written: no sync, no other entity.
    writes = {k: v for k, v in world.counts().items() if not k.split(".")[-1].startswith(("get", "list", "query"))}
    assert sum(v for k, v in writes.items() if "token" not in k.lower()) == 1, writes


def test_an_86ed_choice_is_pushed_and_a_dish_whose_required_group_is_all_out_goes_too(
    synced: SyncWorld, db: Database
) -> None:
    queue = queue_for(synced, db)
    live = synced.live()["items"]
    ids = synced.id_map()
    with db.transaction(write=False) as session:
        # A dish with a SELECTION group, and that group's choices.
        for (kind, ref), row in sorted(ids.items(), key=lambda pair: pair[0][1]):
            item = session.get(Item, ref) if kind == "DISH" else None
            if item is None:
                continue
            groups = [session.get(OptionGroup, link.group_id) for link in item.option_groups]
            selection = next((g for g in groups if g is not None and g.type == "SELECTION" and g.choices), None)
            if selection is not None:
                dish_wix = row.wix_id
                choices = [(session.get(Variation, c.variation_id), c.variation_id) for c in selection.choices]
                break
    assert live[dish_wix]["inStock"]
    first, *rest = choices
    assert first[0] is not None
    change(synced, queue, stock.eighty_six, first[0].pos_id, LOC, choice=True)
    assert not in_stock(synced, ids[("VARIATION", first[1])].wix_id)
    assert in_stock(synced, dish_wix)  # another size still sells
    for variation, _ in rest:
        assert variation is not None
        change(synced, queue, stock.eighty_six, variation.pos_id, LOC, choice=True)
    run_due(synced, utcnow() + timedelta(seconds=1.5))
    assert not in_stock(synced, dish_wix)  # every size out: the dish cannot be ordered
    # The next full sync reads the same truth: nothing flips back.
    assert synced.sync("ADMIN").status == "SYNCED"
    assert not in_stock(synced, dish_wix) and not in_stock(synced, ids[("VARIATION", first[1])].wix_id)


def test_new_generation_choices_go_out_as_the_modifiers_in_stock(
    db: Database, wixsim: WixSimClient, sim_settings: Callable[..., Settings]
) -> None:
    world = build_newgen_world(db, sim_settings(), wixsim)
    assert world.sync().status == "SYNCED"
    with db.transaction(write=False) as session:
        row = session.scalars(
            select(SyncIdMap).where(SyncIdMap.catalog_id == world.business_location_id, SyncIdMap.kind == "VARIATION")
        ).first()
        assert row is not None
        variation = session.get(Variation, row.pos_ref)
        assert variation is not None
        pos_id, wix_id = variation.pos_id, row.wix_id
    queue = JobQueue(world.settings, db, client=world.client, name=f"test-{world.instance_id}")

    def modifier() -> dict[str, Any]:
        return next(m for m in world.entities()["modifiers"] if m["id"] == wix_id)

    assert modifier()["inStock"] is True
    merchant = world.document["merchant"]["id"]
    stock.eighty_six(db, pos_id, LOC, merchant=merchant, choice=True, notify=queue.enqueue_outbound)
    assert modifier()["inStock"] is False
