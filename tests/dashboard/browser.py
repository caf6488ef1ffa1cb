"""Debian's Chromium driven by Playwright (never a downloaded browser), for the dashboard journey."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]


@contextmanager
def chromium() -> Iterator[object]:
    """A headless Chromium; the test is skipped with the reason when the machine has none (scripts/ensure-chromium)."""
    playwright_api = pytest.importorskip("playwright.sync_api")
    if not CHROMIUM.exists() and shutil.which("chromium") is None:
        pytest.skip("Chromium is not installed: run scripts/ensure-chromium")
    with playwright_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=ARGS)
        try:
            yield browser
        finally:
            browser.close()


def connect_with_business_info(app: Any, api_key: str) -> None:
    """In the page's frame: connect the POS account by its API key and save the business information."""
    from playwright.sync_api import expect

    app.get_by_label("API key").fill(api_key)
    app.get_by_role("button", name="Connect").click()
    app.get_by_label("Contact name").fill("Ana Rossi")
    app.get_by_label("Email").fill("ana@example.com")
    app.get_by_label("Phone").fill("+1 212 555 0100")
    app.get_by_role("button", name="Save business information").click()
    expect(app.locator(".flash-ok")).to_have_text("Business information saved.")  # the new panel is in
