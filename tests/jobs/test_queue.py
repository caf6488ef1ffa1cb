"""The job engine: persistence across restarts, Redis, retries of crashed jobs, one sync at a time."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from posbridge.config import ConfigError, Settings
from posbridge.jobs import JobQueue, queue_file, run_worker
from posbridge.store.db import Database
from posbridge.store.leases import Leases
from posbridge.store.models import Sync
from posbridge.store.types import utcnow
from tests.jobs.conftest import FakeSyncRunner, configurations_with_syncs

# all_backends where the database does the work (the consumer's start-up sweep, claims, leases); the settings
# checks and the inline outbound run need no database


@pytest.mark.all_backends
def test_a_queued_sync_survives_a_restart(
    queue_settings: Callable[..., Settings], make_queue: Callable[..., JobQueue], key: int
) -> None:
    settings = queue_settings("sqlite")
    before = FakeSyncRunner()
    make_queue(settings, before).enqueue_sync(key)  # no worker running: it waits in the SQLite file
    after = FakeSyncRunner()
    restarted = make_queue(settings, after)
    restarted.start_consumer(workers=1)
    after.wait_for(1)
    assert before.runs == [] and after.runs == [key]


@pytest.mark.all_backends
@pytest.mark.parametrize("storage", ["sqlite", "redis"])
def test_a_crashed_sync_is_retried(
    storage: str, queue_settings: Callable[..., Settings], make_queue: Callable[..., JobQueue], key: int
) -> None:
    runner = FakeSyncRunner(fail_first=2)
    queue = make_queue(queue_settings(storage), runner, sync_retries=3)
    queue.start_consumer(workers=2)
    queue.enqueue_sync(key)
    runner.wait_for(3)
    assert runner.runs == [key, key, key]


@pytest.mark.all_backends
@pytest.mark.parametrize("storage", ["sqlite", "redis"])
def test_one_sync_at_a_time_per_configuration_and_none_dropped(
    storage: str,
    jobs_db: Database,
    queue_settings: Callable[..., Settings],
    make_queue: Callable[..., JobQueue],
) -> None:
    first, second = configurations_with_syncs(jobs_db, {"status": "PENDING"}, {"status": "PENDING"})
    runner = FakeSyncRunner(held=True, claims=True)  # the queue takes no lease: the sync's claim excludes
    queue = make_queue(queue_settings(storage), runner)
    queue.start_consumer(workers=4)
    for pk in (first, first, first, second):
        queue.enqueue_sync(pk)
    try:
        # Both syncs run (held), and the first's other wake-ups came while it did: they found it claimed.
        runner.wait_until(lambda _runs: len(runner.claimed) == 2 and runner.refused.count(first) >= 2)
    finally:
        runner.release.set()

    def statuses() -> list[str]:
        with jobs_db.transaction(write=False) as session:
            return sorted(session.scalars(select(Sync.status).where(Sync.configuration_id.in_((first, second)))))

    runner.wait_until(lambda _runs: statuses() == ["SYNCED", "SYNCED"], timeout=15)
    assert runner.max_parallel == {first: 1, second: 1}
    assert sorted(runner.claimed) == [first, second]  # each PENDING sync ran, once


@pytest.mark.all_backends
@pytest.mark.slow
def test_a_follow_up_runs_after_the_sync_that_asked_for_it(
    jobs_db: Database, queue_settings: Callable[..., Settings], make_queue: Callable[..., JobQueue]
) -> None:
    due = utcnow() + timedelta(seconds=1.5)  # a debounced follow-up: not before this
    (pk,) = configurations_with_syncs(jobs_db, {"status": "PENDING", "not_before": due})
    runner = FakeSyncRunner(follow_ups=1)
    queue = make_queue(queue_settings("sqlite"), runner)
    queue.start_consumer(workers=1)
    queue.enqueue_sync(pk)  # the running sync, which finds the follow-up waiting
    runner.wait_for(2)
    assert runner.runs[:2] == [pk, pk]
    assert runner.times[0] < due <= runner.times[1]


@pytest.mark.all_backends
def test_immediate_mode_runs_the_sync_and_its_follow_up_inline(
    jobs_db: Database, queue_settings: Callable[..., Settings], make_queue: Callable[..., JobQueue]
) -> None:
    (pk,) = configurations_with_syncs(jobs_db, {"status": "PENDING"})
    runner = FakeSyncRunner(follow_ups=10)  # a claim that never succeeds must not recurse forever
    queue = make_queue(queue_settings("immediate"), runner)
    queue.start_consumer()  # nothing to start
    queue.enqueue_sync(pk)
    assert runner.runs == [pk] * 4
    # Its sync stays owed (the runner never finished it): settle it, or the next consumer started on this
    # module's database (whichever test an xdist worker runs next) would sweep it into its own runs.
    with jobs_db.transaction() as session:
        session.execute(update(Sync).where(Sync.configuration_id == pk).values(status="SYNCED"))


@pytest.mark.all_backends
def test_leases_exclude_expire_and_release(jobs_db: Database, key: int) -> None:
    clock = [1000.0]
    leases = Leases(jobs_db, seconds=10, clock=lambda: clock[0])
    name = f"test-{key}"
    assert leases.acquire(name, "a")
    assert not leases.acquire(name, "b")
    assert leases.is_held(name)
    clock[0] += 9
    assert leases.renew(name, "a")
    clock[0] += 9
    assert not leases.acquire(name, "b")  # renewed: still a's
    clock[0] += 11
    assert not leases.is_held(name)
    assert leases.acquire(name, "b")  # expired: b takes it over
    assert not leases.renew(name, "a")
    leases.release(name, "a")  # not a's any more: no effect
    assert leases.is_held(name)
    leases.release(name, "b")
    assert not leases.is_held(name)


def test_queue_file_sits_beside_a_sqlite_database(queue_settings: Callable[..., Settings]) -> None:
    settings = queue_settings("sqlite").model_copy(
        update={"queue_path": None, "database_url": "sqlite:////srv/pb/main.db"}
    )
    assert queue_file(settings) == "/srv/pb/main.queue.db"


def test_a_standalone_worker_refuses_immediate_mode(queue_settings: Callable[..., Settings]) -> None:
    with pytest.raises(ConfigError):
        run_worker(queue_settings("immediate"))


def test_outbound_jobs_reach_their_runner(
    queue_settings: Callable[..., Settings], make_queue: Callable[..., JobQueue]
) -> None:
    ran: list[int] = []

    def outbound(db: Database, settings: Settings, job_id: int, *, client: object) -> None:
        ran.append(job_id)

    queue = make_queue(queue_settings("immediate"), FakeSyncRunner(), outbound_runner=outbound)
    queue.enqueue_outbound(41)
    queue.enqueue_outbound(42)
    assert ran == [41, 42]
