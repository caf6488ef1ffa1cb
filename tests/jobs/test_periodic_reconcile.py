"""The periodic reconcile: on the quarter hour by default, off with POSBRIDGE_SYNC_RECONCILE_MINUTES=0 (the demo)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from huey import MemoryHuey

from posbridge.demo.processes import make_wiring
from posbridge.jobs import JobQueue
from posbridge.store.db import Database
from tests.conftest import make_settings
from tests.support.signer import TestSigner

HOUR = [datetime(2026, 11, 30, 12, minute) for minute in range(60)]


def _reconcile_minutes(signer: TestSigner, **overrides: object) -> list[int]:
    """The minutes of an hour at which the queue's scheduler would start a reconcile."""
    settings = make_settings("sqlite://", signer, **overrides)
    db = Database(settings.database_url)
    try:
        queue = JobQueue(settings, db, huey=MemoryHuey("reconcile-test", utc=True))
        return [
            moment.minute
            for moment in HOUR
            if any(task.name == "reconcile_syncs" for task in queue.huey.read_periodic(moment))
        ]
    finally:
        db.dispose()


def test_the_reconcile_runs_on_the_quarter_hour_by_default(signer: TestSigner) -> None:
    assert _reconcile_minutes(signer) == [0, 15, 30, 45]


def test_zero_turns_the_periodic_reconcile_off(signer: TestSigner) -> None:
    assert _reconcile_minutes(signer, sync_reconcile_minutes=0) == []


def test_the_demo_runs_posbridge_without_a_periodic_reconcile(tmp_path: Path, signer: TestSigner) -> None:
    minutes = make_wiring(tmp_path).posbridge_env()["POSBRIDGE_SYNC_RECONCILE_MINUTES"]
    assert _reconcile_minutes(signer, sync_reconcile_minutes=minutes) == []
