"""Connect a POS account to a Wix instance, and disconnect it."""

from __future__ import annotations

import re
import secrets

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from posbridge.crypto import CredentialBox, CredentialsError, api_key_matches, hash_api_key
from posbridge.errors import ErrorDetail, WixError
from posbridge.services.pairing import release_configuration
from posbridge.services.wixcheck import confirm_installed
from posbridge.store.db import Database
from posbridge.store.models import Account, Configuration, Instance, Merchant
from posbridge.store.statuses import AccountStatus, InstanceStatus
from posbridge.store.types import utcnow
from posbridge.wix.client import WixClient

# Bounds are the columns' (store/models.Account); an address or number longer cannot be stored.
NAME_MAX, EMAIL_MAX, PHONE_MAX = 255, 320, 64
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_PHONE = re.compile(r"^\+?[0-9 ().-]{6,}$")
Contact = tuple[str, str, str]  # name, email, phone: who is contacted about order problems


def link_account(
    db: Database,
    *,
    instance_id: str,
    account_id: str,
    credentials: str | None = None,
    secret_key: str | None = None,
    wix: WixClient | None = None,
    contact: Contact | None = None,
) -> Account:
    """Connect a POS account (for the built-in POS: the merchant's POS id) to a Wix instance.

    Records the instance if new. One connected account per instance: linking another while one is
    connected is a 409 until it is disconnected; linking the same again changes nothing.
    `credentials` (e.g. the POS API key) are checked against the merchant's key when it has one
    and stored encrypted with a key derived from `secret_key`; they are never logged.
    With `wix`, the instance is first confirmed with Wix (the app must be installed there);
    without, it is taken on trust (setups without Wix).
    `contact` (name, email, phone for order problems) is checked and stored; without it, and none
    stored before, the account needs that information before it is ready.
    """
    if contact is not None:
        contact = check_contact(*contact)
    if credentials is not None and not secret_key:
        raise ValueError("storing POS credentials needs the secret key (POSBRIDGE_SECRET_KEY)")
    if wix is not None:
        confirm_installed(wix, instance_id)
    box = CredentialBox(secret_key) if credentials is not None and secret_key else None
    try:
        with db.transaction() as session:
            return _link(session, instance_id, account_id, credentials, box, contact)
    except IntegrityError:
        # A concurrent first link recorded the instance (or account) first; re-run against its rows.
        with db.transaction() as session:
            return _link(session, instance_id, account_id, credentials, box, contact)


def disconnect_account(db: Database, *, instance_id: str, account_id: str) -> Account:
    """Disconnect an instance's POS account: credentials wiped, its configurations unpaired; idempotent."""
    with db.transaction() as session:
        account = session.scalar(
            select(Account)
            .where(Account.instance_id == instance_id, Account.account_id == account_id)
            .with_for_update()
        )
        if account is None:
            raise WixError.of("ACCOUNT_NOT_FOUND", f"Account '{account_id}' not found", accountId=account_id)
        if account.status == AccountStatus.ACTIVE:
            account.status = AccountStatus.DISCONNECTED
            account.disconnected_at = utcnow()
            account.credentials_encrypted = None
            # Owed to Wix from this commit on, so a crash before Wix is told still leaves it to retry.
            account.wix_disconnect_pending = True
        for configuration in session.scalars(select(Configuration).where(Configuration.account_pk == account.id)):
            release_configuration(configuration)
        return account


def issue_api_key(db: Database, *, merchant_id: str) -> str:
    """Give a POS merchant a new API key (replacing any old one); the key is returned once, only its hash is kept.

    The merchant types it when connecting the POS account to a Wix site (`link_account` checks it).
    """
    api_key = "pbk_" + secrets.token_urlsafe(32)
    with db.transaction() as session:
        merchant = session.scalar(select(Merchant).where(Merchant.pos_id == merchant_id).with_for_update())
        if merchant is None:
            raise WixError.of("ACCOUNT_NOT_FOUND", f"No POS account '{merchant_id}'", accountId=merchant_id)
        merchant.api_key_hash = hash_api_key(api_key)
    return api_key


def _link(
    session: Session,
    instance_id: str,
    account_id: str,
    credentials: str | None,
    box: CredentialBox | None,
    contact: Contact | None,
) -> Account:
    # Locking the instance row serialises links of one instance, so "one connected account" holds.
    instance = session.get(Instance, instance_id, with_for_update=True)
    if instance is None:
        session.add(Instance(id=instance_id))
        session.flush()
    elif instance.status != InstanceStatus.ACTIVE:
        raise WixError.of(
            "ACCOUNT_NOT_CONNECTED", f"The app is no longer installed on site '{instance_id}'", http_status=409
        )
    merchant = session.scalar(select(Merchant).where(Merchant.pos_id == account_id))
    if merchant is None:
        raise WixError.of("ACCOUNT_NOT_FOUND", f"No POS account '{account_id}'", accountId=account_id)
    if credentials is not None and merchant.api_key_hash and not api_key_matches(credentials, merchant.api_key_hash):
        raise WixError.of(
            "ACCOUNT_NOT_AUTHORIZED", f"The credentials are not valid for POS account '{account_id}'", http_status=403
        )
    other = session.scalar(
        select(Account.account_id).where(
            Account.instance_id == instance_id, Account.status == AccountStatus.ACTIVE, Account.account_id != account_id
        )
    )
    if other is not None:
        raise WixError.of(
            "ACCOUNT_CONFIGURATION",
            f"Site '{instance_id}' is already connected to POS account '{other}': disconnect it first",
            http_status=409,
            accountId=other,
        )
    account = session.scalar(
        select(Account).where(Account.instance_id == instance_id, Account.account_id == account_id)
    )
    if account is None:
        account = Account(instance_id=instance_id, account_id=account_id, merchant_id=merchant.id)
        session.add(account)
    elif account.status != AccountStatus.ACTIVE:
        account.status, account.authorized = AccountStatus.ACTIVE, True
        account.linked_at, account.disconnected_at = utcnow(), None
        # Linked again: a disconnect Wix was never told of is moot (telling it now would undo this link).
        account.wix_disconnect_pending, account.wix_disconnect_error = False, None
        account.wix_disconnect_attempts, account.wix_disconnect_next_at = 0, None
    elif not account.authorized:
        account.authorized = True  # linking again (credentials checked above) restores a revoked authorization
    if box is not None and credentials is not None and not _holds(box, account.credentials_encrypted, credentials):
        account.credentials_encrypted = box.seal(credentials)
    if contact is not None:
        account.contact_name, account.contact_email, account.contact_phone = contact
    return account


def _holds(box: CredentialBox, sealed: bytes | None, credentials: str) -> bool:
    """True when the stored credentials already are these (sealing is randomised, so compare plaintexts)."""
    if sealed is None:
        return False
    try:
        return box.open(sealed) == credentials
    except CredentialsError:
        return False


def check_contact(name: str, email: str, phone: str) -> tuple[str, str, str]:
    """The contact for order problems, trimmed, or a 400 naming every bad field at once."""
    name, email, phone = name.strip(), email.strip(), phone.strip()
    problems = []
    if not name or len(name) > NAME_MAX:
        problems.append(
            ErrorDetail("ACCOUNT_CONFIGURATION", f"Contact name: 1 to {NAME_MAX} characters", {"field": "name"})
        )
    if len(email) > EMAIL_MAX or not _EMAIL.match(email):
        problems.append(
            ErrorDetail("ACCOUNT_CONFIGURATION", "Email: an address such as name@example.com", {"field": "email"})
        )
    if len(phone) > PHONE_MAX or not _PHONE.match(phone):
        problems.append(
            ErrorDetail("ACCOUNT_CONFIGURATION", "Phone: digits, spaces and + ( ) - only", {"field": "phone"})
        )
    if problems:
        raise WixError(problems, http_status=400)
    return name, email, phone
