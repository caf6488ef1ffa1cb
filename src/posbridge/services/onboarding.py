"""Self-service onboarding from the dashboard page: connect with the POS API key, complete the business info."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from posbridge.crypto import hash_api_key
from posbridge.errors import WixError
from posbridge.services.accounts import check_contact, link_account
from posbridge.services.status import missing_business_info
from posbridge.services.tenancy import active_accounts
from posbridge.store.db import Database
from posbridge.store.models import Account, Merchant

NOT_CONNECTED, NEEDS_INFORMATION, READY = "not connected", "needs information", "ready"


@dataclass(frozen=True)
class AccountState:
    """The instance's POS account as the merchant sees it: the state in words and what is missing."""

    state: str
    account: Account | None = None
    merchant_name: str | None = None
    missing: tuple[str, ...] = ()


def account_state(db: Database, instance_id: str) -> AccountState:
    """*not connected*, *needs information* or *ready* (the same rule Get Configuration Status applies)."""
    with db.transaction(write=False) as session:
        accounts = active_accounts(session, instance_id)
        if not accounts:
            return AccountState(NOT_CONNECTED)
        account = accounts[0]
        merchant_name = session.scalar(select(Merchant.name).where(Merchant.id == account.merchant_id))
        missing = tuple(missing_business_info(account))
        session.expunge(account)
    return AccountState(NEEDS_INFORMATION if missing else READY, account, merchant_name, missing)


def connect_with_api_key(db: Database, *, instance_id: str, api_key: str, secret_key: str | None) -> Account:
    """Link the POS account whose API key this is (`posbridge api-key` issued it) to the instance.

    The key is looked up by its hash (keys are long random tokens); an unknown key is refused
    without saying whether an account exists. One account per instance (link_account's 409).
    """
    api_key = api_key.strip()
    if not api_key:
        raise WixError.of("ACCOUNT_NOT_AUTHORIZED", "Type the API key your POS gave you", http_status=400)
    with db.transaction(write=False) as session:
        pos_id = session.scalar(select(Merchant.pos_id).where(Merchant.api_key_hash == hash_api_key(api_key)))
    if pos_id is None:
        raise WixError.of(
            "ACCOUNT_NOT_AUTHORIZED", "This API key is not valid: check it with your POS", http_status=403
        )
    return link_account(
        db,
        instance_id=instance_id,
        account_id=pos_id,
        credentials=api_key if secret_key else None,
        secret_key=secret_key,
    )


def save_business_info(db: Database, *, instance_id: str, name: str, email: str, phone: str) -> Account:
    """Store the contact for order problems on the instance's connected account; all three checked at once."""
    name, email, phone = check_contact(name, email, phone)
    with db.transaction() as session:
        accounts = active_accounts(session, instance_id)
        if not accounts:
            raise WixError.of("ACCOUNT_NOT_CONNECTED", "Connect your POS account first", http_status=409)
        account = accounts[0]
        account.contact_name, account.contact_email, account.contact_phone = name, email, phone
        return account
