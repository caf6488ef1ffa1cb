"""Operator input at the command line: checked against Wix, refused in one clear line, nothing phantom."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import uuid
from decimal import Decimal
from pathlib import Path

import pytest

from posbridge.pos.importer import import_menu
from posbridge.services.syncing import duration
from posbridge.store.db import Database
from posbridge.store.models import Configuration, OrderRow
from tests.cli.test_cli import _env
from tests.pos.menu_documents import small_document
from tests.support.cli import SECRET
from tests.support.cli import run_posbridge as posbridge
from tests.support.fixtures_pos import CONTACT_OPTIONS
from tests.support.server import free_port
from tests.support.signer import TestSigner
from wixsim.client import WixSimClient
from wixsim.testing import wixsim, wixsim_server  # noqa: F401  (fixtures)


def _spawned(*args: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    """`python -m posbridge ARGS` as a real process: for what depends on the terminal (its width, a TTY)."""
    return subprocess.run(
        [sys.executable, "-m", "posbridge", *args], env=env, cwd=cwd, capture_output=True, text=True, timeout=120
    )


def _wix_env(sqlite_url: str, sim: WixSimClient) -> dict[str, str]:
    return _env(
        database_url=sqlite_url,
        wix_api_base=sim.base_url,
        wix_app_id=sim.app_id,
        wix_app_secret=sim.app_secret,
        wix_public_key=sim.public_key_pem,
        secret_key=SECRET,
        wix_retry_max_seconds="0.2",
    )


def _instances(env: dict[str, str], cwd: Path) -> list[str]:
    listed = posbridge("instances", "--json", env=env, cwd=cwd)
    assert listed.returncode == 0, listed.stderr
    return [row["id"] for row in json.loads(listed.stdout)["items"]]


def _paired_offline(db: Database, env: dict[str, str], cwd: Path, configuration: str, instance: str = "") -> str:
    """Import a menu, then link its merchant and pair loc-1 without asking Wix; the instance id."""
    document = small_document()
    import_menu(db, document)
    instance = instance or str(uuid.uuid4())
    for args in (
        ("link", "--instance", instance, "--account", document["merchant"]["id"], *CONTACT_OPTIONS, "--offline"),
        ("pair", "--instance", instance, "--configuration", configuration, "--location", "loc-1", "--offline"),
    ):
        done = posbridge(*args, env=env, cwd=cwd)
        assert done.returncode == 0, done.stderr
    return instance


def test_link_and_pair_ask_wix_and_a_typo_records_nothing(
    tmp_path: Path,
    sqlite_url: str,
    migrated: Database,
    wixsim: WixSimClient,  # noqa: F811
) -> None:
    document = small_document()
    import_menu(migrated, document)
    merchant = document["merchant"]["id"]
    env = _wix_env(sqlite_url, wixsim)
    typo = posbridge("link", "--instance", "not-a-real-instance", "--account", merchant, env=env, cwd=tmp_path)
    assert typo.returncode == 1
    assert typo.stderr.startswith("posbridge: INSTANCE_NOT_FOUND: The app is not installed on Wix instance")
    assert typo.stderr.count("\n") == 1
    assert _instances(env, tmp_path) == []

    site = wixsim.create_site(configurations=1)
    instance, configuration = site["instanceId"], site["configurations"][0]["id"]
    linked = posbridge("link", "--instance", instance, "--account", merchant, *CONTACT_OPTIONS, env=env, cwd=tmp_path)
    assert linked.returncode == 0, linked.stderr
    nope = posbridge(
        "pair", "--instance", instance, "--configuration", "nope-cfg", "--location", "loc-1", env=env, cwd=tmp_path
    )
    assert nope.returncode == 1
    assert nope.stderr.startswith("posbridge: LOCATION_NOT_FOUND: Wix has no configuration 'nope-cfg'")
    assert "READY" not in nope.stdout
    paired = posbridge(
        "pair", "--instance", instance, "--configuration", configuration, "--location", "loc-1", env=env, cwd=tmp_path
    )
    assert paired.returncode == 0, paired.stderr
    assert "status READY" in paired.stdout


def test_offline_skips_wix_and_a_stray_is_removed(
    tmp_path: Path,
    sqlite_url: str,
    migrated: Database,
) -> None:
    env = _env(database_url=sqlite_url)
    _paired_offline(migrated, env, tmp_path, "cfg-typo", instance="typo")
    removed = posbridge(
        "configurations", "remove", "--instance", "typo", "--configuration", "cfg-typo", env=env, cwd=tmp_path
    )
    assert (removed.returncode, removed.stdout) == (0, "configuration cfg-typo removed\n")
    removed = posbridge("instances", "remove", "--instance", "typo", env=env, cwd=tmp_path)
    assert (removed.returncode, removed.stdout) == (0, "instance typo removed\n"), removed.stderr
    assert _instances(env, tmp_path) == []
    with migrated.engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM accounts").scalar() == 0
        assert conn.exec_driver_sql("SELECT count(*) FROM configurations").scalar() == 0
    unknown = posbridge("instances", "remove", "--instance", "typo", env=env, cwd=tmp_path)
    assert (unknown.returncode, unknown.stderr) == (1, "posbridge: INSTANCE_NOT_FOUND: Instance 'typo' is not known\n")


def test_an_instance_with_orders_is_not_deleted(
    tmp_path: Path,
    sqlite_url: str,
    migrated: Database,
) -> None:
    env = _env(database_url=sqlite_url)
    instance = _paired_offline(migrated, env, tmp_path, "cfg-1")
    with migrated.transaction() as session:
        configuration = session.query(Configuration).filter_by(instance_id=instance).one()
        session.add(
            OrderRow(
                pos_order_id="pos-1",
                instance_id=instance,
                configuration_wix_id="cfg-1",
                configuration_id=configuration.id,
                wix_order_id="wix-1",
                location_id=configuration.location_id,
                status="NEW",
                currency="USD",
                subtotal=Decimal("10.00"),
                total=Decimal("10.00"),
                fulfillment_type="PICKUP",
                wix_order={},
            )
        )
    refused = posbridge("instances", "remove", "--instance", instance, env=env, cwd=tmp_path)
    assert refused.returncode == 1
    assert "is in use (1 order(s)): not removed; --force marks it REMOVED" in refused.stderr
    refused = posbridge(
        "configurations", "remove", "--instance", instance, "--configuration", "cfg-1", env=env, cwd=tmp_path
    )
    assert refused.returncode == 1 and "--force unpairs it" in refused.stderr
    forced = posbridge("instances", "remove", "--instance", instance, "--force", "--json", env=env, cwd=tmp_path)
    assert json.loads(forced.stdout) == {"outcome": "MARKED_REMOVED", "orders": 1, "catalogEntities": 0}
    listed = json.loads(posbridge("instances", "--json", env=env, cwd=tmp_path).stdout)["items"]
    assert [(row["id"], row["status"]) for row in listed] == [(instance, "REMOVED")]
    orders = json.loads(posbridge("orders", "--instance", instance, "--json", env=env, cwd=tmp_path).stdout)
    assert orders["total"] == 1


def test_messages_name_the_real_problem(
    tmp_path: Path,
    sqlite_url: str,
    migrated: Database,
    wixsim: WixSimClient,  # noqa: F811
) -> None:
    env = _wix_env(sqlite_url, wixsim)
    unknown = posbridge("sync", "--instance", "nope", "--configuration", "cfg-1", env=env, cwd=tmp_path)
    assert (unknown.returncode, unknown.stderr) == (1, "posbridge: INSTANCE_NOT_FOUND: Instance 'nope' is not known\n")
    status = posbridge("orders", "--status", "DONE", env=env, cwd=tmp_path)
    assert status.returncode == 1
    assert status.stderr == (
        "posbridge: --status: unknown value 'DONE' (one of NEW, ACCEPTED, READY, FULFILLED, CANCELED)\n"
    )
    assert status.stdout == ""


@pytest.mark.slow
def test_a_failing_sync_prints_its_outcome_on_a_line_of_its_own(
    tmp_path: Path,
    signer: TestSigner,
    sqlite_url: str,
    migrated: Database,
) -> None:
    env = _env(database_url=sqlite_url)
    instance = _paired_offline(migrated, env, tmp_path, "cfg-1")
    # Wix unreachable, and a terminal as a person has one: the progress bar is drawn live.
    wix_env = _env(
        database_url=sqlite_url,
        wix_api_base=f"http://127.0.0.1:{free_port()}",
        wix_app_id="app",
        wix_app_secret="app-secret-0123456789",
        wix_public_key=signer.public_pem,
        secret_key=SECRET,
        wix_retry_max_seconds="0.2",
    )
    wix_env.update(TTY_INTERACTIVE="1", TTY_COMPATIBLE="1", COLUMNS="100")
    failed = _spawned("sync", "--instance", instance, "--configuration", "cfg-1", env=wix_env, cwd=tmp_path)
    assert failed.returncode == 1
    # What is left on screen once the cursor moves are done: the last line is the outcome alone.
    screen = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", failed.stderr)
    last = screen.replace("\r", "\n").rstrip("\n").split("\n")[-1]
    assert re.match(r"^Sync #\d+ FAILED \(SYSTEM_ERROR\): Wix answered", last), failed.stderr
    assert screen.count("Connection refused") == 1, failed.stderr  # only in the outcome, not in the bar


def test_durations_read_as_seconds() -> None:
    assert (duration(451), duration(12_345), duration(125_000)) == ("0.45 s", "12.3 s", "2 min 05 s")


@pytest.mark.slow
def test_tables_print_whole_ids_on_a_narrow_terminal(
    tmp_path: Path,
    sqlite_url: str,
    migrated: Database,
) -> None:
    document = small_document()
    import_menu(migrated, document)
    env = _env(database_url=sqlite_url)
    instance = str(uuid.uuid4())
    assert (
        posbridge(
            "link", "--instance", instance, "--account", document["merchant"]["id"], "--offline", env=env, cwd=tmp_path
        ).returncode
        == 0
    )
    env["COLUMNS"] = "60"
    for command in ("instances", "accounts"):
        table = _spawned(command, env=env, cwd=tmp_path)
        assert table.returncode == 0, table.stderr
        assert instance in table.stdout, table.stdout
