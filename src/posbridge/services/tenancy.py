"""Resolve a Wix call's tenant: instance → account → configuration, never across instances.

A Wix instance id is a GUID; anything else is refused before it can reach a query or a row
(`require_instance_id`). An SPI call records its instance only once it has been answered
successfully (`note_instance` after the handler): a refused call writes nothing. Until then a
signed call's instance counts as installed (Wix signed it), and only a row saying REMOVED refuses it.
"""

from __future__ import annotations

import re
import weakref
from dataclasses import dataclass

from sqlalchemy import bindparam, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from posbridge.errors import InvalidArgument, WixError
from posbridge.store.db import Database
from posbridge.store.models import Account, Configuration, Instance
from posbridge.store.statuses import AccountStatus, InstanceStatus
from posbridge.wix.generation import Generation

# Built once: every SPI call resolves its tenant, and building a statement costs more than running it.
_ACCOUNT = select(Account).where(
    Account.instance_id == bindparam("instance"), Account.account_id == bindparam("account")
)
_CONFIGURATION = select(Configuration).where(
    Configuration.instance_id == bindparam("instance"), Configuration.wix_id == bindparam("configuration")
)
_BUSINESS_LOCATION = _CONFIGURATION.where(Configuration.generation == Generation.NEWGEN)


# 8-4-4-4-12 hex digits, either case (Wix writes them lower-case).
_INSTANCE_ID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


def is_instance_id(value: object) -> bool:
    """Whether `value` has the form of a Wix instance id (a GUID)."""
    return isinstance(value, str) and _INSTANCE_ID.fullmatch(value) is not None


def require_instance_id(value: object, field: str) -> str:
    """`value` if it is a Wix instance id; a 400 naming `field` otherwise."""
    if not is_instance_id(value):
        raise InvalidArgument(f"'{field}' must be a Wix instance id (a GUID)", field=field)
    assert isinstance(value, str)
    return value


def record_instance(db: Database, instance_id: str) -> Instance:
    """Record an instance the first time a valid call names it (every configuration NOT_STARTED)."""
    with db.transaction(write=False) as session:
        found = session.get(Instance, instance_id)
        if found is not None:
            return found
    try:
        with db.transaction() as session:
            instance = Instance(id=instance_id)
            session.add(instance)
            return instance
    except IntegrityError:
        with db.transaction(write=False) as session:
            found = session.get(Instance, instance_id)
            assert found is not None
            return found


# Per database, the instance ids whose row is known to exist, so a hit can skip the look-up. A removed
# app only changes the status, which every call still reads; but `posbridge instances remove` deletes a
# stray's row (maybe from another process): a call that then finds no row forgets the id here
# (`active_instance`), so the instance is recorded again by its next answered call, without a restart.
_KNOWN_INSTANCES: weakref.WeakKeyDictionary[Database, set[str]] = weakref.WeakKeyDictionary()


def note_instance(db: Database, instance_id: str) -> None:
    """`record_instance`, without a database round trip once this process has seen the instance's row."""
    known = _KNOWN_INSTANCES.get(db)
    if known is None:
        known = _KNOWN_INSTANCES.setdefault(db, set())
    if instance_id in known:
        return
    record_instance(db, instance_id)
    known.add(instance_id)


def active_instance(session: Session, instance_id: str) -> Instance | None:
    """The instance's row (None before its first successful call); a removed app answers ACCOUNT_NOT_CONNECTED."""
    instance = session.get(Instance, instance_id)
    if instance is None:
        for known in list(_KNOWN_INSTANCES.values()):
            known.discard(instance_id)
    elif instance.status != InstanceStatus.ACTIVE:
        raise WixError.of("ACCOUNT_NOT_CONNECTED", "The app is not installed on this site")
    return instance


def active_accounts(session: Session, instance_id: str) -> list[Account]:
    """The instance's connected POS accounts, oldest first."""
    rows = session.scalars(
        select(Account)
        .where(Account.instance_id == instance_id, Account.status == AccountStatus.ACTIVE)
        .order_by(Account.linked_at, Account.id)
    )
    return list(rows)


def account_for(session: Session, instance_id: str, account_id: str) -> Account:
    """The instance's account with this id; another tenant's account is 'not found', like a missing one."""
    active_instance(session, instance_id)
    account = session.scalar(_ACCOUNT, {"instance": instance_id, "account": account_id})
    if account is None:
        raise WixError.of("ACCOUNT_NOT_FOUND", f"Account '{account_id}' not found", accountId=account_id)
    if account.status != AccountStatus.ACTIVE:
        raise WixError.of("ACCOUNT_NOT_CONNECTED", f"Account '{account_id}' is disconnected", accountId=account_id)
    return account


@dataclass(frozen=True)
class Tenant:
    """The resolved target of a call: account and configuration of one instance."""

    account: Account
    configuration: Configuration


def configuration_for(session: Session, instance_id: str, account_id: str, configuration_id: str) -> Tenant:
    """The account and its configuration; unknown or another account's configuration is LOCATION_NOT_FOUND."""
    account = account_for(session, instance_id, account_id)
    configuration = session.scalar(_CONFIGURATION, {"instance": instance_id, "configuration": configuration_id})
    if configuration is None:
        raise WixError.of(
            "LOCATION_NOT_FOUND", f"Configuration '{configuration_id}' is not known", configurationId=configuration_id
        )
    if configuration.account_pk not in (None, account.id):
        # Paired under another account of the same instance: not this account's configuration.
        raise WixError.of(
            "LOCATION_NOT_FOUND", f"Configuration '{configuration_id}' is not known", configurationId=configuration_id
        )
    return Tenant(account=account, configuration=configuration)


def business_location_for(session: Session, instance_id: str, business_location_id: str) -> Tenant:
    """A new-generation site's business location and the account it was paired under (it names no account).

    A location no account paired is LOCATION_NOT_FOUND; a disconnected account, ACCOUNT_NOT_CONNECTED.
    """
    active_instance(session, instance_id)
    configuration = session.scalar(_BUSINESS_LOCATION, {"instance": instance_id, "configuration": business_location_id})
    account = None
    if configuration is not None and configuration.account_pk is not None:
        account = session.get(Account, configuration.account_pk)
    if configuration is None or account is None:
        raise WixError.of(
            "LOCATION_NOT_FOUND",
            f"Business location '{business_location_id}' is not paired",
            businessLocationId=business_location_id,
        )
    if account.status != AccountStatus.ACTIVE:
        raise WixError.of(
            "ACCOUNT_NOT_CONNECTED", f"Account '{account.account_id}' is disconnected", accountId=account.account_id
        )
    return Tenant(account=account, configuration=configuration)
