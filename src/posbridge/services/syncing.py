"""Catalog sync requests and their status as Wix sees it (wix-pos-spi.md §3, product.md §3.4).

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
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from posbridge.errors import SYNC_FAILED_CODES, WixError
from posbridge.logs import get_logger
from posbridge.services.tenancy import account_for, configuration_for
from posbridge.store.db import Database
from posbridge.store.models import Configuration, Sync
from posbridge.store.types import utcnow

PENDING, IN_PROGRESS, SYNCED, FAILED = "PENDING", "IN_PROGRESS", "SYNCED", "FAILED"
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
        sync = _latest(session, configuration.id, PENDING)
        now = utcnow()
        if sync is None:
            if debounce_seconds is not None:
                not_before = _debounced(now, now, debounce_seconds, max_wait_seconds)
            sync = Sync(
                configuration_id=configuration.id,
                status=PENDING,
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


@dataclass(frozen=True)
class CatalogSyncStatus:
    """A configuration's sync state as Get Catalog Sync Status reports it."""

    status: str  # PENDING | IN_PROGRESS | SYNCED | FAILED
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
            return CatalogSyncStatus(PENDING)
        running = _latest(session, configuration.id, IN_PROGRESS)
        if running is not None:
            started = running.started_at or running.requested_at
            elapsed = int(((now or utcnow()) - started).total_seconds())
            return CatalogSyncStatus(IN_PROGRESS, elapsed_seconds=max(elapsed, 0))
        if _latest(session, configuration.id, PENDING) is not None:
            return CatalogSyncStatus(PENDING)
        last = _latest(session, configuration.id, SYNCED, FAILED)
        if last is None:
            return CatalogSyncStatus(PENDING)
        if last.status == SYNCED:
            return CatalogSyncStatus(SYNCED, last_sync_date=_ended(last))
        success = _latest(session, configuration.id, SYNCED)
        code = last.failure_code if last.failure_code in SYNC_FAILED_CODES else "OTHER"
        return CatalogSyncStatus(
            FAILED,
            last_sync_date=_ended(last),
            last_success_date=_ended(success) if success is not None else None,
            reason=last.failure_reason or "The catalog sync failed",
            code=code,
            params={str(k): str(v) for k, v in (last.failure_params or {}).items()},
        )


def _latest(session: Session, configuration_pk: int, *statuses: str) -> Sync | None:
    """The configuration's most recent sync in one of these states (syncs run in id order)."""
    return session.scalar(
        select(Sync)
        .where(Sync.configuration_id == configuration_pk, Sync.status.in_(statuses))
        .order_by(Sync.id.desc())
        .limit(1)
    )


def _ended(sync: Sync) -> datetime:
    return sync.ended_at or sync.started_at or sync.requested_at
