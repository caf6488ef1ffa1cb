"""`posbridge import` schedules the debounced sync in the queue's storage, for a running worker to run when due."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from posbridge.cli import app
from posbridge.config import DatabaseSettings, load_settings
from posbridge.jobs import SCHEDULER_INTERVAL_SECONDS, build_queue
from posbridge.pos.importer import import_menu
from posbridge.services.accounts import link_account
from posbridge.services.pairing import pair_configuration
from posbridge.services.syncing import DEBOUNCE_SECONDS
from posbridge.store import migrate
from posbridge.store.db import Database
from tests.pos.menu_documents import small_document
from tests.support.environment import drop_posbridge_settings


@pytest.mark.parametrize(("debounce", "due_in"), [(None, DEBOUNCE_SECONDS), ("10", 10.0)])
def test_an_import_that_changes_a_paired_menu_schedules_its_sync(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, debounce: str | None, due_in: float
) -> None:
    monkeypatch.chdir(tmp_path)
    drop_posbridge_settings(monkeypatch)
    url, queue_path = f"sqlite:///{tmp_path / 'pos.db'}", tmp_path / "queue.db"
    db = Database(url)
    migrate.upgrade(db)
    document = small_document()
    import_menu(db, document)
    merchant = document["merchant"]["id"]
    link_account(db, instance_id="site-1", account_id=merchant)
    pair_configuration(db, instance_id="site-1", configuration_id="cfg-1", location_id="loc-1", catalog_id="cat-1")
    db.dispose()
    document["locations"][0]["name"] = "Downtown (renamed)"
    (tmp_path / "menu.json").write_text(json.dumps(document))

    env = {"POSBRIDGE_DATABASE_URL": url, "POSBRIDGE_QUEUE": "sqlite", "POSBRIDGE_QUEUE_PATH": str(queue_path)}
    if debounce is not None:
        env["POSBRIDGE_SYNC_DEBOUNCE_SECONDS"] = debounce
    result = CliRunner().invoke(app, ["import", "menu.json", "--json"], env=env)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["syncsRequested"] == 1

    settings = load_settings(DatabaseSettings, database_url=url, queue="sqlite", queue_path=str(queue_path))
    db = Database(url)
    queue = build_queue(settings, db)  # registers the task names a worker knows
    (task,) = queue.huey.pending()
    queue.close()
    db.dispose()
    assert task.name.endswith("sync_configuration") and task.eta is not None
    # Due in the debounce, scheduled one scheduler tick before (the import and this test's reading of
    # the queue take a moment: a few seconds on a loaded machine).
    lead = (task.eta - datetime.utcnow()).total_seconds()
    assert max(0.0, due_in - SCHEDULER_INTERVAL_SECONDS - 3) < lead <= due_in - SCHEDULER_INTERVAL_SECONDS
