"""What Wix asks about a site's setup: its connected POS accounts and a configuration's status."""

from __future__ import annotations

from sqlalchemy import select

from posbridge.errors import WixError
from posbridge.services.status import NOT_STARTED, Readiness, readiness
from posbridge.services.tenancy import active_accounts, active_instance
from posbridge.store.db import Database
from posbridge.store.models import Account, Configuration


def list_account_ids(db: Database, instance_id: str) -> list[str]:
    """The instance's connected POS account ids, oldest first (empty before the merchant connects)."""
    with db.transaction(write=False) as session:
        active_instance(session, instance_id)
        return [account.account_id for account in active_accounts(session, instance_id)]


def configuration_status(db: Database, instance_id: str, account_id: str, configuration_id: str) -> Readiness:
    """A configuration's status by the rules of wix-pos-spi.md §3, in a few indexed reads.

    NOT_STARTED while the instance has no connected account (whatever `accountId` says); once one
    is connected, an account id that is not this instance's is ACCOUNT_NOT_FOUND, exactly like an
    unknown one. A configuration id never seen, or paired under another account, is PENDING:
    Wix owns configuration ids and this account has not paired it yet. Nothing is written.
    """
    with db.transaction(write=False) as session:
        active_instance(session, instance_id)
        account = session.scalar(
            select(Account).where(Account.instance_id == instance_id, Account.account_id == account_id)
        )
        if account is None:
            if not active_accounts(session, instance_id):
                return Readiness(NOT_STARTED, "No POS account is connected to this site")
            raise WixError.of("ACCOUNT_NOT_FOUND", f"Account '{account_id}' not found", accountId=account_id)
        configuration = session.scalar(
            select(Configuration).where(
                Configuration.instance_id == instance_id, Configuration.wix_id == configuration_id
            )
        )
        if configuration is not None and configuration.account_pk not in (None, account.id):
            configuration = None
        return readiness(session, account, configuration)
