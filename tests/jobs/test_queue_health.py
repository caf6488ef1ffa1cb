"""An unreachable job queue: `serve` and `worker` refuse to start with one line, /healthz reports it (503).

Redis "down" is a URL at a free port nobody listens on; the machine's Redis is never touched.
"""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from posbridge.app import create_app
from posbridge.cli import app as cli
from posbridge.config import Settings
from posbridge.jobs import queue_problem
from posbridge.store import migrate
from posbridge.store.db import Database
from tests.conftest import make_settings
from tests.support.environment import drop_posbridge_settings
from tests.support.server import free_port, serve_in_thread
from tests.support.signer import TestSigner


def _down_redis_url() -> str:
    return f"redis://127.0.0.1:{free_port()}/0"


def test_serve_and_worker_refuse_to_start_when_redis_is_down(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, signer: TestSigner
) -> None:
    monkeypatch.chdir(tmp_path)
    drop_posbridge_settings(monkeypatch)
    url = f"sqlite:///{tmp_path / 'q.db'}"
    database = Database(url)
    migrate.upgrade(database)
    database.dispose()
    env = {
        "POSBRIDGE_DATABASE_URL": url,
        "POSBRIDGE_WIX_APP_ID": signer.app_id,
        "POSBRIDGE_WIX_APP_SECRET": "app-secret-0123456789",
        "POSBRIDGE_WIX_PUBLIC_KEY": signer.public_pem_base64,
        "POSBRIDGE_SECRET_KEY": "queue-test-secret-0123456789",
        "POSBRIDGE_QUEUE": "redis",
        "POSBRIDGE_REDIS_URL": _down_redis_url(),
    }
    for command in (["serve", "--port", str(free_port())], ["worker"]):
        started = time.monotonic()
        result = CliRunner().invoke(cli, command, env=env)
        lines = result.stderr.strip().splitlines()
        assert result.exit_code == 2, (command, result.output)
        assert len(lines) == 1 and lines[0].startswith("posbridge: the job queue (POSBRIDGE_QUEUE=redis at 127.0.0.1:")
        assert "unreachable" in lines[0]
        assert time.monotonic() - started < 10


def _healthz(settings: Settings) -> httpx.Response:
    db = Database(settings.database_url)
    migrate.upgrade(db)
    try:
        with serve_in_thread(create_app(settings, db)) as base, httpx.Client(base_url=base, timeout=15) as client:
            return client.get("/healthz")
    finally:
        db.dispose()


def test_healthz_reports_an_unreachable_queue(tmp_path: Path, signer: TestSigner) -> None:
    settings = make_settings(f"sqlite:///{tmp_path / 'h.db'}", signer, queue="redis", redis_url=_down_redis_url())
    response = _healthz(settings)
    assert response.status_code == 503
    assert response.json() == {
        "status": "unavailable",
        "database": True,
        "queue": False,
        "details": {"ordersNeedingAttention": 0},
    }


@pytest.mark.parametrize("queue", ["sqlite", "redis", "immediate"])
def test_a_reachable_queue_is_healthy(tmp_path: Path, signer: TestSigner, queue: str) -> None:
    settings = make_settings(f"sqlite:///{tmp_path / 'h.db'}", signer, queue=queue)  # redis: the machine's, only read
    assert queue_problem(settings) is None
    response = _healthz(settings)
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "database": True,
        "queue": True,
        "details": {"ordersNeedingAttention": 0},
    }
