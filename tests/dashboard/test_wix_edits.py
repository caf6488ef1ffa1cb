"""The merchant's page shows edits made in Wix to what posbridge syncs (new generation), and not its own writes."""

from __future__ import annotations

import time
from collections.abc import Callable

import httpx
import pytest

from posbridge.store.db import Database
from tests.dashboard.conftest import SESSION, Merchant, pair_location, ready, wait_for_sync
from wixsim.client import WixSimClient


@pytest.mark.slow
def test_a_merchant_edit_in_wix_shows_on_the_location_with_what_the_next_sync_does(
    page_client: httpx.Client,
    wixsim: WixSimClient,
    posbridge_url: str,
    make_merchant: Callable[[], Merchant],
    db: Database,
    admin_headers: dict[str, str],
) -> None:
    merchant = make_merchant()
    site = wixsim.create_site(
        generation="new",
        locations=["Downtown"],
        dashboard_url=f"{posbridge_url}/dashboard",
        webhook_url=f"{posbridge_url}/wix/webhooks",
    )
    instance_id = site["instanceId"]
    downtown = site["locations"][0]["id"]
    session, csrf = ready(page_client, wixsim, instance_id, merchant)
    headers = {SESSION: session}
    pair_location(page_client, session, csrf, downtown)
    # The POS's tax rate (Margherita, 8.875 %) has nowhere to go on the Menus API: the preview says so.
    preview = page_client.get(f"/dashboard/configurations/{downtown}/preview", headers=headers)
    assert preview.status_code == 200, preview.text
    assert "Not written to Wix" in preview.text and "<li>DISH.taxRate on 1 entities: tax rate:" in preview.text
    page_client.post(f"/dashboard/configurations/{downtown}/sync", data={"csrf": csrf}, headers=headers)
    state = wait_for_sync(page_client, session, downtown)
    assert "Synced" in state.text, state.text
    wixsim.drain_menu_events()
    quiet = page_client.get(f"/dashboard/configurations/{downtown}/sync", headers=headers)
    assert "Edited in Wix" not in quiet.text  # our own sync's events are ignored

    item = next(i for i in wixsim.site_menus(instance_id)["entities"]["items"] if "priceInfo" in i)
    wixsim.merchant_edit(instance_id, "items", item["id"], priceInfo={"price": "99.50"})
    wixsim.drain_menu_events()
    shown = page_client.get(f"/dashboard/configurations/{downtown}/sync", headers=headers)
    assert shown.status_code == 200
    assert "Edited in Wix" in shown.text and "By the merchant: item" in shown.text, shown.text
    assert f"item &#34;{item['name']}&#34; price changed from" in shown.text and "to 99.5" in shown.text
    # The requested (debounced) sync may already have run: either way the page says the POS's price wins.
    assert (
        "The next sync will overwrite it with the POS's values" in shown.text
        or "put the POS's values back" in shown.text
    )
    deadline = time.monotonic() + 30
    while "put the POS&#39;s values back" not in shown.text and "put the POS's values back" not in shown.text:
        assert time.monotonic() < deadline, shown.text
        time.sleep(0.1)  # the server's worker runs the requested sync (debounced 0.1 s: dashboard_settings)
        shown = page_client.get(f"/dashboard/configurations/{downtown}/sync", headers=headers)
    price = next(i for i in wixsim.site_menus(instance_id)["entities"]["items"] if i["id"] == item["id"])["priceInfo"]
    assert price == item["priceInfo"]  # the POS's price is back in Wix

    # The operator sees the same edit through the admin API.
    api = page_client.get(f"/api/v1/instances/{instance_id}/configurations/{downtown}/wix-edits", headers=admin_headers)
    assert api.status_code == 200, api.text
    [edit] = api.json()
    assert (edit["kind"], edit["wixId"], edit["by"], edit["nextSync"]) == (
        "DISH",
        item["id"],
        "the merchant",
        "OVERWRITE",
    )
    # The amount in money's one written form, as every amount the API shows.
    assert edit["changes"][0]["field"] == "price" and edit["changes"][0]["after"] == "99.50"
