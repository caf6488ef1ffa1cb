"""A synced tenant for tests and benchmarks: a genmenu merchant imported into posbridge, paired with a wixsim site.

TenantWorld and pair() are what both generations share; newgen_world.py builds the new-generation one."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any, ClassVar

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
    Item,
    Location,
    Menu,
    Merchant,
    Sync,
    SyncIdMap,
)
from posbridge.store.types import utcnow
from posbridge.sync.runner import ProgressCallback, run_sync
from posbridge.wix.client import WixClient
from tests.pos.menu_documents import generated_document
from tests.support.fixtures_pos import CONTACT
from wixsim.client import WixSimClient


@dataclass(kw_only=True)
class TenantWorld:
    """What every test tenant has, either generation: its POS merchant, location and menus, its Wix site
    and the Configuration pairing them, and a Wix client for it."""

    trigger: ClassVar[str] = "WIX"  # who asks for a sync unless a test says otherwise

    db: Database
    settings: Settings
    sim: WixSimClient
    client: WixClient
    document: dict[str, Any]
    instance_id: str
    account_id: str
    configuration: int
    merchant: int
    location: int
    menus: list[int] = field(default_factory=list)

    @property
    def paired_wix_id(self) -> str:
        """The Wix id of what the location is paired with (Configuration.wix_id)."""
        raise NotImplementedError

    def request(self, trigger: str | None = None) -> Sync:
        """Record (or join) a PENDING sync of the pairing."""
        return request_sync(self.db, self.instance_id, self.account_id, self.paired_wix_id, trigger or self.trigger)

    def sync(self, trigger: str | None = None, progress: ProgressCallback | None = None, **kwargs: Any) -> Sync:
        """Request and run a sync to its end; the finished Sync row."""
        sync = self.request(trigger)
        run_sync(self.db, self.settings, self.configuration, client=self.client, progress=progress, **kwargs)
        return self.row(sync.id)

    def row(self, sync_id: int) -> Sync:
        """A Sync row as stored now."""
        with self.db.transaction(write=False) as session:
            found = session.get(Sync, sync_id)
            assert found is not None
            return found

    def counts(self) -> dict[str, int]:
        """Wix calls this tenant made, per endpoint name, since the log was last cleared."""
        return self.sim.request_counts(self.instance_id)


@dataclass(kw_only=True)
class SyncWorld(TenantWorld):
    """A legacy tenant: its Wix site's configuration and catalog (Catalogs v3)."""

    configuration_wix_id: str
    catalog_id: str

    @property
    def paired_wix_id(self) -> str:
        return self.configuration_wix_id

    def live(self) -> dict[str, Any]:
        """The live catalog as wixsim holds it, entities by id."""
        content = self.sim.live_catalog(self.catalog_id)
        return {kind: {e["id"]: e for e in content[kind]} for kind in ("menus", "sections", "items")}

    def id_map(self) -> dict[tuple[str, int], SyncIdMap]:
        """The catalog's id map rows by (kind, POS ref)."""
        with self.db.transaction(write=False) as session:
            rows = session.scalars(select(SyncIdMap).where(SyncIdMap.catalog_id == self.catalog_id))
            return {(r.kind, r.pos_ref): r for r in rows}

    def item(self, pos_id: str) -> Item:
        """A POS item of the merchant by its POS id."""
        with self.db.transaction(write=False) as session:
            found = session.scalar(select(Item).where(Item.merchant_id == self.merchant, Item.pos_id == pos_id))
            assert found is not None
            return found


def import_merchant(db: Database, *, items: int, locations: int, menus: int, seed: int) -> dict[str, Any]:
    """Import a genmenu merchant under a fresh POS id; its document."""
    document = generated_document(items, locations, menus, seed=seed)
    document["merchant"]["id"] = f"m-{uuid.uuid4().hex[:10]}"
    import_menu(db, document)
    return document


def pair(
    db: Database,
    settings: Settings,
    sim: WixSimClient,
    client: WixClient | None,
    document: dict[str, Any],
    instance_id: str,
    **configuration: Any,
) -> dict[str, Any]:
    """Pair the merchant's loc-1 (all its menus selected) with the site through a Configuration of the given
    columns; the fields every TenantWorld shares."""
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
        account = Account(
            instance_id=instance_id, account_id=f"acct-{uuid.uuid4().hex[:8]}", merchant_id=merchant.id, **CONTACT
        )
        session.add(account)
        session.flush()
        row = Configuration(
            instance_id=instance_id, account_pk=account.id, location_id=location.id, paired_at=utcnow(), **configuration
        )
        row.selected_menus = [ConfigurationMenu(menu_id=m.id, position=n) for n, m in enumerate(menu_rows)]
        session.add(row)
        session.flush()
        return {
            "db": db,
            "settings": settings,
            "sim": sim,
            "client": client or WixClient(settings, db),
            "document": document,
            "instance_id": instance_id,
            "account_id": account.account_id,
            "configuration": row.id,
            "merchant": merchant.id,
            "location": location.id,
            "menus": [m.id for m in menu_rows],
        }


def build_world(
    db: Database,
    settings: Settings,
    sim: WixSimClient,
    *,
    items: int = 60,
    locations: int = 2,
    menus: int = 2,
    seed: int = 1,
    wix_catalog: dict[str, Any] | None = None,
    client: WixClient | None = None,
) -> SyncWorld:
    """Import a genmenu merchant, create a wixsim site (optionally with pre-existing Wix menus), pair them."""
    document = import_merchant(db, items=items, locations=locations, menus=menus, seed=seed)
    spec: dict[str, Any] = {"name": "Downtown", "location_id": f"wix-loc-{uuid.uuid4().hex[:8]}"}
    if wix_catalog is not None:
        spec["catalog"] = wix_catalog
    site = sim.create_site(configurations=[spec])
    wix_conf = site["configurations"][0]
    shared = pair(
        db, settings, sim, client, document, site["instanceId"], wix_id=wix_conf["id"], catalog_id=wix_conf["catalogId"]
    )
    return SyncWorld(**shared, configuration_wix_id=wix_conf["id"], catalog_id=wix_conf["catalogId"])
