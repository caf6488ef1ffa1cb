"""SPI test fixtures: a posbridge server with a recording job queue, signed calls, tenants and row counts."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from posbridge.app import create_app
from posbridge.config import Settings
from posbridge.store.db import Database
from posbridge.store.models import (
    Account,
    Base,
    Configuration,
    ConfigurationMenu,
    Instance,
    Location,
    Menu,
    Merchant,
)
from tests.support.fixtures_pos import CONTACT
from tests.support.server import serve_in_thread
from tests.support.signer import TestSigner

SPI = "/wix/pos-spi"


@dataclass
class RecordingQueue:
    """Stands in for `app.state.jobs`: remembers which configurations it was asked to sync."""

    calls: list[int] = field(default_factory=list)
    outbound: list[int] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def enqueue_sync(self, configuration_pk: int) -> None:
        """Record the wake-up."""
        with self.lock:
            self.calls.append(configuration_pk)

    def enqueue_outbound(self, job_id: int) -> None:
        """Record the wake-up of an outbound job."""
        with self.lock:
            self.outbound.append(job_id)


@dataclass
class SpiServer:
    """A running posbridge whose job queue is a recorder."""

    url: str
    jobs: RecordingQueue


@pytest.fixture(scope="session")
def spi_server(settings: Settings, db: Database) -> Iterator[SpiServer]:
    """posbridge over real HTTP with a recording queue (set after startup so it wins over any real one)."""
    app = create_app(settings, db)
    jobs = RecordingQueue()
    with serve_in_thread(app) as url:
        app.state.jobs = jobs
        yield SpiServer(url, jobs)


@pytest.fixture()
def spi(spi_server: SpiServer) -> Iterator[httpx.Client]:
    """An HTTP client aimed at the SPI server."""
    with httpx.Client(base_url=spi_server.url, timeout=30) as client:
        yield client


def signed_call(
    client: httpx.Client,
    signer: TestSigner,
    suffix: str,
    request: dict[str, Any],
    instance_id: str,
    *,
    prefix: str = SPI,
    metadata: dict[str, Any] | None = None,
    **claim_overrides: Any,
) -> httpx.Response:
    """POST a validly signed envelope to an SPI method, as Wix does."""
    meta = metadata if metadata is not None else signer.metadata(instance_id)
    token = signer.sign(signer.claims(request, meta, **claim_overrides))
    return client.post(f"{prefix}/{suffix}", content=token, headers={"Content-Type": "text/plain"})


def assert_wix_error(response: httpx.Response, status: int, code: str | None = None) -> dict[str, Any]:
    """The response is a Wix-shaped error with this status (and code)."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    app_error = body["applicationError"]
    assert body["details"]["applicationError"]["code"] == app_error["code"]
    assert isinstance(body["message"], str) and body["message"]
    errors = app_error["data"]["errors"]
    assert errors and errors[0]["code"] == app_error["code"]
    assert all(set(e) == {"code", "message", "params"} for e in errors)
    if code is not None:
        assert app_error["code"] == code
    return body


def table_counts(db: Database) -> dict[str, int]:
    """Row count of every table, in one query."""
    tables = Base.metadata.sorted_tables
    query = select(*[select(func.count()).select_from(t).scalar_subquery().label(t.name) for t in tables])
    with db.transaction(write=False) as session:
        row = session.execute(query).one()
    return dict(row._mapping)


@dataclass(frozen=True)
class Tenant:
    """Rows of one connected site: ids as Wix sees them plus surrogate keys."""

    instance_id: str
    account_id: str
    configuration_id: str
    account_pk: int
    configuration_pk: int
    location_pk: int
    merchant_pk: int


def make_tenant(
    db: Database,
    instance_id: str,
    *,
    paired: bool = True,
    menus: bool = True,
    location_active: bool = True,
    authorized: bool = True,
    account_status: str = "ACTIVE",
) -> Tenant:
    """An instance with a connected account and one configuration, paired and with a menu by default."""
    tag = uuid.uuid4().hex[:10]
    with db.transaction() as session:
        if session.get(Instance, instance_id) is None:
            session.add(Instance(id=instance_id))
        merchant = Merchant(pos_id=f"m-{tag}", name="Trattoria", currency="USD")
        session.add(merchant)
        session.flush()
        account = Account(
            instance_id=instance_id,
            account_id=f"acct-{tag}",
            merchant_id=merchant.id,
            status=account_status,
            authorized=authorized,
            **CONTACT,
        )
        location = Location(
            merchant_id=merchant.id, pos_id=f"loc-{tag}", name="Main St", timezone="UTC", active=location_active
        )
        menu = Menu(merchant_id=merchant.id, pos_id=f"menu-{tag}", name="Dinner")
        session.add_all([account, location, menu])
        session.flush()
        configuration = Configuration(
            instance_id=instance_id,
            wix_id=f"conf-{tag}",
            account_pk=account.id if paired else None,
            location_id=location.id if paired else None,
        )
        session.add(configuration)
        session.flush()
        if menus:
            session.add(ConfigurationMenu(configuration_id=configuration.id, menu_id=menu.id))
        return Tenant(
            instance_id=instance_id,
            account_id=account.account_id,
            configuration_id=configuration.wix_id,
            account_pk=account.id,
            configuration_pk=configuration.id,
            location_pk=location.id,
            merchant_pk=merchant.id,
        )
