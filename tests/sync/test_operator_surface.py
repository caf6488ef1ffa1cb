"""Syncs from the operator's side: the `posbridge sync` command, the admin API's sync routes, imports."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from posbridge.app import create_app
from posbridge.config import Settings
from posbridge.services.accounts import issue_api_key
from posbridge.services.menus import import_menu_document
from posbridge.store.models import Account, Configuration, Sync
from posbridge.store.types import utcnow
from tests.conftest import ADMIN_TOKEN
from tests.support.cli import CliResult, run_with_settings
from tests.support.server import serve_in_thread
from tests.sync.world import SyncWorld
from wixsim.client import WixSimClient

ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}


def _cli(settings: Settings, *args: str, cwd: Path, log_level: str | None = "WARNING") -> CliResult:
    """`posbridge ARGS` configured by environment from these settings (no .env in `cwd`)."""
    return run_with_settings(settings, *args, cwd=cwd, log_level=log_level)


def _target(world: SyncWorld) -> list[str]:
    return ["--instance", world.instance_id, "--configuration", world.configuration_wix_id]


def test_cli_dry_run_lists_creates_and_writes_nothing_then_sync_publishes(
    world: SyncWorld, wixsim: WixSimClient, tmp_path: Path
) -> None:
    wixsim.clear_request_log()
    preview = _cli(world.settings, "sync", *_target(world), "--dry-run", "--json", cwd=tmp_path)
    assert preview.returncode == 0, preview.stderr
    diff = json.loads(preview.stdout)
    assert diff["valid"] is True
    assert "createDraftCatalog" not in wixsim.request_counts(world.instance_id)
    assert world.sim.live_catalog(world.catalog_id)["items"] == []

    done = _cli(world.settings, "sync", *_target(world), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "SYNCED" in done.stdout and "60 created" in done.stdout
    live_names = {item["name"] for item in world.live()["items"].values()}
    assert {item["name"] for item in world.document["items"]} <= live_names

    again = _cli(world.settings, "sync", *_target(world), "--json", cwd=tmp_path)
    assert again.returncode == 0 and json.loads(again.stdout)["status"] == "SYNCED"


def test_cli_sync_logs_each_wix_call_only_when_asked(world: SyncWorld, tmp_path: Path) -> None:
    quiet = _cli(world.settings, "sync", *_target(world), cwd=tmp_path, log_level=None)
    assert quiet.returncode == 0, quiet.stderr
    assert "SYNCED" in quiet.stdout
    assert "wix_call" not in quiet.stderr
    world.request("CLI")  # something to run again, so the verbose run calls Wix too
    verbose = _cli(world.settings, "sync", *_target(world), cwd=tmp_path, log_level="INFO")
    assert verbose.returncode == 0, verbose.stderr
    calls = [json.loads(line) for line in verbose.stderr.splitlines() if '"wix_call"' in line]
    assert calls and all(call["instance_id"] == world.instance_id for call in calls)


def test_cli_sync_of_a_broken_menu_fails_with_its_code(world_factory: Callable[..., SyncWorld], tmp_path: Path) -> None:
    world = world_factory(items=20)
    broken = copy.deepcopy(world.document)
    broken["items"][0]["price"] = "0"  # valid for import; then break it below the importer's reach
    import_menu_document(world.db, broken)
    with world.db.transaction() as session:
        from posbridge.store.models import Item

        item = session.scalar(select(Item).where(Item.merchant_id == world.merchant, Item.pos_id == "item-1"))
        assert item is not None
        item.price = item.price - 1  # a negative price: the sync must refuse to publish it
    result = _cli(world.settings, "sync", *_target(world), cwd=tmp_path)
    assert result.returncode == 1
    assert "FAILED (ACCOUNT_CONFIGURATION)" in result.stderr
    assert world.sim.live_catalog(world.catalog_id)["items"] == []


def test_cli_sync_of_an_unknown_configuration_is_refused(world: SyncWorld, tmp_path: Path) -> None:
    result = _cli(world.settings, "sync", "--instance", world.instance_id, "--configuration", "nope", cwd=tmp_path)
    assert result.returncode == 1 and "LOCATION_NOT_FOUND" in result.stderr


@pytest.fixture()
def admin(world: SyncWorld) -> Iterator[httpx.Client]:
    """posbridge (immediate queue: a requested sync runs inside the request) aimed at the world's wixsim."""
    with (
        serve_in_thread(create_app(world.settings, world.db)) as url,
        httpx.Client(base_url=url, headers=ADMIN, timeout=60) as client,
    ):
        yield client


def _syncs_path(world: SyncWorld) -> str:
    return f"/api/v1/instances/{world.instance_id}/configurations/{world.configuration_wix_id}/syncs"


def test_admin_api_requests_previews_and_lists_syncs(world: SyncWorld, admin: httpx.Client) -> None:
    preview = admin.get(_syncs_path(world) + "/preview")
    assert preview.status_code == 200 and preview.json()["valid"] is True
    assert world.sim.live_catalog(world.catalog_id)["items"] == []

    requested = admin.post(_syncs_path(world))
    assert requested.status_code == 202
    sync_id = requested.json()["id"]

    history = admin.get(_syncs_path(world)).json()
    assert history[0]["id"] == sync_id and history[0]["status"] == "SYNCED"
    assert history[0]["trigger"] == "ADMIN"
    detail = admin.get(f"{_syncs_path(world)}/{sync_id}").json()
    assert detail["summary"]["counts"] and any(line["event"] for line in detail["log"])
    assert len(world.live()["items"]) >= 60


def test_admin_api_sync_routes_are_tenant_and_token_guarded(
    world_factory: Callable[..., SyncWorld], admin: httpx.Client, world: SyncWorld
) -> None:
    other = world_factory(items=10)
    foreign = f"/api/v1/instances/{world.instance_id}/configurations/{other.configuration_wix_id}/syncs"
    assert admin.post(foreign).status_code == 404
    assert admin.get(foreign).status_code == 404
    assert admin.get(f"{_syncs_path(other)}/999999").status_code == 404
    unauthorized = httpx.post(str(admin.base_url) + _syncs_path(world))
    assert unauthorized.status_code == 401
    with world.db.transaction(write=False) as session:
        assert session.scalars(select(Sync).where(Sync.configuration_id == other.configuration)).all() == []


def _pending(world: SyncWorld) -> list[Sync]:
    with world.db.transaction(write=False) as session:
        rows = session.scalars(
            select(Sync).where(Sync.configuration_id == world.configuration, Sync.status == "PENDING")
        )
        return list(rows)


def test_a_changed_import_requests_a_debounced_pos_change_sync(world: SyncWorld) -> None:
    changed: dict[str, Any] = copy.deepcopy(world.document)
    changed["items"][0]["price"] = "99.50"
    notified: list[int] = []
    done = import_menu_document(world.db, changed, notify=lambda pk, _due: notified.append(pk))
    assert done.report.changed > 0 and notified == [world.configuration]
    (pending,) = _pending(world)
    assert pending.trigger == "POS_CHANGE" and pending.not_before is not None and pending.not_before > utcnow()


def test_each_way_a_pos_change_comes_in_is_debounced_as_set(world: SyncWorld) -> None:
    """POSBRIDGE_SYNC_DEBOUNCE_SECONDS, not the default, for the operator's import and the POS's menu and price."""
    settings = world.settings.model_copy(update={"sync_debounce_seconds": 7.0})
    merchant = world.document["merchant"]["id"]
    pos = {"Authorization": f"Bearer {issue_api_key(world.db, merchant_id=merchant)}"}
    item = world.document["items"][0]["id"]
    changed = copy.deepcopy(world.document)
    with serve_in_thread(create_app(settings, world.db)) as url, httpx.Client(base_url=url, timeout=60) as client:
        for n, (method, path, body, headers) in enumerate(
            [
                ("POST", "/api/v1/imports", changed, ADMIN),
                ("POST", "/api/v1/pos/menu", changed, pos),
                ("PATCH", f"/api/v1/pos/items/{item}", {"price": "91.00"}, pos),
            ]
        ):
            changed["items"][0]["price"] = f"9{n}.50"  # the next document changes something again
            asked = utcnow()
            answer = client.request(method, path, json=body, headers=headers)
            answered = utcnow()
            assert answer.status_code == 200, answer.text
            # One POS_CHANGE sync, each change putting it off again by the setting's 7 s.
            (pending,) = _pending(world)
            assert pending.not_before is not None
            assert asked + timedelta(seconds=7) <= pending.not_before <= answered + timedelta(seconds=7), path


def test_an_unchanged_import_requests_no_sync(world: SyncWorld) -> None:
    done = import_menu_document(world.db, copy.deepcopy(world.document))
    assert done.report.changed == 0 and done.syncs == []
    assert _pending(world) == []


def test_cli_import_of_a_change_records_the_sync_for_a_worker(world: SyncWorld, tmp_path: Path) -> None:
    changed = copy.deepcopy(world.document)
    changed["items"][1]["name"] = "Renamed dish"
    path = tmp_path / "menu.json"
    path.write_text(json.dumps(changed))
    result = _cli(world.settings, "import", str(path), "--json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["syncsRequested"] == 1
    assert [s.trigger for s in _pending(world)] == ["POS_CHANGE"]


# --- disconnecting an account tells Wix --------------------------------------------------------


def _local_account(world: SyncWorld) -> tuple[str, int | None]:
    """The account's status and its configuration's paired location, as posbridge holds them."""
    with world.db.transaction(write=False) as session:
        status = session.scalar(
            select(Account.status).where(
                Account.instance_id == world.instance_id, Account.account_id == world.account_id
            )
        )
        location = session.scalar(select(Configuration.location_id).where(Configuration.id == world.configuration))
    assert status is not None
    return status, location


def test_cli_disconnect_unpairs_here_and_tells_wix(world: SyncWorld, tmp_path: Path) -> None:
    done = _cli(
        world.settings, "disconnect", "--instance", world.instance_id, "--account", world.account_id, cwd=tmp_path
    )
    assert done.returncode == 0, done.stderr
    assert "DISCONNECTED" in done.stdout and "Wix was told" in done.stdout
    assert _local_account(world) == ("DISCONNECTED", None)
    site = world.sim.get_site(world.instance_id)
    assert site["disconnectedAccounts"] == [world.account_id]
    assert [c["enabled"] for c in site["configurations"]] == [False]


def test_cli_disconnect_says_when_wix_was_not_told_and_exits_1(world: SyncWorld, tmp_path: Path) -> None:
    world.sim.inject_fault("disconnectAccount", "5xx", count=100)
    args = ("disconnect", "--instance", world.instance_id, "--account", world.account_id, "--json")
    done = _cli(world.settings, *args, cwd=tmp_path)
    assert done.returncode == 1
    assert "Wix was not told" in done.stderr and "run the command again" in done.stderr
    body = json.loads(done.stdout)
    assert body["status"] == "DISCONNECTED" and body["wixNotified"] is False and "503" in body["wixError"]
    assert _local_account(world) == ("DISCONNECTED", None)
    assert world.sim.get_site(world.instance_id)["disconnectedAccounts"] == []


def test_admin_api_disconnect_reports_a_wix_failure_and_a_retry_completes_it(
    world: SyncWorld, admin: httpx.Client
) -> None:
    path = f"/api/v1/instances/{world.instance_id}/accounts/{world.account_id}"
    world.sim.inject_fault("disconnectAccount", "5xx", count=100)
    failed = admin.delete(path)
    assert failed.status_code == 200, failed.text
    assert failed.json()["status"] == "DISCONNECTED"
    assert failed.json()["wixNotified"] is False and "503" in failed.json()["wixError"]
    assert world.sim.get_site(world.instance_id)["disconnectedAccounts"] == []
    world.sim.clear_faults()
    again = admin.delete(path)
    assert again.status_code == 200
    assert again.json()["wixNotified"] is True and again.json()["wixError"] is None
    assert world.sim.get_site(world.instance_id)["disconnectedAccounts"] == [world.account_id]
    assert _local_account(world) == ("DISCONNECTED", None)
