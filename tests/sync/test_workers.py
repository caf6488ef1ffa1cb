"""Workers: a crashed one leaves live intact and its sync is taken over; concurrent requests run one sync."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select, update

from posbridge.store.models import Item, Sync, SyncLog
from posbridge.store.types import utcnow
from posbridge.sync import runner
from posbridge.sync.runner import Progress, claim_sync, run_sync
from tests.sync.world import SyncWorld

pytestmark = pytest.mark.all_backends  # the database backend matters here


def _settings_json(world: SyncWorld) -> str:
    keys = ("database_url", "wix_app_id", "wix_app_secret", "wix_public_key", "wix_api_base", "secret_key")
    return json.dumps({k: getattr(world.settings, k) for k in keys} | {"log_level": "ERROR"})


@pytest.mark.slow
def test_killed_worker_leaves_live_unchanged_and_the_next_run_completes(world: SyncWorld, repo_root) -> None:
    world.sync()
    before = world.live()
    with world.db.transaction() as session:
        session.execute(update(Item).where(Item.merchant_id == world.merchant).values(price=Decimal("7.75")))
    sync = world.request()
    done = subprocess.run(
        [sys.executable, "-m", "tests.sync.crash_worker", _settings_json(world), str(world.configuration), "6"],
        cwd=repo_root,
        capture_output=True,
        timeout=120,
    )
    assert done.returncode == 9, done.stderr.decode()[-2000:]
    assert world.row(sync.id).status == "IN_PROGRESS"
    assert world.live() == before  # nothing published
    assert world.sim.draft_catalog(world.catalog_id) is not None  # the dead worker's draft is left behind
    assert claim_sync(world.db, world.configuration) is None  # its lease still holds
    # The dead worker's lease runs out; no waiting: the next worker's clock is past it.
    later = utcnow() + timedelta(seconds=runner.LEASE_SECONDS + 1)
    run_sync(world.db, world.settings, world.configuration, client=world.client, clock=lambda: later)
    finished = world.row(sync.id)
    assert finished.status == "SYNCED", finished.failure_reason
    assert finished.attempts == 2
    assert all(i["price"]["value"] == "7.75" for i in world.live()["items"].values() if i["type"] == "DISH")
    assert world.sim.draft_catalog(world.catalog_id) is None
    with world.db.transaction(write=False) as session:
        lines = list(session.scalars(select(SyncLog).where(SyncLog.sync_id == sync.id).order_by(SyncLog.id)))
    assert [line.event for line in lines if line.attempt == 1] == ["started"]  # the dead worker got no further
    second = [line for line in lines if line.attempt == 2]
    assert [line.event for line in second] == ["started", "live_read", "diff", "step", "published", "synced"]
    assert second[-1].data["calls"]["bulkUpdateItems"] == 3
    assert list(second[-1].data["counts"]["DISH"]) == ["update"]


def test_concurrent_sync_requests_run_one_sync(world: SyncWorld) -> None:
    first, second = world.request(), world.request()
    assert first.id == second.id  # coalesced into one PENDING sync
    results: list[bool] = []
    threads = [
        threading.Thread(
            target=lambda: results.append(run_sync(world.db, world.settings, world.configuration, client=world.client))
        )
        for _ in range(3)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    counts = world.counts()
    assert counts["createDraftCatalog"] == 1 and counts["publishDraftCatalog"] == 1
    assert world.row(first.id).status == "SYNCED"


def test_a_request_during_a_running_sync_queues_one_follow_up(world: SyncWorld) -> None:
    joined: list[int] = []

    def progress(event: Progress) -> None:
        if event.phase == "write" and not joined:
            joined.extend([world.request().id, world.request().id])

    sync = world.request()
    waiting = run_sync(world.db, world.settings, world.configuration, client=world.client, progress=progress)
    assert waiting is True
    assert joined[0] == joined[1] != sync.id
    assert run_sync(world.db, world.settings, world.configuration, client=world.client) is False
    assert world.row(joined[0]).status == "SYNCED"


def test_a_worker_that_lost_its_lease_stops_without_touching_the_draft(world: SyncWorld, monkeypatch) -> None:
    monkeypatch.setattr(runner, "HEARTBEAT_EVERY", 0.0)
    sync = world.request()
    taken: list[int] = []

    def progress(event: Progress) -> None:
        if event.phase == "write" and event.done >= 3 and not taken:
            # Another worker decides this one is dead and takes the sync over.
            with world.db.transaction() as session:
                session.execute(
                    update(Sync).where(Sync.id == sync.id).values(lease_until=utcnow() - timedelta(seconds=1))
                )
            claim = claim_sync(world.db, world.configuration)
            assert claim is not None
            taken.append(claim.attempt)

    run_sync(world.db, world.settings, world.configuration, client=world.client, progress=progress)
    row = world.row(sync.id)
    assert taken == [2] and row.status == "IN_PROGRESS" and row.attempts == 2  # nothing recorded by the loser
    assert world.sim.draft_catalog(world.catalog_id) is not None  # and its draft left alone
    with world.db.transaction() as session:
        session.execute(update(Sync).where(Sync.id == sync.id).values(lease_until=utcnow() - timedelta(seconds=1)))
    run_sync(world.db, world.settings, world.configuration, client=world.client)
    assert world.row(sync.id).status == "SYNCED"
