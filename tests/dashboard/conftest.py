"""Fixtures for the dashboard page: wixsim plays Wix's dashboard, posbridge serves the page, both over real HTTP."""

from __future__ import annotations

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


@pytest.fixture()
def page_client(posbridge_url: str) -> Iterator[httpx.Client]:
    """Plain HTTP at the page (the security tests)."""
    with httpx.Client(base_url=posbridge_url, timeout=30) as client:
        yield client


def repo_root() -> Path:
    """The checkout's top folder (screenshots go under docs/screenshots/)."""
    return Path(__file__).resolve().parents[2]
