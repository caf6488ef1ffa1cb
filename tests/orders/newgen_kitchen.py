"""A new-generation kitchen for tests and the benchmark: posbridge served over HTTP with its job worker, wixsim as Wix.

posbridge holds a synced genmenu merchant paired with a business location of a new-generation wixsim
site whose webhook URL points at posbridge, so a wixsim eCommerce checkout sends `order_approved` to
posbridge, a kitchen action travels posbridge's job queue to wixsim's eCom Order Fulfillments and
Orders APIs, and a cancel in Wix's dashboard comes back as a signed webhook.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import httpx
from sqlalchemy import delete, select, update

from posbridge.app import create_app
from posbridge.config import Settings
from posbridge.store.db import Database
from posbridge.store.models import Menu, OrderRow, Stock
from tests.conftest import ADMIN_TOKEN
from tests.orders.kitchen_world import ServedKitchen
from tests.support.server import serve_in_thread
from tests.sync.newgen_world import NewGenWorld, build_newgen_world
from wixsim.client import WixSimClient

BUYER = {"email": "ada@example.com", "firstName": "Ada", "lastName": "Lovelace", "phone": "+1 555 0100"}


@dataclass
class NewGenKitchen(ServedKitchen):
    """One new-generation tenant, its posbridge server (admin API client) and wixsim."""

    site: NewGenWorld

    @property
    def instance_id(self) -> str:
        """The tenant's Wix instance id."""
        return self.site.instance_id

    def simple_line(self) -> dict[str, Any]:
        """One dish of the paired location that needs no choice (no price variants, no modifier groups)."""
        for item in self.site.entities()["items"]:
            if not item.get("priceVariants") and not item.get("modifierGroups"):
                return {"itemId": item["id"], "quantity": 2}
        raise AssertionError("no simple dish in the menu")

    def checkout(self, line: dict[str, Any] | None = None) -> dict[str, Any]:
        """A customer's eCommerce checkout at the paired business location (Wix approves it)."""
        lines = [line or self.simple_line()]
        result = self.sim.ecom_checkout(self.instance_id, self.site.business_location_id, lines, buyer=BUYER)
        assert result["outcome"] == "APPROVED", result
        return result

    def pos_order_id(self, wix_order_id: str) -> str:
        """posbridge's id of the order Wix handed over (exactly one such order)."""
        with self.site.db.transaction(write=False) as session:
            [found] = session.scalars(select(OrderRow.pos_order_id).where(OrderRow.wix_order_id == wix_order_id))
            return str(found)

    def orders_of(self, wix_order_id: str) -> list[OrderRow]:
        """posbridge's orders for one eCommerce order (never more than one)."""
        with self.site.db.transaction(write=False) as session:
            return list(session.scalars(select(OrderRow).where(OrderRow.wix_order_id == wix_order_id)))

    def fulfillments(self, wix_order_id: str) -> list[dict[str, Any]]:
        """The eCommerce order's fulfillments at Wix."""
        return list(self.sim.order(wix_order_id)["fulfillments"])

    def fulfillment_status(self, wix_order_id: str) -> str | None:
        """The status of the order's one fulfillment at Wix (None before there is one; never two)."""
        fulfillments = self.fulfillments(wix_order_id)
        assert len(fulfillments) <= 1, fulfillments  # one fulfillment for the whole order, never a second
        return fulfillments[0].get("status") if fulfillments else None

    def wix_status(self, wix_order_id: str) -> str:
        """The eCommerce order's status at Wix."""
        return str(self.sim.order(wix_order_id)["order"]["status"])


@contextmanager
def running_newgen_kitchen(
    settings: Settings, db: Database, sim: WixSimClient, *, items: int = 12
) -> Iterator[NewGenKitchen]:
    """Serve posbridge, build and sync a new-generation tenant, and point its wixsim site at posbridge."""
    with serve_in_thread(create_app(settings, db)) as url:
        site = build_newgen_world(db, settings, sim, items=items, menus=1)
        with db.transaction() as session:  # every dish orderable whenever, and as often as, the test runs
            session.execute(update(Menu).where(Menu.merchant_id == site.merchant).values(availability=None))
            session.execute(delete(Stock).where(Stock.location_id == site.location))
        assert site.sync().status == "SYNCED"
        sim.update_site(site.instance_id, webhook_url=f"{url}/wix/webhooks")
        headers = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
        with httpx.Client(base_url=url, headers=headers, timeout=60) as admin:
            try:
                yield NewGenKitchen(site=site, url=url, admin=admin, sim=sim)
            finally:
                site.client.close()
