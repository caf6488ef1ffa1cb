"""Every wait on the database is bounded: a frozen or busy database is a prompt 503, and service returns by itself.

The frozen-server test freezes (SIGSTOP) a private PostgreSQL server that it starts itself, for a
few seconds; the machine's own server is only used for the statement and pool-checkout bounds.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from posbridge.app import create_app
from posbridge.store import migrate
from posbridge.store.db import Database
from tests.conftest import make_settings
from tests.spi.conftest import assert_wix_error, signed_call
from tests.support.databases import database_url, enabled_backends
from tests.support.private_postgres import PrivatePostgres, postgres_bin, private_postgres
from tests.support.server import serve_in_thread
from tests.support.signer import TestSigner

BUDGET = 1.5
# Scheduling slack on a loaded machine; a wait that is not bounded at all takes until the thaw.
SLACK = 2.0
needs_postgresql = pytest.mark.skipif("postgresql" not in enabled_backends(), reason="PostgreSQL backend disabled")


@pytest.fixture(scope="module")
def frozen_capable() -> Iterator[PrivatePostgres]:
    """A private PostgreSQL server, migrated, that the test may freeze."""
    if postgres_bin() is None:
        pytest.skip("no PostgreSQL server binaries to start a private server")
    with private_postgres() as server:
        database = Database(server.url)
        migrate.upgrade(database)
        database.dispose()
        yield server


def _timed(call: Callable[[], Any]) -> Callable[[], tuple[Any, float]]:
    def run() -> tuple[Any, float]:
        started = time.monotonic()
        try:
            result: Any = call()
        except Exception as exc:  # the outcome is what the test inspects
            result = exc
        return result, time.monotonic() - started

    return run


@needs_postgresql
@pytest.mark.slow
def test_a_frozen_postgresql_is_a_prompt_503_and_service_returns_by_itself(
    frozen_capable: PrivatePostgres, signer: TestSigner
) -> None:
    settings = make_settings(frozen_capable.url, signer, db_timeout_seconds=BUDGET)
    app = create_app(settings)
    instance_id = str(uuid.uuid4())
    with serve_in_thread(app) as url, httpx.Client(base_url=url, timeout=BUDGET + SLACK + 3) as client:
        # Warm: pooled connections exist, so the freeze catches them mid-life (not only new connects).
        assert client.get("/healthz").status_code == 200
        assert signed_call(client, signer, "account-ids", {}, instance_id).json() == {"accountIds": []}
        fresh = Database(frozen_capable.url, timeout_seconds=BUDGET)
        calls = {
            "healthz": _timed(lambda: client.get("/healthz")),
            "spi": _timed(lambda: signed_call(client, signer, "account-ids", {}, instance_id)),
            "transaction": _timed(lambda: _select_one(app.state.db)),
            "connect": _timed(fresh.ping),  # a new connection: the connect itself is bounded
        }
        frozen_capable.freeze()
        try:
            with ThreadPoolExecutor(len(calls)) as pool:
                futures = {name: pool.submit(call) for name, call in calls.items()}
                results = {name: future.result() for name, future in futures.items()}
        finally:
            frozen_capable.thaw()
        for name, (_, elapsed) in results.items():
            # connect_timeout counts whole seconds, at least 2.
            assert elapsed < max(BUDGET, 2) + SLACK, f"{name} waited {elapsed:.1f} s"
        healthz = results["healthz"][0]
        assert isinstance(healthz, httpx.Response), healthz
        assert healthz.status_code == 503 and healthz.json()["database"] is False
        spi = results["spi"][0]
        assert isinstance(spi, httpx.Response), spi
        assert_wix_error(spi, 503, "SYSTEM_ERROR")
        assert isinstance(results["transaction"][0], OperationalError)
        assert results["connect"][0] is False
        # Thawed: the next calls are served again, with no restart and no retry loop in the test.
        assert client.get("/healthz").status_code == 200
        assert signed_call(client, signer, "account-ids", {}, instance_id).json() == {"accountIds": []}
        assert _select_one(app.state.db) == 1
        assert fresh.ping()
        fresh.dispose()


def _select_one(db: Database) -> int:
    with db.transaction(write=False) as session:
        return int(session.scalar(text("SELECT 1")) or 0)


@pytest.fixture()
def pg_url(tmp_path: Path) -> Iterator[str]:
    """A fresh database on the machine's PostgreSQL."""
    if "postgresql" not in enabled_backends():
        pytest.skip("PostgreSQL backend disabled")
    with database_url("postgresql", tmp_path) as url:
        yield url


def test_a_slow_statement_is_cancelled_at_the_budget(pg_url: str) -> None:
    db = Database(pg_url, timeout_seconds=0.5)
    try:
        started = time.monotonic()
        with pytest.raises(OperationalError), db.transaction(write=False) as session:
            session.execute(text("SELECT pg_sleep(5)"))
        assert time.monotonic() - started < 0.5 + SLACK
        assert _select_one(db) == 1
    finally:
        db.dispose()


def test_a_checkout_from_an_exhausted_pool_is_refused_at_the_budget(pg_url: str) -> None:
    db = Database(pg_url, pool_size=1, timeout_seconds=0.5)  # one pooled connection plus one overflow
    holding, release = threading.Barrier(3), threading.Event()

    def hold() -> None:
        with db.transaction(write=False) as session:
            session.execute(text("SELECT 1"))
            holding.wait(30)  # generous: connecting is slow on a loaded machine; the budget is timed below
            release.wait(30)

    holders = [threading.Thread(target=hold) for _ in range(2)]
    for holder in holders:
        holder.start()
    try:
        holding.wait(30)
        started = time.monotonic()
        # An OperationalError like any other unavailability, so the SPI answers it as a 503.
        with pytest.raises(OperationalError, match="pool checkout"):
            _select_one(db)
        assert time.monotonic() - started < 0.5 + SLACK
    finally:
        release.set()
        for holder in holders:
            holder.join(10)
    assert _select_one(db) == 1
    db.dispose()
