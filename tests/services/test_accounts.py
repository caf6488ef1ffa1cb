"""Linking a POS account to a Wix instance: one connected account per instance, idempotent, credentials sealed."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from posbridge.crypto import CredentialBox, hash_api_key
from posbridge.errors import WixError
from posbridge.pos.importer import import_menu
from posbridge.services.accounts import disconnect_account, issue_api_key, link_account
from posbridge.services.pairing import pair_configuration
from posbridge.services.queries import get_configuration, list_accounts
from posbridge.store.db import Database
from posbridge.store.models import Account, Instance, Merchant
from tests.pos.menu_documents import small_document
from tests.support.fixtures_pos import CONTACT_ARGS as CONTACT

# all_backends where the database backend matters (what linking and disconnecting store); a missing secret key
# is refused before any write

SECRET = "test-secret-key-0123456789abcdef"


def _merchant(db: Database) -> str:
    document = small_document()
    import_menu(db, document)
    return str(document["merchant"]["id"])


@pytest.mark.all_backends
def test_linking_records_the_instance_and_connects_the_account(db: Database, instance_id: str) -> None:
    merchant = _merchant(db)
    account = link_account(db, instance_id=instance_id, account_id=merchant)
    assert (account.status, account.authorized, account.credentials_encrypted) == ("ACTIVE", True, None)
    with db.transaction(write=False) as session:
        instance = session.get(Instance, instance_id)
        assert instance is not None and instance.status == "ACTIVE"
    assert [a.account_id for a in list_accounts(db, instance_id=instance_id)] == [merchant]


@pytest.mark.all_backends
def test_linking_the_same_account_again_is_idempotent(db: Database, instance_id: str) -> None:
    merchant = _merchant(db)
    first = link_account(db, instance_id=instance_id, account_id=merchant)
    again = link_account(db, instance_id=instance_id, account_id=merchant)
    assert again.id == first.id and again.linked_at == first.linked_at
    with db.transaction(write=False) as session:
        rows = session.scalars(select(Account).where(Account.instance_id == instance_id)).all()
        assert len(rows) == 1


@pytest.mark.all_backends
def test_a_second_account_is_refused_until_the_first_is_disconnected(db: Database, instance_id: str) -> None:
    first, second = _merchant(db), _merchant(db)
    link_account(db, instance_id=instance_id, account_id=first)
    with pytest.raises(WixError) as raised:
        link_account(db, instance_id=instance_id, account_id=second)
    assert raised.value.http_status == 409
    assert first in raised.value.message and "disconnect it first" in raised.value.message
    disconnect_account(db, instance_id=instance_id, account_id=first)
    assert link_account(db, instance_id=instance_id, account_id=second).status == "ACTIVE"
    statuses = {a.account_id: a.status for a in list_accounts(db, instance_id=instance_id)}
    assert statuses == {first: "DISCONNECTED", second: "ACTIVE"}


@pytest.mark.all_backends
def test_an_unknown_pos_account_is_not_found_and_records_nothing(db: Database, instance_id: str) -> None:
    with pytest.raises(WixError) as raised:
        link_account(db, instance_id=instance_id, account_id="no-such-merchant")
    assert (raised.value.code, raised.value.http_status) == ("ACCOUNT_NOT_FOUND", 404)
    with db.transaction(write=False) as session:
        assert session.get(Instance, instance_id) is None


@pytest.mark.all_backends
def test_credentials_are_stored_encrypted_and_checked_against_the_merchant_key(db: Database, instance_id: str) -> None:
    merchant = _merchant(db)
    with db.transaction() as session:
        row = session.scalar(select(Merchant).where(Merchant.pos_id == merchant))
        assert row is not None
        row.api_key_hash = hash_api_key("pos-key-right")
    with pytest.raises(WixError) as raised:
        link_account(db, instance_id=instance_id, account_id=merchant, credentials="pos-key-wrong", secret_key=SECRET)
    assert (raised.value.code, raised.value.http_status) == ("ACCOUNT_NOT_AUTHORIZED", 403)
    account = link_account(
        db, instance_id=instance_id, account_id=merchant, credentials="pos-key-right", secret_key=SECRET
    )
    assert account.credentials_encrypted is not None
    assert b"pos-key-right" not in account.credentials_encrypted
    assert CredentialBox(SECRET).open(account.credentials_encrypted) == "pos-key-right"
    # The same credentials again leave the stored ciphertext alone.
    again = link_account(
        db, instance_id=instance_id, account_id=merchant, credentials="pos-key-right", secret_key=SECRET
    )
    assert again.credentials_encrypted == account.credentials_encrypted
    assert list_accounts(db, instance_id=instance_id)[0].has_credentials is True


@pytest.mark.all_backends
def test_disconnecting_wipes_credentials_unpairs_and_is_idempotent(db: Database, instance_id: str) -> None:
    merchant = _merchant(db)
    link_account(db, instance_id=instance_id, account_id=merchant, credentials="k", secret_key=SECRET, contact=CONTACT)
    pair_configuration(db, instance_id=instance_id, configuration_id="cfg-1", location_id="loc-1", catalog_id="cat-1")
    assert get_configuration(db, instance_id=instance_id, configuration_id="cfg-1").status == "READY"
    account = disconnect_account(db, instance_id=instance_id, account_id=merchant)
    assert (account.status, account.credentials_encrypted) == ("DISCONNECTED", None)
    assert account.disconnected_at is not None
    view = get_configuration(db, instance_id=instance_id, configuration_id="cfg-1")
    assert (view.status, view.location_id, view.menu_ids, view.catalog_id) == ("NOT_STARTED", None, [], "cat-1")
    assert (
        disconnect_account(db, instance_id=instance_id, account_id=merchant).disconnected_at == account.disconnected_at
    )


@pytest.mark.all_backends
def test_disconnecting_another_instances_account_is_not_found(db: Database, instance_id: str) -> None:
    merchant = _merchant(db)
    link_account(db, instance_id=instance_id, account_id=merchant)
    with pytest.raises(WixError) as raised:
        disconnect_account(db, instance_id="some-other-instance", account_id=merchant)
    assert raised.value.code == "ACCOUNT_NOT_FOUND"
    assert list_accounts(db, instance_id=instance_id)[0].status == "ACTIVE"


def test_credentials_need_the_secret_key(db: Database, instance_id: str) -> None:
    with pytest.raises(ValueError, match="secret key"):
        link_account(db, instance_id=instance_id, account_id="x", credentials="k")


@pytest.mark.all_backends
def test_linking_again_restores_a_revoked_authorization(db: Database, instance_id: str) -> None:
    merchant = _merchant(db)
    account = link_account(db, instance_id=instance_id, account_id=merchant)
    with db.transaction() as session:
        row = session.get(Account, account.id)
        assert row is not None
        row.authorized = False
    assert link_account(db, instance_id=instance_id, account_id=merchant).authorized is True


@pytest.mark.all_backends
def test_an_issued_api_key_is_what_linking_checks(db: Database, instance_id: str) -> None:
    merchant = _merchant(db)
    old = issue_api_key(db, merchant_id=merchant)
    new = issue_api_key(db, merchant_id=merchant)
    assert old != new and new.startswith("pbk_")
    with db.transaction(write=False) as session:
        row = session.scalar(select(Merchant).where(Merchant.pos_id == merchant))
        assert row is not None and row.api_key_hash == hash_api_key(new)
    with pytest.raises(WixError):
        link_account(db, instance_id=instance_id, account_id=merchant, credentials=old, secret_key=SECRET)
    assert link_account(db, instance_id=instance_id, account_id=merchant, credentials=new, secret_key=SECRET).authorized
    with pytest.raises(WixError) as raised:
        issue_api_key(db, merchant_id="nobody")
    assert raised.value.code == "ACCOUNT_NOT_FOUND"


@pytest.mark.all_backends
def test_an_operator_linked_account_needs_its_contact_before_it_is_ready(db: Database, instance_id: str) -> None:
    merchant = _merchant(db)
    link_account(db, instance_id=instance_id, account_id=merchant)
    pair_configuration(db, instance_id=instance_id, configuration_id="cfg-1", location_id="loc-1", catalog_id="cat-1")
    pending = get_configuration(db, instance_id=instance_id, configuration_id="cfg-1")
    assert pending.status == "PENDING" and "contact name, email, phone missing" in (pending.reason or "")
    assert list_accounts(db, instance_id=instance_id)[0].missing_information == ["contact name", "email", "phone"]
    with pytest.raises(WixError) as refused:
        link_account(db, instance_id=instance_id, account_id=merchant, contact=("", "nope", "x"))
    assert refused.value.http_status == 400 and len(refused.value.details) == 3
    assert get_configuration(db, instance_id=instance_id, configuration_id="cfg-1").status == "PENDING"
    link_account(db, instance_id=instance_id, account_id=merchant, contact=(" Ana Rossi ", *CONTACT[1:]))
    assert get_configuration(db, instance_id=instance_id, configuration_id="cfg-1").status == "READY"
    with db.transaction(write=False) as session:
        account = session.scalar(select(Account).where(Account.instance_id == instance_id))
        assert account is not None and account.contact_name == "Ana Rossi"
    assert list_accounts(db, instance_id=instance_id)[0].missing_information == []
