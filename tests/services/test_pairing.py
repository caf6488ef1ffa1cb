"""Pairing a Wix configuration with a POS location of the linked merchant, and choosing its menus."""

from __future__ import annotations

import uuid

import pytest

from posbridge.errors import WixError
from posbridge.pos.importer import import_menu
from posbridge.services.accounts import disconnect_account, link_account
from posbridge.services.pairing import pair_configuration, unpair_configuration
from posbridge.services.queries import get_configuration, list_configurations
from posbridge.store.db import Database
from tests.pos.menu_documents import small_document
from tests.support.fixtures_pos import CONTACT_ARGS

pytestmark = pytest.mark.all_backends  # the database backend matters here


def _linked(db: Database, instance_id: str) -> str:
    document = small_document()
    import_menu(db, document)
    link_account(db, instance_id=instance_id, account_id=document["merchant"]["id"], contact=CONTACT_ARGS)
    return str(document["merchant"]["id"])


def test_pairing_defaults_to_every_active_menu_sold_at_the_location(db: Database, instance_id: str) -> None:
    merchant = _linked(db, instance_id)
    configuration = pair_configuration(db, instance_id=instance_id, configuration_id="cfg-1", location_id="loc-1")
    assert configuration.paired_at is not None
    view = get_configuration(db, instance_id=instance_id, configuration_id="cfg-1")
    assert (view.account_id, view.location_id, view.menu_ids, view.status) == (
        merchant,
        "loc-1",
        ["menu-1", "menu-2"],
        "READY",
    )
    # loc-2 sells only menu-1.
    pair_configuration(db, instance_id=instance_id, configuration_id="cfg-2", location_id="loc-2")
    assert get_configuration(db, instance_id=instance_id, configuration_id="cfg-2").menu_ids == ["menu-1"]


def test_pairing_again_the_same_way_changes_nothing(db: Database, instance_id: str) -> None:
    _linked(db, instance_id)
    first = pair_configuration(db, instance_id=instance_id, configuration_id="cfg-1", location_id="loc-1")
    again = pair_configuration(db, instance_id=instance_id, configuration_id="cfg-1", location_id="loc-1")
    assert (again.id, again.paired_at, again.updated_at) == (first.id, first.paired_at, first.updated_at)


def test_chosen_menus_are_kept_in_order_and_can_be_changed(db: Database, instance_id: str) -> None:
    _linked(db, instance_id)
    pair_configuration(
        db, instance_id=instance_id, configuration_id="cfg-1", location_id="loc-1", menu_ids=["menu-2", "menu-1"]
    )
    assert get_configuration(db, instance_id=instance_id, configuration_id="cfg-1").menu_ids == ["menu-2", "menu-1"]
    pair_configuration(db, instance_id=instance_id, configuration_id="cfg-1", location_id="loc-1", menu_ids=["menu-1"])
    assert get_configuration(db, instance_id=instance_id, configuration_id="cfg-1").menu_ids == ["menu-1"]
    pair_configuration(db, instance_id=instance_id, configuration_id="cfg-1", location_id="loc-1", menu_ids=[])
    view = get_configuration(db, instance_id=instance_id, configuration_id="cfg-1")
    assert (view.menu_ids, view.status) == ([], "PENDING")


def test_menus_not_sold_at_the_location_are_all_refused(db: Database, instance_id: str) -> None:
    _linked(db, instance_id)
    with pytest.raises(WixError) as raised:
        pair_configuration(
            db,
            instance_id=instance_id,
            configuration_id="cfg-1",
            location_id="loc-2",
            menu_ids=["menu-1", "menu-2", "menu-9"],
        )
    assert raised.value.http_status == 400
    assert [d.params["menuId"] for d in raised.value.details] == ["menu-2", "menu-9"]
    assert list_configurations(db, instance_id=instance_id) == []


def test_a_location_of_another_merchant_is_not_found(db: Database, instance_id: str) -> None:
    _linked(db, instance_id)
    other = small_document()
    other["locations"][0]["id"] = "loc-elsewhere"
    other["items"][0]["stock"] = None
    other["menus"][0]["locations"] = ["loc-elsewhere"]
    other["menus"][1]["locations"] = ["loc-elsewhere"]
    other["items"][0]["locationPrices"] = {}
    other["items"][2]["stock"] = None
    import_menu(db, other)
    with pytest.raises(WixError) as raised:
        pair_configuration(db, instance_id=instance_id, configuration_id="cfg-1", location_id="loc-elsewhere")
    assert (raised.value.code, raised.value.http_status) == ("LOCATION_NOT_FOUND", 404)


def test_pairing_needs_a_connected_account(db: Database, instance_id: str) -> None:
    document = small_document()
    import_menu(db, document)
    link_account(db, instance_id=instance_id, account_id=document["merchant"]["id"], contact=CONTACT_ARGS)
    disconnect_account(db, instance_id=instance_id, account_id=document["merchant"]["id"])
    with pytest.raises(WixError) as raised:
        pair_configuration(db, instance_id=instance_id, configuration_id="cfg-1", location_id="loc-1")
    assert raised.value.code == "ACCOUNT_NOT_CONNECTED"


def test_one_pos_location_pairs_with_one_configuration(db: Database, instance_id: str) -> None:
    _linked(db, instance_id)
    pair_configuration(db, instance_id=instance_id, configuration_id="cfg-1", location_id="loc-1")
    with pytest.raises(WixError) as raised:
        pair_configuration(db, instance_id=instance_id, configuration_id="cfg-2", location_id="loc-1")
    assert raised.value.http_status == 409 and "cfg-1" in raised.value.message


def test_a_deactivated_location_cannot_be_paired_and_shows_as_error_once_paired(db: Database, instance_id: str) -> None:
    document = small_document()
    import_menu(db, document)
    link_account(db, instance_id=instance_id, account_id=document["merchant"]["id"], contact=CONTACT_ARGS)
    pair_configuration(db, instance_id=instance_id, configuration_id="cfg-2", location_id="loc-2")
    document["locations"].pop(1)
    document["menus"][0]["locations"] = ["loc-1"]
    document["items"][0]["locationPrices"] = {}
    document["items"][2]["stock"] = {"loc-1": 5}
    import_menu(db, document)
    assert get_configuration(db, instance_id=instance_id, configuration_id="cfg-2").status == "ERROR"
    with pytest.raises(WixError) as raised:
        pair_configuration(db, instance_id=instance_id, configuration_id="cfg-3", location_id="loc-2")
    assert raised.value.http_status == 409


def test_unpairing_leaves_the_configuration_pending(db: Database, instance_id: str) -> None:
    _linked(db, instance_id)
    pair_configuration(db, instance_id=instance_id, configuration_id="cfg-1", location_id="loc-1", catalog_id="cat")
    configuration = unpair_configuration(db, instance_id=instance_id, configuration_id="cfg-1")
    assert (configuration.location_id, configuration.account_pk, configuration.catalog_id) == (None, None, "cat")
    view = get_configuration(db, instance_id=instance_id, configuration_id="cfg-1")
    assert (view.status, view.menu_ids) == ("PENDING", [])
    # Another instance's configuration is not found; an instance nobody recorded is named as such.
    another = str(uuid.uuid4())
    _linked(db, another)
    with pytest.raises(WixError) as raised:
        unpair_configuration(db, instance_id=another, configuration_id="cfg-1")
    assert raised.value.code == "LOCATION_NOT_FOUND"
    with pytest.raises(WixError) as raised:
        unpair_configuration(db, instance_id="never-recorded", configuration_id="cfg-1")
    assert (raised.value.code, raised.value.message) == ("INSTANCE_NOT_FOUND", "Instance 'never-recorded' is not known")
