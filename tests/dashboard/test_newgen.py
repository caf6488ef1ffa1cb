"""The page on a new-generation site: Wix's business locations beside the POS's, paired and synced to the Menus API."""

from __future__ import annotations

from collections.abc import Callable

import httpx

from posbridge.services.configurations import configuration_status
from posbridge.store.db import Database
from tests.dashboard.conftest import BUSINESS, SESSION, Merchant, open_page, ready, tokens, wait_for_sync
from wixsim.client import WixSimClient


def test_business_locations_are_paired_and_synced_to_the_menus_api(
    page_client: httpx.Client,
    wixsim: WixSimClient,
    posbridge_url: str,
    make_merchant: Callable[[], Merchant],
    db: Database,
) -> None:
    merchant = make_merchant()
    site = wixsim.create_site(
        generation="new", locations=["Downtown", "Uptown Store"], dashboard_url=f"{posbridge_url}/dashboard"
    )
    other = wixsim.create_site(generation="new", locations=["Elsewhere"])
    instance_id = site["instanceId"]
    downtown = next(loc["id"] for loc in site["locations"] if loc["name"] == "Downtown")
    session, csrf = tokens(open_page(page_client, wixsim, instance_id))
    headers = {SESSION: session}
    page_client.post("/dashboard/account/connect", data={"csrf": csrf, "apiKey": merchant.api_key}, headers=headers)
    panel = page_client.post("/dashboard/account/business", data={"csrf": csrf, **BUSINESS}, headers=headers)
    assert "Business locations" in panel.text and "Uptown Store" in panel.text
    assert "Main St, New York" in panel.text  # Wix's address beside the name
    assert "(suggested)" in panel.text
    assert panel.text.count("Online ordering on in Wix") == 2  # each location's ordering operation

    # Another site's business location is not this site's: Wix's Locations API says so, nothing is paired.
    theirs = other["locations"][0]["id"]
    refused = page_client.post(
        f"/dashboard/configurations/{theirs}/pair", data={"csrf": csrf, "locationId": "loc-1"}, headers=headers
    )
    assert refused.status_code == 404

    paired = page_client.post(
        f"/dashboard/configurations/{downtown}/pair",
        data={"csrf": csrf, "locationId": "loc-1", "configurationId": downtown},
        headers=headers,
    )
    assert paired.status_code == 200, paired.text
    assert configuration_status(db, instance_id, merchant.pos_id, downtown).status == "READY"
    synced = page_client.post(f"/dashboard/configurations/{downtown}/sync", data={"csrf": csrf}, headers=headers)
    assert synced.status_code == 200
    state = wait_for_sync(page_client, session, downtown)
    assert "Synced" in state.text, state.text
    menus = next(loc for loc in wixsim.site_menus(instance_id)["locations"] if loc["id"] == downtown)["menus"]
    assert {menu["name"] for menu in menus} >= {
        m["name"] for m in merchant.document["menus"] if "loc-1" in m["locations"]
    }

    unpaired = page_client.post(f"/dashboard/configurations/{downtown}/unpair", data={"csrf": csrf}, headers=headers)
    assert unpaired.status_code == 200
    assert configuration_status(db, instance_id, merchant.pos_id, downtown).status == "PENDING"


def test_first_sync_warning_lists_the_business_locations_menus_it_will_hide(
    page_client: httpx.Client,
    wixsim: WixSimClient,
    posbridge_url: str,
    make_merchant: Callable[[], Merchant],
) -> None:
    merchant = make_merchant()
    site = wixsim.create_site(
        generation="new", locations=["Downtown", "Uptown Store"], dashboard_url=f"{posbridge_url}/dashboard"
    )
    instance_id = site["instanceId"]
    downtown, uptown = (
        next(loc["id"] for loc in site["locations"] if loc["name"] == n) for n in ("Downtown", "Uptown Store")
    )
    # The merchant's own menus in Wix's dashboard: one shown at Downtown, one already hidden there, one at Uptown.
    wixsim.merchant_create(instance_id, "menu", name="Wix Brunch", businessLocationId=downtown)
    wixsim.merchant_create(instance_id, "menu", name="Old Specials", businessLocationId=downtown, visible=False)
    wixsim.merchant_create(instance_id, "menu", name="Uptown Late Night", businessLocationId=uptown)
    session, csrf = ready(page_client, wixsim, instance_id, merchant)
    headers = {SESSION: session}
    panel = page_client.post(
        f"/dashboard/configurations/{downtown}/pair",
        data={"csrf": csrf, "locationId": "loc-1", "configurationId": downtown},
        headers=headers,
    )
    assert f'hx-get="/dashboard/configurations/{downtown}/wix-menus"' in panel.text

    warning = page_client.get(f"/dashboard/configurations/{downtown}/wix-menus", headers=headers)
    assert warning.status_code == 200, warning.text
    assert "will be hidden" in warning.text and "<li>Wix Brunch</li>" in warning.text
    assert "Old Specials" not in warning.text and "Uptown Late Night" not in warning.text

    page_client.post(f"/dashboard/configurations/{downtown}/sync", data={"csrf": csrf}, headers=headers)
    state = wait_for_sync(page_client, session, downtown)
    assert "Synced" in state.text, state.text
    menus = next(loc for loc in wixsim.site_menus(instance_id)["locations"] if loc["id"] == downtown)["menus"]
    assert [m["visible"] for m in menus if m["name"] == "Wix Brunch"] == [False]  # what the warning said
    after = page_client.get(f"/dashboard/configurations/{downtown}/wix-menus", headers=headers)
    assert after.status_code == 200 and "Wix Brunch" not in after.text
