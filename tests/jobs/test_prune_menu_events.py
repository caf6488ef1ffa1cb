"""The daily prune of Menus API events: scheduled once a day, at 03:17 UTC, by every queue."""

from __future__ import annotations

from datetime import datetime, timedelta

from huey import MemoryHuey

from posbridge.config import Settings
from posbridge.jobs import JobQueue
from posbridge.store.db import Database

DAY = [datetime(2026, 11, 30, 0, 0) + timedelta(minutes=n) for n in range(24 * 60)]


def test_menu_events_are_pruned_once_a_day(settings: Settings, db: Database) -> None:
    queue = JobQueue(settings, db, huey=MemoryHuey("prune-test", utc=True))
    due = [m for m in DAY if any(t.name == "prune_menu_events" for t in queue.huey.read_periodic(m))]
    assert [(m.hour, m.minute) for m in due] == [(3, 17)]
    assert queue.prune_menu_events() == 0  # nothing here is a week old (what it removes: tests/webhooks)
