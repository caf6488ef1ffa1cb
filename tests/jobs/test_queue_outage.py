"""Redis going away under a running worker: one line per failure with a bounded backoff, then recovery.

The Redis is a private redis-server this test starts on a free port and stops; the machine's own
Redis (6379) is never touched.
"""

from __future__ import annotations

import logging
import shutil
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
from structlog.testing import capture_logs

from posbridge.config import Settings
from posbridge.jobs import JobQueue, QueueOutage
from posbridge.store import migrate
from posbridge.store.db import Database
from tests.conftest import make_settings
from tests.support.server import free_port
from tests.support.signer import TestSigner

REDIS_SERVER = shutil.which("redis-server")
pytestmark = pytest.mark.skipif(REDIS_SERVER is None, reason="no redis-server binary for a private server")
DEADLINE = 20.0
LOOPS = 3  # that read the queue: the two worker threads and the scheduler


class PrivateRedis:
    """A redis-server of this test's own, on a free port, without persistence."""

    def __init__(self, workdir: Path) -> None:
        self.port, self.workdir = free_port(), workdir
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        assert REDIS_SERVER is not None
        args = [REDIS_SERVER, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
        self.process = subprocess.Popen(
            [*args, "--dir", str(self.workdir)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        client = redis.Redis(port=self.port, socket_timeout=1)
        _wait_for(lambda: _answers(client), "the private redis-server to answer")
        client.close()

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None


def _answers(client: redis.Redis) -> bool:
    try:
        return bool(client.ping())
    except redis.RedisError:
        return False


def _wait_for(condition: Callable[[], Any], what: str) -> None:
    deadline = time.monotonic() + DEADLINE
    while not condition():
        assert time.monotonic() < deadline, f"waited {DEADLINE} s for {what}"
        time.sleep(0.05)


class Outbound:
    """An outbound runner that records the jobs it ran."""

    def __init__(self) -> None:
        self.ran: list[int] = []

    def __call__(self, db: Database, settings: Settings, job_id: int, *, client: Any) -> float | None:
        self.ran.append(job_id)
        return None


@pytest.fixture()
def private_redis(tmp_path: Path) -> Iterator[PrivateRedis]:
    server = PrivateRedis(tmp_path)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.mark.slow
def test_a_worker_logs_one_line_per_failure_backs_off_and_recovers(
    tmp_path: Path, private_redis: PrivateRedis, signer: TestSigner, caplog: pytest.LogCaptureFixture
) -> None:
    db = Database(f"sqlite:///{tmp_path / 'jobs.db'}")
    migrate.upgrade(db)
    settings = make_settings(
        f"sqlite:///{tmp_path / 'jobs.db'}", signer, queue="redis", redis_url=private_redis.url, worker_threads=2
    )
    outbound = Outbound()
    # A short cap so the test sees the backoff reach it and the recovery within seconds.
    queue = JobQueue(settings, db, outbound_runner=outbound, outage=QueueOutage(first=0.1, cap=0.8))
    queue.start_consumer()
    try:
        queue.enqueue_outbound(1)
        _wait_for(lambda: outbound.ran == [1], "a job before the outage")
        with capture_logs() as logs, caplog.at_level(logging.WARNING, logger="huey"):
            stopped = time.monotonic()
            private_redis.stop()
            _wait_for(lambda: sum(e["event"] == "queue_unreachable" for e in logs) >= 6, "the failures")
            failures = [entry for entry in logs if entry["event"] == "queue_unreachable"]
            elapsed = time.monotonic() - stopped
            private_redis.start()
            _wait_for(lambda: any(e["event"] == "queue_recovered" for e in logs), "the recovery")
            queue.enqueue_outbound(2)
            _wait_for(lambda: outbound.ran == [1, 2], "a job after the recovery")
        # Huey's own loop would log a traceback per read, per thread, several times a second.
        assert [record for record in caplog.records if record.name.startswith("huey")] == []
        assert all(entry["log_level"] == "warning" and "exc_info" not in entry for entry in failures)
        delays = [entry["retry_in"] for entry in failures]
        assert delays == sorted(delays) and delays[-1] == 0.8 and delays[0] == 0.1
        # Three loops (two workers, the scheduler) backing off together, not a flood: each waits out every
        # delay it was given but its last before it tries again, so however long the machine's load made
        # the outage last, the delays add up to no more than each loop's share of it plus one cap.
        assert sum(delays) <= LOOPS * (elapsed + 0.8)
    finally:
        queue.close()
        db.dispose()
