"""What asks for a sync besides Wix and people: POS menu changes (debounced) and the periodic reconcile.

A POS change records a PENDING sync for every configuration that sells the merchant's menus, not
before a few seconds from now; each further change pushes that time back, up to a cap after the
first request, so a burst of edits becomes one sync and a steady stream cannot starve it. A
PENDING sync that Wix or a person requested is never delayed by a POS change joining it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy import select

from posbridge.errors import WixError
from posbridge.logs import get_logger
from posbridge.services.syncing import request_sync
from posbridge.store.db import Database
from posbridge.store.models import Account, Configuration, Location, Sync

log = get_logger("triggers")
POS_CHANGE, RECONCILE = "POS_CHANGE", "RECONCILE"
DEBOUNCE_SECONDS = 3.0
MAX_WAIT_SECONDS = 30.0
# Told (configuration pk, when it is due) after each request, to schedule the run.
Notify = Callable[[int, datetime], None]


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
        .where(Configuration.enabled.is_(True), Configuration.catalog_id.is_not(None), Account.status == "ACTIVE")
        .order_by(Configuration.id)
    )
    if merchant_id is not None:
        query = query.where(Location.merchant_id == merchant_id)
    with db.transaction(write=False) as session:
        return [(row[0], row[1], row[2]) for row in session.execute(query)]
