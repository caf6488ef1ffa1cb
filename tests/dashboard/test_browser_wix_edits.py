"""In a real browser: after a merchant edits a synced item's price in Wix, the location shows the edit and what the
next sync does (new generation)."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.dashboard.browser import connect_with_business_info
from tests.dashboard.conftest import Merchant, repo_root
from tests.dashboard.test_browser import SHOTS_ENV, _page, _row, _shoot
from wixsim.client import WixSimClient


@pytest.mark.slow
def test_an_edit_made_in_wix_shows_on_the_location(
    wixsim: WixSimClient,
    posbridge_url: str,
    make_merchant: Callable[[], Merchant],
    tmp_path: Path,
    browser: Any,
) -> None:
    shots = repo_root() / os.environ[SHOTS_ENV] if os.environ.get(SHOTS_ENV) else tmp_path
    merchant = make_merchant()
    site = wixsim.create_site(
        generation="new",
        locations=["Downtown"],
        dashboard_url=f"{posbridge_url}/dashboard",
        webhook_url=f"{posbridge_url}/wix/webhooks",
    )
    instance_id = site["instanceId"]
    host = wixsim.base_url.replace("127.0.0.1", "localhost")
    with _page(browser) as page:
        errors: list[str] = []
        page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
        page.goto(f"{host}/_sim/dashboard/{instance_id}")
        app = page.frame_locator("#app")
        connect_with_business_info(app, merchant.api_key)
        downtown = _row(app, "Downtown")
        downtown.locator("summary").click()
        downtown.get_by_role("button", name="Pair").click()
        downtown = _row(app, "Downtown")
        downtown.get_by_role("button", name="Sync now").click()
        downtown = _row(app, "Downtown")
        expect(downtown.locator(".sync-status")).to_contain_text("Synced", timeout=30_000)
        wixsim.drain_menu_events()
        expect(downtown.locator(".wix-edits")).to_have_count(0)  # our own sync's events show nothing

        item = next(i for i in wixsim.site_menus(instance_id)["entities"]["items"] if "priceInfo" in i)
        wixsim.merchant_edit(instance_id, "items", item["id"], priceInfo={"price": "99.50"})
        wixsim.drain_menu_events()
        page.reload()
        app = page.frame_locator("#app")
        downtown = _row(app, "Downtown")
        downtown.locator("summary").click()
        card = downtown.locator(".wix-edits")
        expect(card).to_contain_text(f'By the merchant: item "{item["name"]}" price changed from')
        expect(card).to_contain_text("to 99.5")
        # The sync the edit requested (debounced) puts the POS's price back; the card says so when it has.
        expect(card).to_contain_text("put the POS's values back", timeout=30_000)
        card.scroll_into_view_if_needed()
        _shoot(page, "8-edited-in-wix", shots)
        assert errors == [], "\n".join(errors)
