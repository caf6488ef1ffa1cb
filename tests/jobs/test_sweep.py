"""The sweep: the database, not the queue, says which syncs are owed; crashed and lost work resumes."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import timedelta

import pytest

import posbridge.services.syncing as syncing
from posbridge.config import Settings
from posbridge.jobs import JobQueue
from posbridge.store.db import Database
from posbridge.store.models import Configuration, Instance, Sync
from posbridge.store.types import utcnow
from tests.jobs.conftest import FakeSyncRunner


def configurations_with_syncs(db: Database, *syncs: dict[str, object] | None) -> list[int]:
    """One configuration per entry, with a Sync row of those fields (None: no sync at all)."""
    keys = []
    with db.transaction() as session:
        instance = Instance(id=str(uuid.uuid4()))
        session.add(instance)
        session.flush()
        for fields in syncs:
            configuration = Configuration(instance_id=instance.id, wix_id=str(uuid.uuid4()))
            session.add(configuration)
            session.flush()
            if fields is not None:
                session.add(Sync(configuration_id=configuration.id, **fields))
            keys.append(configuration.id)
    return keys


def test_owed_syncs_are_due_pending_and_abandoned_ones(
    jobs_db: Database, queue_settings: Callable[..., Settings], make_queue: Callable[..., JobQueue]
) -> None:
    now = utcnow()
    due, debounced, abandoned, running, done, idle = configurations_with_syncs(
        jobs_db,
        {"status": "PENDING"},
        {"status": "PENDING", "not_before": now + timedelta(minutes=5)},
        {"status": "IN_PROGRESS", "lease_until": now - timedelta(seconds=1)},
        {"status": "IN_PROGRESS", "lease_until": now - timedelta(seconds=1)},
        {"status": "SYNCED"},
        None,
    )
    queue = make_queue(queue_settings("sqlite"), FakeSyncRunner())
    holder = uuid.uuid4().hex
    assert queue.leases.acquire(f"sync-{running}", holder)  # a worker is on it (its Sync lease lagging)
    try:
        owed = set(queue.owed_syncs())
    finally:
        queue.leases.release(f"sync-{running}", holder)
    assert owed & {due, debounced, abandoned, running, done, idle} == {due, abandoned}


def test_a_starting_worker_resumes_what_a_crash_left_behind(
    jobs_db: Database, queue_settings: Callable[..., Settings], make_queue: Callable[..., JobQueue]
) -> None:
    (abandoned,) = configurations_with_syncs(
        jobs_db, {"status": "IN_PROGRESS", "lease_until": utcnow() - timedelta(seconds=1)}
    )
    runner = FakeSyncRunner()
    queue = make_queue(queue_settings("sqlite"), runner)
    queue.start_consumer(workers=1)  # nothing was enqueued: the start-up sweep finds it
    runner.wait_until(lambda runs: abandoned in runs)


def test_reconcile_asks_the_sync_service_then_sweeps(
    queue_settings: Callable[..., Settings], make_queue: Callable[..., JobQueue], monkeypatch: pytest.MonkeyPatch
) -> None:
    asked: list[Database] = []
    queue = make_queue(queue_settings("immediate"), FakeSyncRunner())
    monkeypatch.setattr(syncing, "request_reconcile_syncs", asked.append, raising=False)
    queue.reconcile()
    assert asked == [queue.db]
