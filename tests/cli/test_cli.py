"""The `posbridge` command, configured by environment: in-process (CliRunner), and served by a real subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from posbridge.pos.importer import import_menu
from posbridge.store.db import Database
from tests.pos.menu_documents import small_document
from tests.support.cli import SECRET, run_posbridge, settings_env
from tests.support.server import free_port
from tests.support.signer import TestSigner


def _env(**settings: str) -> dict[str, str]:
    """The test process's environment without any POSBRIDGE_* setting, plus these."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("POSBRIDGE_")}
    env["COLUMNS"] = "200"  # Rich tables at full width
    env.update(settings_env(**settings))
    return env


def _server_env(url: str, signer: TestSigner) -> dict[str, str]:
    return _env(
        database_url=url,
        wix_app_id=signer.app_id,
        wix_app_secret="app-secret-0123456789",
        wix_public_key=signer.public_pem,
        secret_key=SECRET,
        log_level="WARNING",
    )


def _write(tmp_path: Path, document: dict[str, Any], name: str = "menu.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(document))
    return path


def test_help_lists_the_commands(tmp_path: Path) -> None:
    result = run_posbridge("--help", env=_env(), cwd=tmp_path)
    assert result.returncode == 0
    for command in ("serve", "worker", "db", "import", "link", "pair", "instances", "configurations", "orders"):
        assert command in result.stdout


def test_serve_without_required_settings_stops_with_one_line_naming_it(tmp_path: Path, signer: TestSigner) -> None:
    result = run_posbridge("serve", env=_env(database_url=f"sqlite:///{tmp_path / 'x.db'}"), cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr == "posbridge: POSBRIDGE_WIX_APP_ID is required but not set\n"

    env = _server_env(f"sqlite:///{tmp_path / 'x.db'}", signer)
    env["POSBRIDGE_SECRET_KEY"] = "short"
    result = run_posbridge("serve", env=env, cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1
    assert result.stderr.startswith("posbridge: POSBRIDGE_SECRET_KEY is invalid")

    worker = run_posbridge("worker", env=_env(database_url=f"sqlite:///{tmp_path / 'x.db'}"), cwd=tmp_path)
    assert worker.returncode == 2
    assert worker.stderr == "posbridge: POSBRIDGE_WIX_APP_ID is required but not set\n"


def test_serve_refuses_an_unmigrated_database(tmp_path: Path, sqlite_url: str, signer: TestSigner) -> None:
    result = run_posbridge("serve", env=_server_env(sqlite_url, signer), cwd=tmp_path)
    assert result.returncode == 2
    assert "is not migrated: run `posbridge db upgrade` first" in result.stderr
    assert result.stderr.count("\n") == 1


# Three interpreters start (uvicorn's supervisor and two workers): on a machine shared with other
# jobs that alone has taken over 30 s, hence limits far above the usual 3 s.
@pytest.mark.timeout(180)
@pytest.mark.parametrize("workers", [1, 2])
@pytest.mark.slow
def test_database_commands_need_no_wix_settings_and_serve_runs_after_upgrade(
    tmp_path: Path, sqlite_url: str, signer: TestSigner, workers: int
) -> None:
    env = _env(database_url=sqlite_url)
    upgraded = run_posbridge("db", "upgrade", "--json", env=env, cwd=tmp_path)
    assert upgraded.returncode == 0, upgraded.stderr
    assert json.loads(upgraded.stdout)["from"] is None

    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "posbridge", "serve", "--port", str(port), "--workers", str(workers)],
        env=_server_env(sqlite_url, signer),
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                response = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1)
                break
            except httpx.TransportError:
                assert server.poll() is None, server.stderr.read() if server.stderr else ""
                assert time.monotonic() < deadline, "posbridge serve did not start"
                time.sleep(0.2)
        health = response.json()
        assert {k: health[k] for k in ("status", "database", "queue")} == {
            "status": "ok",
            "database": True,
            "queue": True,
        }
        assert health["details"] == {"ordersNeedingAttention": 0}
    finally:
        server.terminate()
        server.wait(timeout=45)


def test_import_prints_a_summary_and_a_re_import_changes_nothing(
    tmp_path: Path, sqlite_url: str, migrated: Database
) -> None:
    env = _env(database_url=sqlite_url)
    menu = _write(tmp_path, small_document("m-cli"))
    first = run_posbridge("import", str(menu), env=env, cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    assert "merchant m-cli" in first.stdout and "items" in first.stdout
    again = run_posbridge("import", "-", "--json", env=env, cwd=tmp_path, stdin=menu.read_text())
    assert again.returncode == 0
    assert json.loads(again.stdout)["changed"] == 0


def test_an_invalid_document_lists_every_problem_and_imports_nothing(
    tmp_path: Path, sqlite_url: str, migrated: Database
) -> None:
    env = _env(database_url=sqlite_url)
    document = small_document("m-bad")
    document["items"][0]["price"] = "free"
    document["optionGroups"][1]["max"] = 5
    result = run_posbridge("import", str(_write(tmp_path, document)), env=env, cwd=tmp_path)
    assert result.returncode == 1
    assert "2 problems; nothing was imported" in result.stderr
    assert "$.items[0].price: must be a decimal string ≥ 0" in result.stderr
    assert "$.optionGroups[1].max: must be ≤ the number of choices (5 > 2)" in result.stderr
    not_json = tmp_path / "broken.json"
    not_json.write_text("{")
    broken = run_posbridge("import", str(not_json), env=env, cwd=tmp_path)
    assert broken.returncode == 1 and "is not JSON" in broken.stderr
    with migrated.engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM pos_merchants").scalar() == 0


def test_link_pair_and_list(tmp_path: Path, sqlite_url: str, migrated: Database, instance_id: str) -> None:
    document = small_document()
    import_menu(migrated, document)
    merchant = document["merchant"]["id"]
    env = _env(database_url=sqlite_url, secret_key=SECRET)

    issued = run_posbridge("api-key", "--merchant", merchant, env=env, cwd=tmp_path)
    assert issued.returncode == 0, issued.stderr
    key = issued.stdout.strip()
    assert key.startswith("pbk_") and "shown once" in issued.stderr
    linked = run_posbridge(
        "link", "--instance", instance_id, "--account", merchant, "--credentials-stdin", "--json", "--offline",
        env=env, cwd=tmp_path, stdin=key + "\n",
    )  # fmt: skip
    assert linked.returncode == 0, linked.stderr
    assert json.loads(linked.stdout)["hasCredentials"] is True
    assert json.loads(linked.stdout)["missingInformation"] == ["contact name", "email", "phone"]
    assert key not in linked.stdout + linked.stderr

    refused = run_posbridge(
        "pair", "--instance", instance_id, "--configuration", "cfg-1", "--location", "loc-2", "--menus", "menu-2",
        "--offline", env=env, cwd=tmp_path,
    )  # fmt: skip
    assert refused.returncode == 1
    assert refused.stderr.startswith("posbridge: ACCOUNT_CONFIGURATION: Menu 'menu-2' is not an active menu")

    paired = run_posbridge(
        "pair", "--instance", instance_id, "--configuration", "cfg-1", "--location", "loc-1", "--offline",
        env=env, cwd=tmp_path,
    )  # fmt: skip
    assert paired.returncode == 0, paired.stderr
    # No contact for order problems yet: the account needs information, and Wix may not send orders.
    assert "status PENDING (The business information is not complete" in paired.stdout
    half = run_posbridge(
        "link", "--instance", instance_id, "--account", merchant, "--contact-name", "Ana", "--offline",
        env=env, cwd=tmp_path,
    )  # fmt: skip
    assert half.returncode == 2 and "go together" in half.stderr
    contact = (
        "--contact-name",
        "Ana Rossi",
        "--contact-email",
        "ana@example.com",
        "--contact-phone",
        "+1 212 555 0100",
    )
    completed = run_posbridge(
        "link", "--instance", instance_id, "--account", merchant, *contact, "--offline", env=env, cwd=tmp_path
    )
    assert completed.returncode == 0, completed.stderr
    assert "needs information" not in completed.stdout

    listed = run_posbridge("configurations", "--instance", instance_id, "--json", env=env, cwd=tmp_path)
    rows = json.loads(listed.stdout)
    assert [(r["configurationId"], r["locationId"], r["menuIds"], r["status"]) for r in rows] == [
        ("cfg-1", "loc-1", ["menu-1", "menu-2"], "READY")
    ]
    table = run_posbridge("accounts", "--instance", instance_id, env=env, cwd=tmp_path)
    assert merchant in table.stdout and "ACTIVE" in table.stdout


def test_refusals_name_the_reason(tmp_path: Path, sqlite_url: str, migrated: Database) -> None:
    env = _env(database_url=sqlite_url)
    unknown = run_posbridge("link", "--instance", "i-1", "--account", "nobody", "--offline", env=env, cwd=tmp_path)
    assert unknown.returncode == 1
    assert unknown.stderr == "posbridge: ACCOUNT_NOT_FOUND: No POS account 'nobody'\n"
    keyless = run_posbridge(
        "link",
        "--instance",
        "i-1",
        "--account",
        "nobody",
        "--credentials-stdin",
        "--offline",
        env=env,
        cwd=tmp_path,
        stdin="k",
    )
    assert keyless.returncode == 2
    assert keyless.stderr.startswith("posbridge: POSBRIDGE_SECRET_KEY is required but not set")


@pytest.mark.all_backends
def test_listings_run_on_both_backends(tmp_path: Path, db: Database, db_url: str) -> None:
    orders = run_posbridge("orders", "--instance", "nobody", "--json", env=_env(database_url=db_url), cwd=tmp_path)
    assert orders.returncode == 0, orders.stderr
    assert json.loads(orders.stdout) == {"items": [], "total": 0, "limit": 50, "offset": 0}
