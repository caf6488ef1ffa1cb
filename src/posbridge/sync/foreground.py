"""A sync run in the foreground (`posbridge sync`, the admin API): request it, run it to its end, summarize it."""

from __future__ import annotations

import time
from datetime import timedelta

from posbridge.config import Settings
from posbridge.errors import WixError
from posbridge.services.pairing import find_configuration as find_wix_configuration
from posbridge.services.syncing import request_sync
from posbridge.store.db import Database
from posbridge.store.models import Account, Sync
from posbridge.sync.catalog import PLURAL
from posbridge.sync.diff import PAST
from posbridge.sync.runner import ProgressCallback, run_sync
from posbridge.wix.client import WixClient

FINAL = ("SYNCED", "FAILED")


def find_configuration(db: Database, instance_id: str, configuration_wix_id: str) -> tuple[int, str]:
    """The configuration's primary key and its account's accountId; LOCATION_NOT_FOUND / ACCOUNT_NOT_FOUND otherwise."""
    with db.transaction(write=False) as session:
        configuration = find_wix_configuration(session, instance_id, configuration_wix_id)
        account = session.get(Account, configuration.account_pk) if configuration.account_pk else None
        if account is None:
            raise WixError.of("ACCOUNT_NOT_FOUND", "No POS account is linked to this configuration")
        return configuration.id, account.account_id


def sync_now(
    db: Database,
    settings: Settings,
    instance_id: str,
    configuration_wix_id: str,
    *,
    client: WixClient,
    trigger: str = "CLI",
    progress: ProgressCallback | None = None,
    timeout_seconds: float = 600.0,
) -> Sync:
    """Request a sync and run it here; if a worker already runs one, wait for the requested sync to end."""
    configuration_pk, account_id = find_configuration(db, instance_id, configuration_wix_id)
    requested = request_sync(db, instance_id, account_id, configuration_wix_id, trigger)
    deadline = time.monotonic() + timeout_seconds
    while True:
        run_sync(db, settings, configuration_pk, client=client, progress=progress)
        with db.transaction(write=False) as session:
            sync = session.get(Sync, requested.id)
            assert sync is not None
        if sync.status in FINAL or time.monotonic() > deadline:
            return sync
        time.sleep(0.5)  # another worker holds the configuration's sync, or the request is debounced


def describe(sync: Sync) -> str:
    """A final summary for people: outcome, what changed per kind, archived Wix menus, calls and time."""
    summary = sync.summary or {}
    if sync.status == "FAILED":
        return f"Sync #{sync.id} FAILED ({sync.failure_code}): {sync.failure_reason}"
    if sync.status != "SYNCED":
        return f"Sync #{sync.id} is {sync.status}"
    lines = [f"Sync #{sync.id} SYNCED in {timedelta(milliseconds=summary.get('durationMs', 0))}"]
    counts = summary.get("counts") or {}
    if summary.get("unchanged") or not counts:
        lines.append("  no changes: the live catalog already matched the POS")
    for kind, ops in counts.items():
        lines.append(f"  {PLURAL[kind]}: " + ", ".join(f"{n} {PAST[op]}" for op, n in sorted(ops.items())))
    if summary.get("archivedMenus"):
        lines.append("  archived Wix menus the POS does not own: " + ", ".join(summary["archivedMenus"]))
    calls = summary.get("calls") or {}
    lines.append(f"  {summary.get('callsTotal', 0)} Wix calls: " + ", ".join(f"{k} {v}" for k, v in calls.items()))
    return "\n".join(lines)
