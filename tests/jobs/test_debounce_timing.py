"""A debounced sync starts when due: scheduled one scheduler tick early, its worker waits out the rest.

The clock and the worker's sleep are injected, so nothing here depends on how busy the machine is.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from posbridge.config import Settings
from posbridge.jobs import SCHEDULER_INTERVAL_SECONDS, JobQueue
from posbridge.store.types import utcnow
from tests.jobs.conftest import FakeSyncRunner


def test_a_debounced_sync_is_scheduled_one_scheduler_tick_before_it_is_due(
    queue_settings: Callable[..., Settings], make_queue: Callable[..., JobQueue], key: int
) -> None:
    now = utcnow()
    queue = make_queue(queue_settings("sqlite"), FakeSyncRunner(), clock=lambda: now)
    queue.schedule_sync(key, now + timedelta(seconds=3))
    (task,) = queue.huey.pending()
    assert task.args == (key,) and task.eta is not None
    # Huey stamps the eta from its own clock: 3 s minus one tick, give or take this test's run time.
    lead = (task.eta - datetime.utcnow()).total_seconds()
    assert 3 - SCHEDULER_INTERVAL_SECONDS - 0.5 < lead <= 3 - SCHEDULER_INTERVAL_SECONDS


def test_a_sync_due_within_a_tick_is_queued_at_once(
    queue_settings: Callable[..., Settings], make_queue: Callable[..., JobQueue], key: int
) -> None:
    now = utcnow()
    queue = make_queue(queue_settings("sqlite"), FakeSyncRunner(), clock=lambda: now)
    queue.schedule_sync(key, now + timedelta(seconds=SCHEDULER_INTERVAL_SECONDS / 2))
    (task,) = queue.huey.pending()
    assert task.eta is None


def test_a_worker_woken_early_waits_until_the_sync_is_due(
    queue_settings: Callable[..., Settings], make_queue: Callable[..., JobQueue], key: int
) -> None:
    start = utcnow()
    clock = [start]
    slept: list[float] = []
    runner = FakeSyncRunner()
    queue = make_queue(queue_settings("sqlite"), runner, clock=lambda: clock[0], sleep=slept.append)
    queue.schedule_sync(key, start + timedelta(seconds=3))
    (task,) = queue.huey.pending()
    clock[0] = start + timedelta(seconds=3 - SCHEDULER_INTERVAL_SECONDS)  # its eta: a worker takes it now
    queue.huey.execute(task, timestamp=task.eta)
    assert slept == [SCHEDULER_INTERVAL_SECONDS]
    assert runner.runs == [key]


def test_a_worker_does_not_wait_for_a_sync_woken_without_a_due_time_or_far_ahead(
    queue_settings: Callable[..., Settings], make_queue: Callable[..., JobQueue], key: int
) -> None:
    now = utcnow()
    slept: list[float] = []
    runner = FakeSyncRunner()
    queue = make_queue(queue_settings("sqlite"), runner, clock=lambda: now, sleep=slept.append)
    queue.enqueue_sync(key)  # Wix asked, or the sweep found it due
    queue.schedule_sync(key, now + timedelta(seconds=30))
    for task in queue.huey.pending():
        queue.huey.execute(task, timestamp=task.eta)
    assert slept == []
    assert runner.runs == [key, key]
