"""The embedded default (SQLite database, SQLite queue) runs without redis or psycopg importable."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.support.signer import TestSigner

# Run in a fresh interpreter: this one has long imported both. A None in sys.modules makes any import fail.
EMBEDDED = textwrap.dedent(
    """
    import sys
    for name in ("redis", "psycopg", "psycopg2"):
        sys.modules[name] = None

    from fastapi.testclient import TestClient

    from posbridge import cli, jobs
    from posbridge.app import create_app
    from posbridge.config import load_settings
    from posbridge.store import migrate
    from posbridge.store.db import Database
    from posbridge.wix.client import WixClient

    settings = load_settings(**SETTINGS)
    db = Database(settings.database_url)
    migrate.upgrade(db)
    WixClient(settings, db)  # its request budget lives in the database
    jobs.huey_for(settings)
    with TestClient(create_app(settings, db)) as client:
        assert client.get("/healthz").json()["status"] == "ok"
    print("embedded ok")
    """
)


@pytest.mark.slow
def test_the_embedded_default_needs_neither_redis_nor_psycopg(tmp_path: Path, signer: TestSigner) -> None:
    settings = {
        "database_url": f"sqlite:///{tmp_path / 'embedded.db'}",
        "queue": "sqlite",
        "queue_path": str(tmp_path / "queue.db"),
        "run_worker": False,
        "wix_app_id": signer.app_id,
        "wix_app_secret": "app-secret-0123456789",
        "wix_public_key": signer.public_pem,
        "secret_key": "embedded-secret-key-0123456789",
    }
    done = subprocess.run(
        [sys.executable, "-c", EMBEDDED.replace("SETTINGS", repr(settings), 1)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.strip().endswith("embedded ok")
