"""`posbridge serve`: the app carries the job queue and runs an in-process worker for its lifetime."""

from __future__ import annotations

from collections.abc import Callable

from huey import SqliteHuey

from posbridge.app import create_app
from posbridge.config import Settings
from posbridge.store.db import Database
from tests.support.server import serve_in_thread


def test_the_app_starts_and_stops_its_worker(jobs_db: Database, queue_settings: Callable[..., Settings]) -> None:
    app = create_app(queue_settings("sqlite", run_worker=True), jobs_db)
    jobs = app.state.jobs
    assert isinstance(jobs.huey, SqliteHuey)
    with serve_in_thread(app):
        assert jobs._consumer is not None
        assert all(thread.is_alive() for _worker, thread in jobs._consumer.worker_threads)
    assert jobs._consumer is None


def test_without_run_worker_the_app_only_enqueues(jobs_db: Database, queue_settings: Callable[..., Settings]) -> None:
    app = create_app(queue_settings("sqlite", run_worker=False), jobs_db)
    with serve_in_thread(app):
        assert app.state.jobs._consumer is None
