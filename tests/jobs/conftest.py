"""Fixtures for the job engine: queue settings per storage and a recording fake sync runner."""

from __future__ import annotations

import itertools
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import update

from posbridge.config import Settings
from posbridge.jobs import JobQueue, huey_for
from posbridge.store import migrate
from posbridge.store.db import Database
from posbridge.store.models import Configuration, Instance, Sync
from posbridge.store.types import utcnow
from posbridge.sync.runner import claim_sync, pending_sync_waiting
from tests.conftest import make_settings
from tests.support.databases import database_url
from tests.support.signer import TestSigner

# Configuration keys far from any real row, so the sweep's own findings never collide with them.
_KEYS = itertools.count(9_000_000 + uuid.uuid4().int % 1_000_000 * 100)


class FakeSyncRunner:
    """Records each run; can fail the first runs, last until released, and ask for follow-ups.

    With `claims`, it runs only what it claims the way the real runner does (`claim_sync`, the
    sync's lease): the queue itself takes no lease, so one-at-a-time is the claim's doing.
    With `held`, each run lasts until the test sets `release`, so other wake-ups arrive while it runs.
    """

    def __init__(self, *, fail_first: int = 0, held: bool = False, follow_ups: int = 0, claims: bool = False) -> None:
        self.fail_first = fail_first
        self.release = threading.Event()
        if not held:
            self.release.set()
        self.follow_ups = follow_ups
        self.claims = claims
        self.claimed: list[int] = []
        self.refused: list[int] = []  # wake-ups that found the sync claimed by another run
        self.runs: list[int] = []
        self.times: list[datetime] = []
        self.active: dict[int, int] = {}
        self.max_parallel: dict[int, int] = {}
        self.lock = threading.Lock()

    def __call__(self, db: Database, settings: Settings, configuration_pk: int, *, client: Any) -> bool:
        if self.claims:
            claim = claim_sync(db, configuration_pk)
            if claim is None:
                with self.lock:
                    self.refused.append(configuration_pk)
                return pending_sync_waiting(db, configuration_pk)
            with self.lock:
                self.claimed.append(configuration_pk)
        with self.lock:
            self.active[configuration_pk] = self.active.get(configuration_pk, 0) + 1
            self.max_parallel[configuration_pk] = max(
                self.max_parallel.get(configuration_pk, 0), self.active[configuration_pk]
            )
            self.runs.append(configuration_pk)
            self.times.append(utcnow())
            attempt = len(self.runs)
        try:
            assert self.release.wait(30), "a held run was never released"
            if attempt <= self.fail_first:
                raise RuntimeError(f"sync crashed (run {attempt})")
            with self.lock:
                if self.follow_ups > 0:
                    self.follow_ups -= 1
                    return True
            # Done: nothing is owed any more (as the real runner leaves it).
            with db.transaction() as session:
                session.execute(
                    update(Sync)
                    .where(Sync.configuration_id == configuration_pk, Sync.status.in_(("PENDING", "IN_PROGRESS")))
                    .values(status="SYNCED")
                )
            return False
        finally:
            with self.lock:
                self.active[configuration_pk] -= 1

    def wait_for(self, count: int, timeout: float = 10.0) -> None:
        """Block until `count` runs happened (or fail)."""
        self.wait_until(lambda runs: len(runs) >= count, timeout)

    def wait_until(self, done: Callable[[list[int]], bool], timeout: float = 10.0) -> None:
        """Block until the runs so far satisfy `done` (or fail)."""
        deadline = time.monotonic() + timeout
        while not done(list(self.runs)):
            assert time.monotonic() < deadline, f"runs after {timeout}s: {self.runs}"
            time.sleep(0.02)


@pytest.fixture()
def key() -> int:
    """A configuration key of this test's own."""
    return next(_KEYS)


@pytest.fixture(scope="module")
def jobs_db(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Database]:
    """A database of the module's own: the sweep at consumer start must find only what these tests made."""
    with database_url(backend, tmp_path_factory.mktemp("jobs")) as url:
        database = Database(url)
        migrate.upgrade(database)
        yield database
        database.dispose()


@pytest.fixture()
def queue_settings(jobs_db: Database, signer: TestSigner, tmp_path: Path) -> Callable[..., Settings]:
    """Settings for a queue storage (`sqlite` in tmp_path, `redis`, `immediate`)."""

    def build(queue: str, **overrides: Any) -> Settings:
        values: dict[str, Any] = {"queue": queue, "queue_path": str(tmp_path / "queue.db")}
        values.update(overrides)
        return make_settings(jobs_db.url, signer, **values)

    return build


@pytest.fixture()
def make_queue(jobs_db: Database) -> Iterator[Callable[..., JobQueue]]:
    """Builds JobQueues with fast retries and a unique name; stops their workers and empties Redis queues after."""
    queues: list[JobQueue] = []
    name = f"posbridge-test-{uuid.uuid4().hex[:10]}"

    def build(settings: Settings, runner: FakeSyncRunner | None, **options: Any) -> JobQueue:
        values: dict[str, Any] = {
            "name": name,
            "sync_runner": runner,  # None: the real sync engine
            "sync_retry_delay": 0.0,
        }
        values.update(options)
        if settings.queue == "redis" and "huey" not in values:
            # A worker stops once its blocking read of Redis returns: a tenth of a second instead of Huey's
            # second in every Redis test's teardown. What the read returns is the same.
            values["huey"] = huey_for(settings, name=name)
            values["huey"].storage.read_timeout = 0.1
        queue = JobQueue(settings, jobs_db, **values)
        queues.append(queue)
        return queue

    yield build
    for queue in queues:
        queue.close()
        if queue.settings.queue == "redis":
            queue.huey.flush()


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
