"""The merchant's journey in a real browser, through wixsim's dashboard page (a different site from posbridge)."""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from playwright.sync_api import FrameLocator, Page, expect
from sqlalchemy import select

from posbridge.services.configurations import configuration_status
from posbridge.store.db import Database
from posbridge.store.models import ChoiceStock, Variation
from posbridge.store.models import Merchant as MerchantRow
from tests.dashboard.browser import chromium, connect_with_business_info
from tests.dashboard.conftest import Merchant, Site, repo_root
from wixsim.client import WixSimClient

# Screenshots go to a temporary folder; `POSBRIDGE_SCREENSHOTS=docs/screenshots` refreshes the committed ones.
SHOTS_ENV = "POSBRIDGE_SCREENSHOTS"
OLD_MENU = {
    "menus": [
        {"name": "Old Wix Menu", "sections": [{"name": "Mains", "items": [{"name": "Old Soup", "price": "4.00"}]}]}
    ]
}


def _shoot(page: Page, name: str, shots: Path) -> None:
    """The step at 1,200 px, then at 600 px wide (the page must read well in a narrow iframe)."""
    shots.mkdir(parents=True, exist_ok=True)
    for width in (1200, 600):
        page.set_viewport_size({"width": width, "height": 1000})
        app_frame = next(f for f in page.frames if f.url.startswith(("http://127.0.0.1", "http://[::1]")))
        app_frame.wait_for_function("w => window.innerWidth <= w", arg=width)
        page.screenshot(path=str(shots / f"{name}-{width}.png"))
    page.set_viewport_size({"width": 1200, "height": 1000})


def _row(app: FrameLocator, name: str) -> Any:
    return app.locator("details.row", has=app.locator(".row-name", has_text=name))


def test_merchant_connects_pairs_syncs_and_unpairs_in_wixs_dashboard(
    wixsim: WixSimClient,
    make_site: Callable[..., Site],
    make_merchant: Callable[[], Merchant],
    db: Database,
    tmp_path: Path,
) -> None:
    shots = repo_root() / os.environ[SHOTS_ENV] if os.environ.get(SHOTS_ENV) else tmp_path
    site, merchant = make_site(catalog=OLD_MENU), make_merchant()
    host = wixsim.base_url.replace("127.0.0.1", "localhost")
    with chromium() as browser:
        page = browser.new_page(viewport={"width": 1200, "height": 1000})  # type: ignore[attr-defined]
        errors: list[str] = []  # the browser's own complaints: CSP refusals, script errors, failed loads
        page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.goto(f"{host}/_sim/dashboard/{site.instance_id}")
        app = page.frame_locator("#app")
        expect(app.get_by_role("heading", name="POS Locations")).to_be_visible()
        expect(app.locator(".badge-not-connected")).to_have_text("Not connected")
        _shoot(page, "1-connect", shots)

        # By keyboard: type the key, Tab to Connect (a visible focus ring), Enter.
        app.get_by_label("API key").fill(merchant.api_key)
        app.get_by_label("API key").press("Tab")
        focused = app.locator(":focus")
        expect(focused).to_have_text("Connect")
        assert "rgba(17, 109, 255" in focused.evaluate("e => getComputedStyle(e).boxShadow")
        focused.press("Enter")
        expect(app.locator(".badge-needs-information")).to_have_text("Needs information")
        app.get_by_label("Contact name").fill("Ana Rossi")
        app.get_by_label("Email").fill("ana@example.com")
        app.get_by_label("Phone").fill("+1 212 555 0100")
        app.get_by_role("button", name="Save business information").click()
        expect(app.locator(".badge-ready").first).to_have_text("Ready")
        _shoot(page, "2-business-info", shots)

        for wix_name, pos_name in (("Downtown", "Downtown"), ("Uptown Store", "Uptown")):
            row = _row(app, wix_name)
            row.locator("summary").click()
            expect(row.get_by_label("POS location")).to_have_text(re.compile(rf"{pos_name}.*\(suggested\)"))
            row.get_by_role("button", name="Pair").click()
            expect(_row(app, wix_name).locator(".row-pair")).to_have_text(f"→ {pos_name}")
        downtown = _row(app, "Downtown")
        expect(downtown.locator("summary .badge")).to_have_text("Ready")
        downtown.locator("summary").click()
        # Opening the row reads the Wix menus a first sync will archive, and the sync state.
        expect(downtown.locator(".notice")).to_contain_text("Old Wix Menu")
        expect(downtown.locator(".sync-status")).to_contain_text("Never synced")
        _shoot(page, "3-paired", shots)

        menus = downtown.locator("fieldset input[type=checkbox]")
        assert menus.count() >= 1
        downtown.get_by_role("button", name="Save menus").click()
        downtown = _row(app, "Downtown")
        expect(app.locator(".flash-ok")).to_contain_text("Saved the menus")

        downtown.get_by_role("button", name="Preview next sync").click()
        expect(downtown.locator(".preview")).to_contain_text(re.compile(r"\d+ created · \d+ updated · \d+ removed"))
        _shoot(page, "4-preview", shots)

        downtown.get_by_role("button", name="Sync now").click()
        downtown = _row(app, "Downtown")
        expect(downtown.locator(".sync-status")).to_contain_text("Synced", timeout=30_000)
        expect(downtown.locator(".notice")).to_have_count(0)  # the first-sync warning is past
        downtown.get_by_role("button", name="Sync history").click()
        expect(downtown.locator(".history")).to_contain_text("Synced")
        _shoot(page, "5-synced", shots)

        live = wixsim.live_catalog(site.configurations[0]["catalogId"])
        names = {item["name"] for item in live["items"]}
        assert {item["name"] for item in merchant.document["items"]} <= names
        old = [menu for menu in live["menus"] if menu["name"] == "Old Wix Menu"]
        assert old and all(menu["archived"] for menu in old)  # as the page warned

        uptown = _row(app, "Uptown Store")
        uptown.locator("summary").click()
        uptown.get_by_role("button", name="Unpair").click()
        expect(_row(app, "Uptown Store").locator("summary .badge")).to_have_text("Setup needed")
        _shoot(page, "6-unpaired", shots)
        conf = site.configurations[1]["id"]
        assert configuration_status(db, site.instance_id, merchant.pos_id, conf).status == "PENDING"

        # Opened again (as Wix does, a fresh instance): the kitchen and stock cards; a choice 86ed for an hour.
        page.goto(f"{host}/_sim/dashboard/{site.instance_id}")
        app = page.frame_locator("#app")
        expect(app.get_by_role("heading", name="Kitchen")).to_be_visible()
        card = app.locator("#stock")
        card.get_by_label("Search the menu").fill("bacon")
        bacon = card.locator('[data-choice="var-bacon"]')
        expect(bacon).to_contain_text("in stock")
        expect(card.locator("[data-item]")).to_have_count(0)  # no dish matches "bacon": only the choice
        bacon.get_by_label("For how long").select_option("1h")
        bacon.get_by_role("button", name="86").click()
        expect(card.locator(".flash-ok")).to_contain_text("Bacon is 86ed until")
        expect(card.locator('[data-choice="var-bacon"]')).to_contain_text("86ed until")
        card.scroll_into_view_if_needed()
        _shoot(page, "8-stock-choice-86ed", shots)
        with db.transaction(write=False) as s:
            out = s.scalar(
                select(ChoiceStock.out_until)
                .join(Variation, Variation.id == ChoiceStock.variation_id)
                .join(MerchantRow, MerchantRow.id == Variation.merchant_id)
                .where(MerchantRow.pos_id == merchant.pos_id, Variation.pos_id == "var-bacon")
            )
            assert out is not None  # 86ed, until an hour from now
        assert errors == [], "\n".join(errors)
        page.close()


def test_new_generation_site_pairs_a_business_location_and_syncs_in_the_browser(
    wixsim: WixSimClient,
    posbridge_url: str,
    make_merchant: Callable[[], Merchant],
    tmp_path: Path,
) -> None:
    shots = repo_root() / os.environ[SHOTS_ENV] if os.environ.get(SHOTS_ENV) else tmp_path
    merchant = make_merchant()
    site = wixsim.create_site(
        generation="new", locations=["Downtown", "Uptown Store"], dashboard_url=f"{posbridge_url}/dashboard"
    )
    host = wixsim.base_url.replace("127.0.0.1", "localhost")
    with chromium() as browser:
        page = browser.new_page(viewport={"width": 1200, "height": 1000})  # type: ignore[attr-defined]
        errors: list[str] = []
        page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
        page.goto(f"{host}/_sim/dashboard/{site['instanceId']}")
        app = page.frame_locator("#app")
        connect_with_business_info(app, merchant.api_key)
        expect(app.get_by_text("Business locations (Wix Restaurants)")).to_be_visible()
        downtown = _row(app, "Downtown")
        downtown.locator("summary").click()
        expect(downtown.get_by_label("POS location")).to_have_text(re.compile(r"Downtown.*\(suggested\)"))
        downtown.get_by_role("button", name="Pair").click()
        downtown = _row(app, "Downtown")
        expect(downtown.locator("summary .badge")).to_have_text("Ready")
        downtown.get_by_role("button", name="Sync now").click()
        downtown = _row(app, "Downtown")
        expect(downtown.locator(".sync-status")).to_contain_text("Synced", timeout=30_000)
        _shoot(page, "7-new-generation-synced", shots)
        location = next(loc for loc in wixsim.site_menus(site["instanceId"])["locations"] if loc["name"] == "Downtown")
        assert location["menus"], "the POS menus are in Wix's Menus API for that business location"
        assert errors == [], "\n".join(errors)
        page.close()
