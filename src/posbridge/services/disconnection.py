"""Disconnecting a POS account from a Wix site: posbridge lets go first, then tells Wix (product.md §3 step 3).

The local part comes first and is idempotent: from then on the SPI answers as for a disconnected
account whatever Wix does. Telling Wix (its POS connectivity API) can fail; the failure is
reported to the caller with its reason, and running the disconnect again retries it.
"""

from __future__ import annotations

from posbridge.logs import get_logger
from posbridge.services.accounts import disconnect_account
from posbridge.services.queries import AccountView, get_account
from posbridge.store.db import Database
from posbridge.wix.client import WixClient
from posbridge.wix.connectivity import disconnect_account as tell_wix
from posbridge.wix.errors import WixApiError

log = get_logger("accounts")


class Disconnection(AccountView):
    """The disconnected account, and whether Wix was told (with Wix's reason when it was not)."""

    wix_notified: bool
    wix_error: str | None = None


def disconnect(db: Database, client: WixClient, *, instance_id: str, account_id: str) -> Disconnection:
    """Disconnect the account here (configurations unpaired), then call Wix's disconnect API."""
    disconnect_account(db, instance_id=instance_id, account_id=account_id)
    error = _tell_wix(client, instance_id, account_id)
    view = get_account(db, instance_id=instance_id, account_id=account_id)
    return Disconnection(**view.model_dump(), wix_notified=error is None, wix_error=error)


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
