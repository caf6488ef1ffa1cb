"""Catalog syncs as use cases: request one, debounce POS changes, run one now, read its status.

`sync/` is the pipeline (validate, build, diff, plan, write, record); this module decides when a
sync is wanted and answers for it (wix-pos-spi.md §3, product.md §3.4).

A request durably records a PENDING `Sync` row for the configuration before anything else
happens; the job queue is only a wake-up. Requests coalesce: while a PENDING row exists for a
configuration every further request returns it, so there is at most one PENDING row per
configuration. A request during a running (IN_PROGRESS) sync therefore queues exactly one
follow-up, which picks up menu changes the running sync may have read too early.

The invariant holds under concurrency because the check-then-insert runs while holding the
configuration's write lock: `SELECT … FOR UPDATE` on the configuration row on PostgreSQL; on
SQLite writing transactions begin IMMEDIATE, which already serialises all writers.
The queue is only a wake-up: if waking it fails, the request still stands (the queue's periodic
sweep enqueues every configuration with a due PENDING sync).

Besides Wix and people, POS changes ask for syncs: a change records a PENDING sync for every
configuration that sells the merchant's menus, not before a few seconds from now; each further
change pushes that time back, up to a cap after the first request, so a burst of edits becomes one
sync and a steady stream cannot starve it. A PENDING sync that Wix or a person requested is never
delayed by a POS change joining it. The periodic reconcile asks for a full sync of every paired
configuration.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from posbridge.config import Settings
from posbridge.errors import SYNC_FAILED_CODES, WixError
from posbridge.logs import get_logger
from posbridge.services.pairing import find_configuration
from posbridge.services.tenancy import account_for, configuration_for
from posbridge.store.db import Database
from posbridge.store.models import Account, Configuration, Location, Sync
from posbridge.store.statuses import AccountStatus, SyncStatus
from posbridge.store.types import utcnow
from posbridge.sync.catalog import PLURAL
from posbridge.sync.preview import Preview, dry_run
from posbridge.sync.runner import ProgressCallback, run_sync
from posbridge.sync.summary import summary_of
from posbridge.sync.target import Atomicity
from posbridge.wix.client import WixClient
from posbridge.wix.generation import ID_SPACE

FINAL = (SyncStatus.SYNCED, SyncStatus.FAILED)
POS_CHANGE, RECONCILE = "POS_CHANGE", "RECONCILE"
DEBOUNCE_SECONDS: float = Settings.model_fields["sync_debounce_seconds"].default  # POSBRIDGE_SYNC_DEBOUNCE_SECONDS
MAX_WAIT_SECONDS = 30.0
# Told (configuration pk, when it is due) after each POS-change or reconcile request, to schedule the run.
Notify = Callable[[int, datetime], None]
log = get_logger("syncing")


def request_sync(
    db: Database,
    instance_id: str,
    account_id: str,
    configuration_id: str,
    trigger: str = "WIX",
    *,
    not_before: datetime | None = None,
    debounce_seconds: float | None = None,
    max_wait_seconds: float | None = None,
    notify: Callable[[int], None] | None = None,
) -> Sync:
    """Record (or join) the configuration's PENDING sync, then wake the queue with its configuration key.

    `not_before` delays the sync (None: run at once). Joining a PENDING sync keeps the earlier
    start of the two, so an explicit request (Wix's, a "Sync now") pulls a debounced sync forward
    and no request ever delays one already due.

    `debounce_seconds` (a POS change) starts the sync that long from now, and each further request
    of the same trigger pushes a still-waiting sync back again, but never past `max_wait_seconds`
    after the first request. A sync already due is never delayed. It is written in the same
    transaction as the request, so no worker ever sees the sync undelayed and claims it early.

    Unknown account → ACCOUNT_NOT_FOUND, unknown configuration → LOCATION_NOT_FOUND (404); a
    configuration not paired with a POS location has nothing to sync → ACCOUNT_CONFIGURATION (428).
    Whether the paired location and account can really be synced is the sync's own first check:
    it records a FAILED sync with the reason, which Wix then reads through Get Catalog Sync Status.
    """
    with db.transaction() as session:
        configuration = configuration_for(session, instance_id, account_id, configuration_id).configuration
        if configuration.location_id is None:
            raise WixError.of(
                "ACCOUNT_CONFIGURATION",
                f"Configuration '{configuration_id}' is not paired with a POS location yet",
                configurationId=configuration_id,
            )
        # The row lock serialises concurrent requests for this configuration (a no-op on SQLite,
        # whose IMMEDIATE write transaction already holds the database's write lock).
        session.execute(select(Configuration.id).where(Configuration.id == configuration.id).with_for_update())
        sync = _latest(session, configuration.id, SyncStatus.PENDING)
        now = utcnow()
        if sync is None:
            if debounce_seconds is not None:
                not_before = _debounced(now, now, debounce_seconds, max_wait_seconds)
            sync = Sync(
                configuration_id=configuration.id,
                status=SyncStatus.PENDING,
                trigger=trigger,
                requested_at=now,
                not_before=not_before,
            )
            session.add(sync)
            session.flush()
        elif debounce_seconds is not None:
            if sync.not_before is not None and sync.trigger == trigger:
                sync.not_before = _debounced(sync.requested_at, now, debounce_seconds, max_wait_seconds)
        elif sync.not_before is not None and (not_before is None or not_before < sync.not_before):
            sync.not_before = not_before
    # Woken on every request, not only for a new row, so a lost wake-up is repaired by the next
    # request; the queue's task runs "what the configuration owes", so repeats are harmless.
    if notify is not None:
        try:
            notify(sync.configuration_id)
        except Exception:
            # The PENDING row is durable and the queue's sweep enqueues it; the request stands.
            log.exception("sync_wake_up_failed", configuration_pk=sync.configuration_id, sync_id=sync.id)
    return sync


def _debounced(first: datetime, now: datetime, delay_seconds: float, max_wait_seconds: float | None) -> datetime:
    """`delay_seconds` from now, capped at `max_wait_seconds` after the first request."""
    due = now + timedelta(seconds=delay_seconds)
    if max_wait_seconds is None:
        return due
    return min(due, first + timedelta(seconds=max_wait_seconds))


def request_pos_change_sync(
    db: Database,
    merchant_id: int,
    *,
    delay_seconds: float = DEBOUNCE_SECONDS,
    max_wait_seconds: float = MAX_WAIT_SECONDS,
    notify: Notify | None = None,
) -> list[Sync]:
    """A debounced sync of every configuration selling this merchant's menus (after any menu, price, stock change)."""
    out = []
    for instance_id, account_id, configuration_id in _syncable(db, merchant_id):
        try:
            sync = request_sync(
                db,
                instance_id,
                account_id,
                configuration_id,
                POS_CHANGE,
                debounce_seconds=delay_seconds,
                max_wait_seconds=max_wait_seconds,
            )
        except WixError:
            continue  # unpaired or disconnected meanwhile: nothing to sync
        out.append(sync)
    _notify_all(out, notify)
    return out


def request_reconcile(db: Database, *, notify: Notify | None = None) -> list[Sync]:
    """A full (never short-cut) sync of every paired configuration: repairs drift made on the Wix side."""
    out = []
    for instance_id, account_id, configuration_id in _syncable(db, None):
        try:
            out.append(request_sync(db, instance_id, account_id, configuration_id, RECONCILE))
        except WixError:
            continue
    _notify_all(out, notify)
    return out


def _notify_all(syncs: list[Sync], notify: Notify | None) -> None:
    """Schedule each recorded sync; a failed wake-up leaves it to the queue's sweep (the request stands)."""
    if notify is None:
        return
    for sync in syncs:
        try:
            notify(sync.configuration_id, sync.not_before or sync.requested_at)
        except Exception:
            log.exception("sync_wake_up_failed", configuration_pk=sync.configuration_id, sync_id=sync.id)


def _syncable(db: Database, merchant_id: int | None) -> list[tuple[str, str, str]]:
    query = (
        select(Configuration.instance_id, Account.account_id, Configuration.wix_id)
        .join(Location, Configuration.location_id == Location.id)
        .join(Account, Configuration.account_pk == Account.id)
        .where(
            Configuration.enabled.is_(True),
            ID_SPACE.is_not(None),  # a new-generation pairing's is its business location, always known
            Account.status == AccountStatus.ACTIVE,
        )
        .order_by(Configuration.id)
    )
    if merchant_id is not None:
        query = query.where(Location.merchant_id == merchant_id)
    with db.transaction(write=False) as session:
        return [(row[0], row[1], row[2]) for row in session.execute(query)]


def request_configuration_sync(
    db: Database, instance_id: str, configuration_id: str, trigger: str, *, notify: Callable[[int], None] | None = None
) -> Sync:
    """`request_sync` for people (admin API, CLI), who name the configuration only: its paired account is implied."""
    _pk, account_id = _paired(db, instance_id, configuration_id)
    return request_sync(db, instance_id, account_id, configuration_id, trigger, notify=notify)


def sync_now(
    db: Database,
    settings: Settings,
    instance_id: str,
    configuration_id: str,
    *,
    client: WixClient,
    trigger: str = "CLI",
    progress: ProgressCallback | None = None,
    timeout_seconds: float = 600.0,
) -> Sync:
    """Request a sync and run it here; if a worker already runs one, wait for the requested sync to end."""
    configuration_pk, account_id = _paired(db, instance_id, configuration_id)
    requested = request_sync(db, instance_id, account_id, configuration_id, trigger)
    deadline = time.monotonic() + timeout_seconds
    while True:
        run_sync(db, settings, configuration_pk, client=client, progress=progress)
        with db.transaction(write=False) as session:
            sync = session.get(Sync, requested.id)
            assert sync is not None
        if sync.status in FINAL or time.monotonic() > deadline:
            return sync
        time.sleep(0.5)  # another worker holds the configuration's sync, or the request is debounced


def preview_sync(
    db: Database, settings: Settings, instance_id: str, configuration_id: str, *, client: WixClient
) -> Preview:
    """The exact diff the configuration's next sync would apply (reads Wix's live catalog, writes nothing)."""
    configuration_pk, _account = _paired(db, instance_id, configuration_id)
    return dry_run(db, settings, configuration_pk, client=client)


def _paired(db: Database, instance_id: str, configuration_id: str) -> tuple[int, str]:
    """The configuration's primary key and its account's accountId; LOCATION_NOT_FOUND / ACCOUNT_NOT_FOUND otherwise."""
    with db.transaction(write=False) as session:
        configuration = find_configuration(session, instance_id, configuration_id)
        account = session.get(Account, configuration.account_pk) if configuration.account_pk else None
        if account is None:
            raise WixError.of("ACCOUNT_NOT_FOUND", "No POS account is linked to this configuration")
        return configuration.id, account.account_id


def duration(milliseconds: float) -> str:
    """A duration for people: 0.45 s, 12.3 s, 2 min 05 s (never 0:00:00.451000)."""
    seconds = milliseconds / 1000
    if seconds < 10:
        return f"{seconds:.2f} s"
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes} min {rest:02d} s"


def describe(sync: Sync) -> str:
    """A final summary for people: outcome, what changed per kind, archived Wix menus, calls and time."""
    summary = summary_of(sync)
    if sync.status == SyncStatus.FAILED:
        return f"Sync #{sync.id} FAILED ({sync.failure_code}): {sync.failure_reason}"
    if sync.status != SyncStatus.SYNCED:
        return f"Sync #{sync.id} is {sync.status}"
    lines = [f"Sync #{sync.id} SYNCED in {duration(summary.get('durationMs', 0))}"]
    counts = summary.get("counts") or {}
    # The target's words (a summary recorded before targets were named is a Catalogs v3 one).
    wording = Atomicity(summary.get("atomicity") or Atomicity.DRAFT).wording
    if summary.get("unchanged") or not counts:
        lines.append("  no changes: the live catalog already matched the POS")
    for kind, ops in counts.items():
        lines.append(f"  {PLURAL[kind]}: " + ", ".join(f"{n} {wording.past[op]}" for op, n in sorted(ops.items())))
    if summary.get("archivedMenus"):
        lines.append(f"  {wording.foreign_menus}: " + ", ".join(summary["archivedMenus"]))
    if summary.get("notWritten"):
        # Wix has no field for it on this site (e.g. tax on the Menus API): said, never silently dropped.
        held = ", ".join(f"{key} ({n} entities)" for key, n in summary["notWritten"].items())
        lines.append(f"  not written, Wix holds no field for it here: {held}")
    calls = summary.get("calls") or {}
    lines.append(f"  {summary.get('callsTotal', 0)} Wix calls: " + ", ".join(f"{k} {v}" for k, v in calls.items()))
    return "\n".join(lines)


@dataclass(frozen=True)
class CatalogSyncStatus:
    """A configuration's sync state as Get Catalog Sync Status reports it."""

    status: SyncStatus
    elapsed_seconds: int | None = None
    last_sync_date: datetime | None = None
    last_success_date: datetime | None = None
    reason: str | None = None
    code: str | None = None
    params: dict[str, str] = field(default_factory=dict)


def catalog_sync_status(
    db: Database, instance_id: str, account_id: str, configuration_id: str, *, now: datetime | None = None
) -> CatalogSyncStatus:
    """The state of the configuration's latest sync request.

    Precedence: a running sync (IN_PROGRESS, with elapsed seconds) > a requested one not yet
    started (PENDING) > the outcome of the last ended one (SYNCED/FAILED). A follow-up PENDING
    after a SYNCED one reports PENDING, because Wix polls after Sync Catalog until a final state
    and an older SYNCED would end its wait before the requested sync ran. A configuration never
    synced, or not known yet, is PENDING (wix-pos-spi.md §3). Unknown account → ACCOUNT_NOT_FOUND.
    """
    with db.transaction(write=False) as session:
        account = account_for(session, instance_id, account_id)
        configuration = session.scalar(
            select(Configuration).where(
                Configuration.instance_id == instance_id, Configuration.wix_id == configuration_id
            )
        )
        if configuration is None or configuration.account_pk not in (None, account.id):
            return CatalogSyncStatus(SyncStatus.PENDING)
        running = _latest(session, configuration.id, SyncStatus.IN_PROGRESS)
        if running is not None:
            started = running.started_at or running.requested_at
            elapsed = int(((now or utcnow()) - started).total_seconds())
            return CatalogSyncStatus(SyncStatus.IN_PROGRESS, elapsed_seconds=max(elapsed, 0))
        if _latest(session, configuration.id, SyncStatus.PENDING) is not None:
            return CatalogSyncStatus(SyncStatus.PENDING)
        last = _latest(session, configuration.id, SyncStatus.SYNCED, SyncStatus.FAILED)
        if last is None:
            return CatalogSyncStatus(SyncStatus.PENDING)
        if last.status == SyncStatus.SYNCED:
            return CatalogSyncStatus(SyncStatus.SYNCED, last_sync_date=_ended(last))
        success = _latest(session, configuration.id, SyncStatus.SYNCED)
        code = last.failure_code if last.failure_code in SYNC_FAILED_CODES else "OTHER"
        return CatalogSyncStatus(
            SyncStatus.FAILED,
            last_sync_date=_ended(last),
            last_success_date=_ended(success) if success is not None else None,
            reason=last.failure_reason or "The catalog sync failed",
            code=code,
            params={str(k): str(v) for k, v in (last.failure_params or {}).items()},
        )


def _latest(session: Session, configuration_pk: int, *statuses: SyncStatus) -> Sync | None:
    """The configuration's most recent sync in one of these states (syncs run in id order)."""
    return session.scalar(
        select(Sync)
        .where(Sync.configuration_id == configuration_pk, Sync.status.in_(statuses))
        .order_by(Sync.id.desc())
        .limit(1)
    )


def _ended(sync: Sync) -> datetime:
    return sync.ended_at or sync.started_at or sync.requested_at
