"""Link and pair ask Wix first: a mistyped instance or configuration is refused and nothing is written."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import func, select

from posbridge.config import Settings
from posbridge.errors import WixError
from posbridge.pos.importer import import_menu
from posbridge.services.accounts import link_account
from posbridge.services.pairing import pair_configuration
from posbridge.services.queries import get_configuration
from posbridge.store.db import Database
from posbridge.store.models import Account, Configuration, Instance
from posbridge.wix.client import WixClient
from tests.conftest import make_settings
from tests.pos.menu_documents import small_document
from tests.support.fixtures_pos import CONTACT_ARGS
from tests.support.server import free_port
from tests.support.signer import TestSigner
from wixsim.client import WixSimClient
from wixsim.testing import wixsim, wixsim_server  # noqa: F401  (fixtures)


def _settings(db_url: str, signer: TestSigner, sim: WixSimClient, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "wix_api_base": sim.base_url,
        "wix_app_id": sim.app_id,
        "wix_app_secret": sim.app_secret,
        "wix_public_key": sim.public_key_pem,
        "wix_retry_base_seconds": 0.01,
        "wix_retry_max_seconds": 0.05,
    }
    values.update(overrides)
    return make_settings(db_url, signer, **values)


@pytest.fixture()
def client(db: Database, db_url: str, signer: TestSigner, wixsim: WixSimClient) -> Iterator[WixClient]:  # noqa: F811
    wix = WixClient(_settings(db_url, signer, wixsim), db)
    yield wix
    wix.close()


def _merchant(db: Database) -> str:
    document = small_document()
    import_menu(db, document)
    return str(document["merchant"]["id"])


def _rows(db: Database, instance_id: str) -> tuple[int, int, int]:
    with db.transaction(write=False) as session:
        return (
            session.scalar(select(func.count()).select_from(Instance).where(Instance.id == instance_id)) or 0,
            session.scalar(select(func.count()).select_from(Account).where(Account.instance_id == instance_id)) or 0,
            session.scalar(
                select(func.count()).select_from(Configuration).where(Configuration.instance_id == instance_id)
            )
            or 0,
        )


def test_linking_an_instance_wix_does_not_know_is_refused_and_records_nothing(
    db: Database,
    client: WixClient,
    wixsim: WixSimClient,  # noqa: F811
) -> None:
    merchant = _merchant(db)
    with pytest.raises(WixError) as refused:
        link_account(db, instance_id="not-a-real-instance", account_id=merchant, wix=client)
    assert (refused.value.code, refused.value.http_status) == ("INSTANCE_NOT_FOUND", 404)
    assert "not installed on Wix instance 'not-a-real-instance'" in refused.value.message
    assert _rows(db, "not-a-real-instance") == (0, 0, 0)
    # An uninstalled app is refused the same way.
    site = wixsim.create_site(configurations=1)
    wixsim.update_site(site["instanceId"], installed=False)
    with pytest.raises(WixError):
        link_account(db, instance_id=site["instanceId"], account_id=merchant, wix=client, contact=CONTACT_ARGS)
    assert _rows(db, site["instanceId"]) == (0, 0, 0)


def test_an_installed_instance_links_and_a_configuration_wix_has_pairs(
    db: Database,
    client: WixClient,
    wixsim: WixSimClient,  # noqa: F811
) -> None:
    merchant = _merchant(db)
    site = wixsim.create_site(configurations=1)
    instance_id, configuration_id = site["instanceId"], site["configurations"][0]["id"]
    link_account(db, instance_id=instance_id, account_id=merchant, wix=client, contact=CONTACT_ARGS)
    with pytest.raises(WixError) as refused:
        pair_configuration(db, instance_id=instance_id, configuration_id="nope-cfg", location_id="loc-1", wix=client)
    assert (refused.value.code, refused.value.http_status) == ("LOCATION_NOT_FOUND", 404)
    assert "Wix has no configuration 'nope-cfg'" in refused.value.message
    assert _rows(db, instance_id) == (1, 1, 0)
    pair_configuration(db, instance_id=instance_id, configuration_id=configuration_id, location_id="loc-1", wix=client)
    assert get_configuration(db, instance_id=instance_id, configuration_id=configuration_id).status == "READY"


def test_another_sites_configuration_and_an_archived_one_are_refused(
    db: Database,
    client: WixClient,
    wixsim: WixSimClient,  # noqa: F811
) -> None:
    merchant = _merchant(db)
    mine, theirs = wixsim.create_site(configurations=2), wixsim.create_site(configurations=1)
    instance_id = mine["instanceId"]
    link_account(db, instance_id=instance_id, account_id=merchant, wix=client, contact=CONTACT_ARGS)
    foreign = theirs["configurations"][0]["id"]
    with pytest.raises(WixError, match="Wix has no configuration"):
        pair_configuration(db, instance_id=instance_id, configuration_id=foreign, location_id="loc-1", wix=client)
    archived = mine["configurations"][1]["id"]
    wixsim.update_configuration(archived, archived=True)
    with pytest.raises(WixError, match="archived in Wix") as refused:
        pair_configuration(db, instance_id=instance_id, configuration_id=archived, location_id="loc-1", wix=client)
    assert refused.value.http_status == 409
    assert _rows(db, instance_id) == (1, 1, 0)


def test_when_wix_cannot_be_asked_nothing_is_written(db: Database, db_url: str, signer: TestSigner) -> None:
    merchant = _merchant(db)
    settings = make_settings(
        db_url,
        signer,
        wix_api_base=f"http://127.0.0.1:{free_port()}",
        wix_retry_base_seconds=0.01,
        wix_retry_max_seconds=0.05,
    )
    wix = WixClient(settings, db)
    try:
        with pytest.raises(WixError) as refused:
            link_account(db, instance_id="i-unreachable", account_id=merchant, wix=wix)
    finally:
        wix.close()
    assert (refused.value.code, refused.value.http_status) == ("WIX_UNAVAILABLE", 502)
    assert _rows(db, "i-unreachable") == (0, 0, 0)


def test_wrong_app_credentials_blame_the_app_not_the_instance(
    db: Database,
    db_url: str,
    signer: TestSigner,
    wixsim: WixSimClient,  # noqa: F811
) -> None:
    merchant = _merchant(db)
    site = wixsim.create_site(configurations=1)
    wix = WixClient(_settings(db_url, signer, wixsim, wix_app_secret="not-the-secret-0123456789"), db)
    try:
        with pytest.raises(WixError) as refused:
            link_account(db, instance_id=site["instanceId"], account_id=merchant, wix=wix)
    finally:
        wix.close()
    assert refused.value.code == "WIX_APP_CREDENTIALS"
    assert _rows(db, site["instanceId"]) == (0, 0, 0)
