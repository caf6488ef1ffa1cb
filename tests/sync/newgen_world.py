"""A new-generation tenant for tests: a genmenu merchant imported into posbridge, paired with a business
location of a wixsim site running Wix Restaurants (New)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from posbridge.config import Settings
from posbridge.pos.importer import import_menu
from posbridge.services.syncing import request_sync
from posbridge.store.db import Database
from posbridge.store.models import (
    Account,
    Configuration,
    ConfigurationMenu,
    Instance,
    Location,
    Menu,
    Merchant,
    Sync,
)
from posbridge.store.types import utcnow
from posbridge.sync.runner import run_sync
from posbridge.wix.client import WixClient
from posbridge.wix.generation import Generation
from tests.pos.menu_documents import generated_document
from wixsim.client import WixSimClient


@dataclass
class NewGenWorld:
    """One tenant on a new-generation site: its POS merchant and location, and the business location paired."""

    db: Database
    settings: Settings
    sim: WixSimClient
    client: WixClient
    document: dict[str, Any]
    instance_id: str
    account_id: str
    business_location_id: str
    other_location_id: str
    configuration: int
    merchant: int
    location: int

    def request(self, trigger: str = "CLI") -> Sync:
        """Record (or join) a PENDING sync of the paired business location."""
        return request_sync(self.db, self.instance_id, self.account_id, self.business_location_id, trigger)

    def sync(self, trigger: str = "CLI", **kwargs: Any) -> Sync:
        """Request and run a sync to its end; the finished Sync row."""
        sync = self.request(trigger)
        run_sync(self.db, self.settings, self.configuration, client=self.client, **kwargs)
        return self.row(sync.id)

    def row(self, sync_id: int) -> Sync:
        """A Sync row as stored now."""
        with self.db.transaction(write=False) as session:
            found = session.get(Sync, sync_id)
            assert found is not None
            return found

    def tree(self) -> dict[str, Any]:
        """wixsim's menu tree of the paired business location."""
        site = self.sim.site_menus(self.instance_id)
        return next(loc for loc in site["locations"] if loc["id"] == self.business_location_id)

    def entities(self) -> dict[str, list[dict[str, Any]]]:
        """Every Menus API entity of the site, as the API returns them."""
        return self.sim.site_menus(self.instance_id)["entities"]

    def counts(self) -> dict[str, int]:
        """Wix calls this tenant made, per endpoint name, since the log was last cleared."""
        return self.sim.request_counts(self.instance_id)


def build_newgen_world(
    db: Database,
    settings: Settings,
    sim: WixSimClient,
    *,
    items: int = 40,
    menus: int = 2,
    seed: int = 1,
    wix_menus: dict[str, Any] | None = None,
    client: WixClient | None = None,
) -> NewGenWorld:
    """Import a genmenu merchant, create a new-generation wixsim site of two locations, pair the first."""
    document = generated_document(items, 2, menus, seed=seed)
    document["merchant"]["id"] = f"m-{uuid.uuid4().hex[:10]}"
    import_menu(db, document)
    spec: dict[str, Any] = {"generation": "new", "locations": 2}
    if wix_menus is not None:
        spec["menus"] = wix_menus
    site = sim.create_site(**spec)
    instance_id = site["instanceId"]
    business_location, other = site["locations"][0]["id"], site["locations"][1]["id"]
    with db.transaction() as session:
        merchant = session.scalar(select(Merchant).where(Merchant.pos_id == document["merchant"]["id"]))
        assert merchant is not None
        location = session.scalar(
            select(Location).where(Location.merchant_id == merchant.id, Location.pos_id == "loc-1")
        )
        assert location is not None
        menu_rows = list(session.scalars(select(Menu).where(Menu.merchant_id == merchant.id).order_by(Menu.pos_id)))
        session.add(Instance(id=instance_id))
        session.flush()
        account = Account(instance_id=instance_id, account_id=f"acct-{uuid.uuid4().hex[:8]}", merchant_id=merchant.id)
        session.add(account)
        session.flush()
        configuration = Configuration(
            instance_id=instance_id,
            wix_id=business_location,
            generation=Generation.NEWGEN,
            account_pk=account.id,
            location_id=location.id,
            paired_at=utcnow(),
        )
        configuration.selected_menus = [ConfigurationMenu(menu_id=m.id, position=n) for n, m in enumerate(menu_rows)]
        session.add(configuration)
        session.flush()
        ids = (account.account_id, configuration.id, merchant.id, location.id)
    return NewGenWorld(
        db=db,
        settings=settings,
        sim=sim,
        client=client or WixClient(settings, db),
        document=document,
        instance_id=instance_id,
        account_id=ids[0],
        business_location_id=business_location,
        other_location_id=other,
        configuration=ids[1],
        merchant=ids[2],
        location=ids[3],
    )
