"""The sweep: the database, not the queue, says which syncs are owed; crashed and lost work resumes."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

import pytest

import posbridge.services.syncing as syncing
from posbridge.config import Settings
from posbridge.jobs import JobQueue
from posbridge.store.db import Database
from posbridge.store.models import Sync
from posbridge.store.types import utcnow
from tests.jobs.conftest import FakeSyncRunner, configurations_with_syncs

pytestmark = pytest.mark.all_backends  # the database backend matters here


def test_owed_syncs_are_due_pending_and_abandoned_ones(
    jobs_db: Database, queue_settings: Callable[..., Settings], make_queue: Callable[..., JobQueue]
) -> None:
    now = utcnow()
    due, debounced, abandoned, running, done, idle = configurations_with_syncs(
        jobs_db,
        {"status": "PENDING"},
        {"status": "PENDING", "not_before": now + timedelta(minutes=5)},
        {"status": "IN_PROGRESS", "lease_until": now - timedelta(seconds=1)},
        {"status": "IN_PROGRESS", "lease_until": now + timedelta(seconds=60)},  # a worker is on it
        {"status": "SYNCED"},
        None,
    )
    queue = make_queue(queue_settings("sqlite"), FakeSyncRunner())
    owed = set(queue.owed_syncs())
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


def test_reconcile_requests_syncs_and_wakes_what_they_notify(
    jobs_db: Database,
    queue_settings: Callable[..., Settings],
    make_queue: Callable[..., JobQueue],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    (paired,) = configurations_with_syncs(jobs_db, None)

    def request_reconcile(db: Database, *, notify: Callable[[int, datetime], None]) -> list[Sync]:
        # The real one records RECONCILE syncs first; this one only notifies.
        notify(paired, utcnow())
        return []

    monkeypatch.setattr(syncing, "request_reconcile", request_reconcile)
    runner = FakeSyncRunner()
    make_queue(queue_settings("immediate"), runner).reconcile()
    assert paired in runner.runs


def test_a_debounced_sync_is_scheduled_for_its_time(
    queue_settings: Callable[..., Settings], make_queue: Callable[..., JobQueue], key: int
) -> None:
    queue = make_queue(queue_settings("sqlite"), FakeSyncRunner())
    queue.schedule_sync(key, utcnow() + timedelta(seconds=30))
    queue.schedule_sync(key, utcnow() - timedelta(seconds=1))
    later, now = queue.huey.pending()
    assert later.eta is not None and 25 < (later.eta - datetime.utcnow()).total_seconds() <= 30
    assert now.eta is None
