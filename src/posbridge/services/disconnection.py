"""Disconnecting a POS account from a Wix site: posbridge lets go first, then tells Wix (product.md §3 step 3).

The local part comes first and is idempotent: from then on the SPI answers as for a disconnected
account whatever Wix does. The same commit records that Wix is owed the disconnect
(`accounts.wix_disconnect_pending`); telling Wix (its POS connectivity API) can fail, and then the
failure is reported with its reason and retried: by the caller (the page's "Tell Wix again", the
CLI or admin API run again) and by the queue's sweep with backoff, until Wix takes it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select

from posbridge.logs import get_logger
from posbridge.services.accounts import disconnect_account
from posbridge.services.queries import AccountView, get_account
from posbridge.store.db import Database
from posbridge.store.models import Account
from posbridge.store.statuses import AccountStatus
from posbridge.store.types import utcnow
from posbridge.wix.client import WixClient
from posbridge.wix.connectivity import disconnect_account as tell_wix
from posbridge.wix.errors import WixApiError

log = get_logger("accounts")
# Minutes to wait after the n-th failed attempt (the last repeats): Wix's outages are usually short.
BACKOFF_MINUTES = (1, 2, 5, 15, 60)
ERROR_MAX = 500  # the column's bound


class Disconnection(AccountView):
    """The disconnected account, and whether Wix was told (with Wix's reason when it was not)."""

    wix_notified: bool
    wix_error: str | None = None


@dataclass(frozen=True)
class OwedDisconnect:
    """An account disconnected here that Wix has not taken the disconnect of yet."""

    account_id: str
    error: str | None
    attempts: int
    next_at: datetime | None


def disconnect(
    db: Database, client: WixClient, *, instance_id: str, account_id: str, now: datetime | None = None
) -> Disconnection:
    """Disconnect the account here (configurations unpaired), then call Wix's disconnect API.

    Called again for a disconnected account it tells Wix again (an operator's retry)."""
    disconnect_account(db, instance_id=instance_id, account_id=account_id)
    error = _tell_and_record(db, client, instance_id, account_id, now or utcnow())
    view = get_account(db, instance_id=instance_id, account_id=account_id)
    return Disconnection(**view.model_dump(), wix_notified=error is None, wix_error=error)


def owed_disconnect(db: Database, instance_id: str) -> OwedDisconnect | None:
    """The instance's disconnect Wix still has to be told of, if any (the page offers to tell it again)."""
    with db.transaction(write=False) as session:
        account = session.scalar(
            select(Account)
            .where(
                Account.instance_id == instance_id,
                Account.status == AccountStatus.DISCONNECTED,
                Account.wix_disconnect_pending.is_(True),
            )
            .order_by(Account.disconnected_at.desc(), Account.id.desc())
            .limit(1)
        )
        if account is None:
            return None
        return OwedDisconnect(
            account.account_id,
            account.wix_disconnect_error,
            account.wix_disconnect_attempts,
            account.wix_disconnect_next_at,
        )


def retry_owed(
    db: Database, client: WixClient, *, instance_id: str, now: datetime | None = None
) -> Disconnection | None:
    """Tell Wix the instance's owed disconnect now (the merchant asked); None when nothing is owed."""
    owed = owed_disconnect(db, instance_id)
    if owed is None:
        return None
    return disconnect(db, client, instance_id=instance_id, account_id=owed.account_id, now=now)


def retry_due(db: Database, client: WixClient, now: datetime | None = None) -> int:
    """The sweep: tell Wix every owed disconnect whose backoff has ended; how many Wix took."""
    now = now or utcnow()
    with db.transaction(write=False) as session:
        due = session.execute(
            select(Account.instance_id, Account.account_id).where(
                Account.status == AccountStatus.DISCONNECTED,
                Account.wix_disconnect_pending.is_(True),
                (Account.wix_disconnect_next_at.is_(None)) | (Account.wix_disconnect_next_at <= now),
            )
        ).all()
    told = 0
    for instance_id, account_id in due:
        told += _tell_and_record(db, client, instance_id, account_id, now) is None
    return told


def _tell_and_record(db: Database, client: WixClient, instance_id: str, account_id: str, now: datetime) -> str | None:
    """Tell Wix, then record the outcome on the account (owed until Wix takes it); None when it did."""
    error = _tell_wix(client, instance_id, account_id)
    with db.transaction() as session:
        account = session.scalar(
            select(Account)
            .where(Account.instance_id == instance_id, Account.account_id == account_id)
            .with_for_update()
        )
        if account is None or account.status != AccountStatus.DISCONNECTED:
            return error  # linked again meanwhile: nothing is owed any more
        if error is None:
            account.wix_disconnect_pending, account.wix_disconnect_error = False, None
            account.wix_disconnect_attempts, account.wix_disconnect_next_at = 0, None
        else:
            account.wix_disconnect_pending, account.wix_disconnect_error = True, error[:ERROR_MAX]
            account.wix_disconnect_attempts += 1
            wait = BACKOFF_MINUTES[min(account.wix_disconnect_attempts, len(BACKOFF_MINUTES)) - 1]
            account.wix_disconnect_next_at = now + timedelta(minutes=wait)
    return error


def _tell_wix(client: WixClient, instance_id: str, account_id: str) -> str | None:
    """Call Wix's account disconnect; None when Wix took it, else why not."""
    try:
        tell_wix(client, instance_id, account_id, client.settings.wix_app_id)
    except WixApiError as exc:
        reason = f"Wix answered {exc.status} {exc.code}: {exc.message}" if exc.status else exc.message
        log.warning("wix_disconnect_failed", instance_id=instance_id, account_id=account_id, reason=reason)
        return reason
    log.info("wix_disconnect_sent", instance_id=instance_id, account_id=account_id)
    return None
