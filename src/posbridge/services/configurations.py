"""What Wix asks about a site's setup: its connected POS accounts and a configuration's status."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from posbridge.errors import WixError
from posbridge.services.status import Readiness, ReadinessStatus, readiness
from posbridge.services.tenancy import active_accounts, active_instance
from posbridge.store.db import Database
from posbridge.store.models import Account, Configuration, Location


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
    return configuration_statuses(db, instance_id, account_id, [configuration_id])[configuration_id]


def configuration_statuses(
    db: Database, instance_id: str, account_id: str, configuration_ids: list[str]
) -> dict[str, Readiness]:
    """`configuration_status` of several configurations at once (the dashboard's rows), in one transaction."""
    with db.transaction(write=False) as session:
        active_instance(session, instance_id)
        account = session.scalar(
            select(Account).where(Account.instance_id == instance_id, Account.account_id == account_id)
        )
        if account is None:
            if not active_accounts(session, instance_id):
                return {
                    wix_id: Readiness(ReadinessStatus.NOT_STARTED, "No POS account is connected to this site")
                    for wix_id in configuration_ids
                }
            raise WixError.of("ACCOUNT_NOT_FOUND", f"Account '{account_id}' not found", accountId=account_id)
        found = {
            configuration.wix_id: configuration
            for configuration in session.scalars(
                select(Configuration)
                .where(Configuration.instance_id == instance_id, Configuration.wix_id.in_(set(configuration_ids)))
                .options(selectinload(Configuration.selected_menus))
            )
        }
        # Loaded at once and held (the identity map keeps objects only while referenced), so each
        # readiness check finds its location there instead of asking the database again.
        held = session.scalars(
            select(Location).where(Location.id.in_({c.location_id for c in found.values() if c.location_id}))
        ).all()
        answers = {}
        for wix_id in configuration_ids:
            configuration = found.get(wix_id)
            if configuration is not None and configuration.account_pk not in (None, account.id):
                configuration = None
            answers[wix_id] = readiness(session, account, configuration)
        del held
        return answers
