"""The page's swaps in a real browser, with the interleavings a busy machine makes forced on purpose."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from playwright.sync_api import FrameLocator, Page, Route, expect

from tests.dashboard.browser import connect_with_business_info
from tests.dashboard.conftest import Merchant, Site
from wixsim.client import WixSimClient


@contextmanager
def _dashboard(
    browser: Any, wixsim: WixSimClient, site: Site, merchant: Merchant
) -> Iterator[tuple[Page, FrameLocator]]:
    """Wix's dashboard around the page, the POS account connected with its business information."""
    context = browser.new_context(viewport={"width": 1200, "height": 1000})
    try:
        page = context.new_page()
        page.goto(f"{wixsim.base_url.replace('127.0.0.1', 'localhost')}/_sim/dashboard/{site.instance_id}")
        app = page.frame_locator("#app")
        connect_with_business_info(app, merchant.api_key)
        yield page, app
    finally:
        context.close()


def _row(app: FrameLocator, name: str) -> Any:
    return app.locator("details.row", has=app.locator(".row-name", has_text=name))


def _app_frame(page: Page) -> Any:
    return next(f for f in page.frames if f.url.startswith(("http://127.0.0.1", "http://[::1]")))


@pytest.mark.slow
def test_a_form_swapped_in_is_live_the_moment_it_shows(
    wixsim: WixSimClient, make_site: Callable[..., Site], make_merchant: Callable[[], Merchant], browser: Any
) -> None:
    with _dashboard(browser, wixsim, make_site(), make_merchant()) as (page, app):
        downtown = _row(app, "Downtown")
        downtown.locator("summary").click()
        expect(downtown).to_have_attribute("open", "")
        # The merchant's next click lands right after the panel is swapped, before the browser runs
        # anything else: what a loaded machine does when it is slow to run htmx's settle timer.
        downtown.evaluate(
            """details => details.ownerDocument.addEventListener('htmx:afterSwap', () => queueMicrotask(() => {
                const uptown = [...details.ownerDocument.querySelectorAll('details.row')]
                    .find(row => row.querySelector('.row-name').textContent.includes('Uptown Store'));
                [...uptown.querySelectorAll('button')].find(b => b.textContent.trim() === 'Pair').click();
            }), {once: true})"""
        )
        downtown.get_by_role("button", name="Pair").click()
        expect(_row(app, "Uptown Store").locator(".row-pair")).to_have_text("→ Uptown")
        expect(_row(app, "Downtown").locator(".row-pair")).to_have_text("→ Downtown")
        assert "csrf" not in _app_frame(page).url  # htmx posted it: no native submission left the page


@pytest.mark.slow
def test_a_row_opened_while_the_panel_is_on_its_way_stays_open(
    wixsim: WixSimClient, make_site: Callable[..., Site], make_merchant: Callable[[], Merchant], browser: Any
) -> None:
    with _dashboard(browser, wixsim, make_site(), make_merchant()) as (page, app):
        downtown, uptown = _row(app, "Downtown"), _row(app, "Uptown Store")
        downtown.locator("summary").click()
        expect(downtown).to_have_attribute("open", "")
        held: list[Route] = []
        page.context.route("**/configurations/*/pair", lambda route: held.append(route))
        downtown.get_by_role("button", name="Pair").click()
        for _ in range(200):  # Playwright hands the paused request over while it waits
            if held:
                break
            page.wait_for_timeout(25)
        assert held, "the pair request never reached the route"
        uptown.locator("summary").click()  # the merchant opens another row while Pair is on its way
        expect(uptown).to_have_attribute("open", "")
        held[0].continue_()
        page.context.unroute("**/configurations/*/pair")
        expect(downtown.locator(".row-pair")).to_have_text("→ Downtown")
        expect(uptown).to_have_attribute("open", "")  # the re-rendered panel did not close it
        expect(downtown).to_have_attribute("open", "")  # the row acted on, opened by the server
        uptown.get_by_role("button", name="Pair").click()  # visible: the merchant goes on in the row
        expect(_row(app, "Uptown Store").locator(".row-pair")).to_have_text("→ Uptown")
