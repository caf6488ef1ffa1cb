"""The real sync engine run by the job queue against wixsim: requests during a sync queue one follow-up."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from posbridge.jobs import JobQueue
from posbridge.store.db import Database
from posbridge.store.models import Sync
from tests.conftest import make_settings
from tests.support.signer import TestSigner
from tests.sync.world import SyncWorld, build_world
from wixsim.client import WixSimClient
from wixsim.testing import start_wixsim

pytestmark = pytest.mark.all_backends  # the database backend matters here

WORKER_SETTINGS = (
    "database_url",
    "wix_app_id",
    "wix_app_secret",
    "wix_public_key",
    "wix_api_base",
    "secret_key",
    "queue",
    "queue_path",
)


@pytest.fixture(scope="module")
def sim() -> Iterator[WixSimClient]:
    """One emulator for the module."""
    handle, client = start_wixsim()
    try:
        yield client
    finally:
        client.close()
        handle.stop()


@pytest.fixture()
def world(jobs_db: Database, sim: WixSimClient, signer: TestSigner, tmp_path: Any) -> Callable[[str], SyncWorld]:
    """A paired tenant whose settings use the given queue storage."""

    def build(queue: str) -> SyncWorld:
        settings = make_settings(
            jobs_db.url,
            signer,
            wix_api_base=sim.base_url,
            wix_app_id=sim.app_id,
            wix_app_secret=sim.app_secret,
            queue=queue,
            queue_path=str(tmp_path / "queue.db"),
        )
        return build_world(jobs_db, settings, sim, items=30)

    return build


def syncs_of(world: SyncWorld) -> list[Sync]:
    with world.db.transaction(write=False) as session:
        return list(session.scalars(select(Sync).where(Sync.configuration_id == world.configuration).order_by(Sync.id)))


@pytest.mark.parametrize("storage", ["sqlite", "redis"])
@pytest.mark.slow
def test_requests_during_a_sync_run_as_one_follow_up(
    storage: str, world: Callable[[str], SyncWorld], make_queue: Callable[..., JobQueue], sim: WixSimClient
) -> None:
    tenant = world(storage)
    sim.inject_fault("*", "latency", latency_ms=30, instance_id=tenant.instance_id)  # a sync long enough to join
    queue = make_queue(tenant.settings, None)
    queue.start_consumer(workers=3)
    queue.enqueue_sync(tenant.request().configuration_id)
    deadline = time.monotonic() + 30
    while not any(s.status == "IN_PROGRESS" for s in syncs_of(tenant)):
        assert time.monotonic() < deadline
        time.sleep(0.02)
    for _ in range(3):  # three more requests while it runs: they coalesce into one PENDING follow-up
        queue.enqueue_sync(tenant.request().configuration_id)
    while [s.status for s in syncs_of(tenant)] != ["SYNCED", "SYNCED"]:
        assert time.monotonic() < deadline, [(s.status, s.failure_reason) for s in syncs_of(tenant)]
        time.sleep(0.05)
    statuses = [r["status"] for r in sim.request_log(instance_id=tenant.instance_id)["requests"]]
    assert 429 not in statuses and len(statuses) > 5
    assert len(tenant.live()["items"]) > 0


@pytest.mark.slow
def test_a_standalone_worker_process_runs_what_was_queued_before_it_started(
    world: Callable[[str], SyncWorld], tmp_path: Path
) -> None:
    tenant = world("sqlite")
    settings = tenant.settings
    producer = JobQueue(settings, tenant.db)  # the web process: enqueues, runs no worker
    sync = tenant.request()
    producer.enqueue_sync(sync.configuration_id)
    env = {k: v for k, v in os.environ.items() if not k.startswith("POSBRIDGE_")}
    env.update({f"POSBRIDGE_{k.upper()}": str(getattr(settings, k)) for k in WORKER_SETTINGS})
    env["POSBRIDGE_LOG_LEVEL"] = "WARNING"
    worker = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from posbridge.config import load_settings as s; from posbridge.jobs import run_worker as r; r(s())",
        ],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 40  # under the test's 60 s limit, so this says why
        while tenant.row(sync.id).status != "SYNCED":
            assert worker.poll() is None, worker.communicate()[1].decode()[-2000:]
            assert time.monotonic() < deadline, tenant.row(sync.id).status
            time.sleep(0.1)
    finally:
        worker.send_signal(signal.SIGTERM)  # graceful: running jobs finish, then the worker exits
        _out, err = worker.communicate(timeout=30)
        producer.close()
    assert worker.returncode == 0, err.decode()[-2000:]
