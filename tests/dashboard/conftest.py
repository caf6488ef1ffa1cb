"""Fixtures for the dashboard page: wixsim plays Wix's dashboard, posbridge serves the page, both over real HTTP."""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from posbridge.app import create_app
from posbridge.config import Settings
from posbridge.pos.importer import import_menu
from posbridge.services.accounts import issue_api_key
from posbridge.store.db import Database
from tests.conftest import make_settings
from tests.pos.menu_documents import small_document
from tests.support.server import serve_in_thread
from tests.support.signer import TestSigner
from wixsim.client import WixSimClient

SESSION = "X-Dashboard-Session"  # the header carrying the page session (no cookie in a third-party iframe)
BUSINESS = {"contactName": "Ana Rossi", "contactEmail": "ana@example.com", "contactPhone": "+1 212 555 0100"}


@dataclass
class Merchant:
    """A POS merchant of the built-in POS with its API key (what `posbridge api-key` prints)."""

    pos_id: str
    api_key: str
    document: dict[str, Any]


@dataclass
class Site:
    """A Wix site (wixsim) whose dashboard page points at the posbridge under test."""

    instance_id: str
    configurations: list[dict[str, Any]]


@pytest.fixture(scope="module")
def dashboard_settings(
    db_url: str, signer: TestSigner, wixsim_server: WixSimClient, tmp_path_factory: pytest.TempPathFactory
) -> Settings:
    """posbridge aimed at wixsim, framable by wixsim's dashboard on localhost, with a real worker queue."""
    return make_settings(
        db_url,
        signer,
        wix_api_base=wixsim_server.base_url,
        wix_app_id=wixsim_server.app_id,
        wix_app_secret=wixsim_server.app_secret,
        wix_public_key=wixsim_server.public_key_pem,
        wix_retry_base_seconds=0.05,
        wix_retry_max_seconds=1.0,
        dashboard_frame_ancestors="http://localhost:*",
        queue="sqlite",
        queue_path=str(tmp_path_factory.mktemp("queue") / "queue.db"),
        run_worker=True,
        # The sync a merchant's edit in Wix requests runs a moment later, not after the usual 3 s: the
        # tests wait for what it does, not for how long it is put off (tests/jobs/test_debounce_timing.py).
        sync_debounce_seconds=0.1,
    )


@pytest.fixture(scope="module")
def posbridge_url(dashboard_settings: Settings, db: Database) -> Iterator[str]:
    """posbridge on 127.0.0.1 (a different site from wixsim's `localhost` page)."""
    with serve_in_thread(create_app(dashboard_settings, db)) as url:
        yield url


@pytest.fixture()
def make_merchant(db: Database) -> Callable[[], Merchant]:
    """Imports a fresh two-location merchant (Downtown, Uptown) and issues its API key."""

    def build() -> Merchant:
        document = small_document()
        import_menu(db, document)
        pos_id = document["merchant"]["id"]
        return Merchant(pos_id, issue_api_key(db, merchant_id=pos_id), document)

    return build


@pytest.fixture()
def make_site(wixsim: WixSimClient, posbridge_url: str) -> Callable[..., Site]:
    """A wixsim site with Wix locations named like the POS's, whose dashboard page is posbridge's."""

    def build(names: tuple[str, ...] = ("Downtown", "Uptown Store", "Airport Kiosk"), **catalog: Any) -> Site:
        specs = [{"name": name, "location_id": f"wix-loc-{uuid.uuid4().hex[:8]}", **catalog} for name in names]
        site = wixsim.create_site(configurations=specs, dashboard_url=f"{posbridge_url}/dashboard")
        return Site(site["instanceId"], site["configurations"])

    return build


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """One headless Chromium for a module's browser tests (launching costs about a second per test).

    Module, not session, scope: while Playwright's sync API is running, asyncio.run() in the same
    thread fails ("cannot be called from a running event loop"), so it must be gone before a worker
    runs another module's tests.
    """
    from tests.dashboard.browser import chromium

    with chromium() as launched:
        yield launched


@pytest.fixture()
def page_client(posbridge_url: str) -> Iterator[httpx.Client]:
    """Plain HTTP at the page (the security tests)."""
    with httpx.Client(base_url=posbridge_url, timeout=30) as client:
        yield client


def repo_root() -> Path:
    """The checkout's top folder (screenshots go under docs/screenshots/)."""
    return Path(__file__).resolve().parents[2]


# --- the page as its owner opens and uses it ------------------------------------------------------


def open_page(client: httpx.Client, sim: WixSimClient, instance_id: str, variant: str = "valid") -> httpx.Response:
    """`GET /dashboard` with an instance wixsim signs as Wix would (`variant`: forged, tampered, expired, …)."""
    return client.get("/dashboard" + sim.dashboard_url(instance_id, variant).split("/dashboard", 1)[1])


def tokens(page: httpx.Response) -> tuple[str, str]:
    """The page session and CSRF token an opened page carries."""
    session = re.search(r'"X-Dashboard-Session": "([^"]+)"', page.text)
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert session is not None and csrf is not None, page.text[:500]
    return session.group(1), csrf.group(1)


def connected(client: httpx.Client, sim: WixSimClient, instance_id: str, merchant: Merchant) -> tuple[str, str]:
    """The page opened and the merchant's API key typed: (session, csrf)."""
    page = open_page(client, sim, instance_id)
    assert page.status_code == 200
    session, csrf = tokens(page)
    answer = client.post(
        "/dashboard/account/connect", data={"csrf": csrf, "apiKey": merchant.api_key}, headers={SESSION: session}
    )
    assert answer.status_code == 200, answer.text
    return session, csrf


def ready(client: httpx.Client, sim: WixSimClient, instance_id: str, merchant: Merchant) -> tuple[str, str]:
    """Connected, and the business information complete (the account is ready): (session, csrf)."""
    session, csrf = connected(client, sim, instance_id, merchant)
    saved = client.post("/dashboard/account/business", data={"csrf": csrf, **BUSINESS}, headers={SESSION: session})
    assert saved.status_code == 200
    return session, csrf


def pair_location(client: httpx.Client, session: str, csrf: str, configuration_id: str) -> httpx.Response:
    """The merchant pairs the Wix location (a new-generation business location) with the POS's loc-1."""
    return client.post(
        f"/dashboard/configurations/{configuration_id}/pair",
        data={"csrf": csrf, "locationId": "loc-1", "configurationId": configuration_id},
        headers={SESSION: session},
    )


def wait_for_sync(client: httpx.Client, session: str, configuration_id: str, seconds: float = 30) -> httpx.Response:
    """The row's sync state once it has ended (Synced or Failed), polled as the page polls it.

    The server's worker runs the sync; nothing here to inject a clock into, so this waits in real time.
    """
    url, headers = f"/dashboard/configurations/{configuration_id}/sync", {SESSION: session}
    deadline = time.monotonic() + seconds
    state = client.get(url, headers=headers)
    while "Synced" not in state.text and "Failed" not in state.text and time.monotonic() < deadline:
        assert 'hx-trigger="every 1s"' in state.text  # still waiting or running: the page keeps polling
        time.sleep(0.1)
        state = client.get(url, headers=headers)
    return state


@dataclass
class Paired:
    """A site whose owner has connected the merchant, completed the business information and paired the
    site's first Wix location with the POS's loc-1 (Downtown)."""

    site: Site
    merchant: Merchant
    session: str
    csrf: str
    conf: str  # the paired Wix configuration id

    @property
    def headers(self) -> dict[str, str]:
        """What every request of the page carries."""
        return {SESSION: self.session}


@pytest.fixture()
def paired(
    page_client: httpx.Client,
    wixsim: WixSimClient,
    make_site: Callable[..., Site],
    make_merchant: Callable[[], Merchant],
) -> Paired:
    """A fresh site and merchant, ready and paired through the page itself (each step checked)."""
    site, merchant = make_site(), make_merchant()
    session, csrf = ready(page_client, wixsim, site.instance_id, merchant)
    conf = site.configurations[0]["id"]
    answer = page_client.post(
        f"/dashboard/configurations/{conf}/pair", data={"csrf": csrf, "locationId": "loc-1"}, headers={SESSION: session}
    )
    assert answer.status_code == 200
    return Paired(site, merchant, session, csrf, conf)
