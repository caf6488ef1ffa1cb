"""A kitchen world for tests and the benchmark: posbridge served over HTTP with its own job worker, wixsim as Wix.

posbridge holds a synced genmenu merchant paired with a wixsim site whose SPI and webhook URLs point
at posbridge, so a wixsim checkout creates the order in both, a kitchen action travels posbridge's
job queue to wixsim's Orders API, and a change in Wix's dashboard comes back as a signed webhook.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from types import TracebackType
from typing import Any

import httpx
from sqlalchemy import delete, select, update

from posbridge.app import create_app
from posbridge.config import Settings
from posbridge.services import outbound
from posbridge.store.db import Database
from posbridge.store.models import Menu, OutboundJob, Stock
from posbridge.store.types import utcnow
from posbridge.wix.client import WixClient
from posbridge.wix.retry import RetryPolicy
from tests.conftest import ADMIN_TOKEN, make_settings
from tests.support.server import serve_in_thread
from tests.support.signer import TestSigner
from tests.sync.world import SyncWorld, build_world
from wixsim.client import WixSimClient


@dataclass
class ServedKitchen:
    """A posbridge server (its URL, an admin API client) and wixsim: what both generations' kitchens share."""

    url: str
    admin: httpx.Client
    sim: WixSimClient

    def act(self, order_id: str, action: str, **body: Any) -> httpx.Response:
        """A kitchen action through the admin API."""
        return self.admin.post(f"/api/v1/orders/{order_id}/{action}", json=body or None)

    def order(self, order_id: str) -> dict[str, Any]:
        """posbridge's order as the admin API shows it."""
        response = self.admin.get(f"/api/v1/orders/{order_id}")
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body


class Clock:
    """Time that moves only when told (the job queue driven by hand)."""

    def __init__(self) -> None:
        self.now = utcnow()

    def __call__(self) -> datetime:
        return self.now


class HandQueue:
    """posbridge's job queue run by the test, on a `Clock`, with a Wix client that tries each call once:
    the queue's own backoff is what a failing push meets. A context manager (it closes the client)."""

    def __init__(self, settings: Settings, db: Database) -> None:
        self.settings, self.db = settings, db
        self.client = WixClient(settings, db, retry=RetryPolicy(max_attempts=1))
        self._clock: Clock | None = None

    @property
    def clock(self) -> Clock:
        """The queue's time: the real time when first asked (at the first run, after the test made its jobs, so
        they are due), and from then on only what `backoffs` moves it by."""
        if self._clock is None:
            self._clock = Clock()
        return self._clock

    def __enter__(self) -> HandQueue:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.client.close()

    def run(self, job: int) -> float | None:
        """Run the job once, now; the seconds until it is due again, or None (done, failed for good, or blocked)."""
        return outbound.run_job(self.db, self.settings, job, client=self.client, clock=self.clock)

    def backoffs(self, job: int) -> Iterator[float]:
        """Run the job until the queue stops trying it (at most MAX_ATTEMPTS times): each wait, after which the
        clock moves past it."""
        for _ in range(outbound.MAX_ATTEMPTS):
            wait = self.run(job)
            if wait is None:
                return
            yield wait
            self.clock.now += timedelta(seconds=wait)

    def states(self, ids: list[int]) -> list[tuple[str, int]]:
        """(status, attempts) of these jobs, by id."""
        with self.db.transaction(write=False) as session:
            rows = session.scalars(select(OutboundJob).where(OutboundJob.id.in_(ids)).order_by(OutboundJob.id))
            return [(r.status, r.attempts) for r in rows]


@dataclass
class Kitchen(ServedKitchen):
    """One tenant, its posbridge server (admin API client) and wixsim."""

    world: SyncWorld

    @property
    def instance_id(self) -> str:
        """The tenant's Wix instance id."""
        return self.world.instance_id

    def checkout(self, dishes: int = 1) -> dict[str, Any]:
        """A customer's pickup order through wixsim (Validate and Create Order against posbridge)."""
        live = self.world.live()["items"]
        picked = [d for d in live.values() if d["type"] == "DISH" and d["inStock"]]
        lines = [{"itemId": d["id"], "quantity": 1, "options": _default_choices(d)} for d in picked[:dishes]]
        result = self.sim.checkout(
            self.instance_id,
            self.world.configuration_wix_id,
            lines,
            fulfillment_type="PICKUP",
            customer={"firstName": "Ada", "lastName": "Lovelace", "phone": "+12125550100", "email": "ada@example.com"},
        )
        assert result["outcome"] == "CREATED", result
        return result

    def wix_status(self, wix_order_id: str) -> str:
        """The order's status at Wix."""
        return str(self.sim.order(wix_order_id)["order"]["status"])

    def wait_for_wix(self, wix_order_id: str, status: str, timeout: float = 30.0) -> float:
        """Wait until Wix's order has `status`; seconds waited."""
        return wait_until(lambda: self.wix_status(wix_order_id) == status, timeout)


def _default_choices(dish: dict[str, Any]) -> list[dict[str, Any]]:
    """The default (else the first) choice of each of the dish's selections."""
    picked = []
    for option in dish.get("dishOptions", {}).get("values", []):
        if option["type"] == "SELECTION":
            body = option["selection"]
            picked.append(
                {
                    "name": option["name"],
                    "choices": [body.get("defaultChoice") or body["availableChoices"][0]["itemId"]],
                }
            )
    return picked


def wait_until(condition: Callable[[], bool], timeout: float = 30.0, interval: float = 0.02) -> float:
    """Poll `condition` until true; seconds waited (fails the test at the timeout)."""
    started = time.monotonic()
    while not condition():
        if time.monotonic() - started > timeout:
            raise AssertionError(f"condition not met within {timeout} s")
        time.sleep(interval)
    return time.monotonic() - started


# Overrides for a kitchen whose POS goes down: a delivery is tried again within about a second
# (the job worker schedules follow-ups no sooner than that), not after 5 s, 10 s, 20 s ….
FAST_POS_RETRY: dict[str, Any] = {"pos_retry_first_seconds": 0.2, "pos_retry_max_seconds": 0.5}


def kitchen_settings(db: Database, signer: TestSigner, sim: WixSimClient, folder: Path, **overrides: Any) -> Settings:
    """posbridge's settings against this wixsim, with a real job queue (SQLite storage) and an in-process worker."""
    values: dict[str, Any] = {
        "wix_api_base": sim.base_url,
        "wix_app_id": sim.app_id,
        "wix_app_secret": sim.app_secret,
        "wix_public_key": sim.public_key_pem,
        "queue": "sqlite",
        "queue_path": str(folder / "queue.db"),
        "run_worker": True,
        "worker_threads": 2,
        "wix_retry_base_seconds": 0.05,
        "wix_retry_max_seconds": 20.0,
    }
    values.update(overrides)
    return make_settings(db.url, signer, **values)


@contextmanager
def running_kitchen(settings: Settings, db: Database, sim: WixSimClient, *, items: int = 12) -> Iterator[Kitchen]:
    """Serve posbridge, build and sync a tenant, and point its wixsim site at posbridge."""
    with serve_in_thread(create_app(settings, db)) as url:
        world = build_world(db, settings, sim, items=items, locations=1, menus=1)
        with db.transaction() as session:  # every dish orderable whenever, and as often as, the test runs
            session.execute(update(Menu).where(Menu.merchant_id == world.merchant).values(availability=None))
            session.execute(delete(Stock).where(Stock.location_id == world.location))
        assert world.sync().status == "SYNCED"
        sim.update_site(world.instance_id, provider_base_uri=f"{url}/wix/pos-spi", webhook_url=f"{url}/wix/webhooks")
        headers = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
        with httpx.Client(base_url=url, headers=headers, timeout=60) as admin:
            try:
                yield Kitchen(world=world, url=url, admin=admin, sim=sim)
            finally:
                world.client.close()
