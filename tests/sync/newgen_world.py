"""A new-generation tenant for tests: a genmenu merchant imported into posbridge, paired with a business
location of a wixsim site running Wix Restaurants (New)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from posbridge.config import Settings
from posbridge.store.db import Database
from posbridge.wix.client import WixClient
from posbridge.wix.generation import Generation
from tests.sync.world import TenantWorld, import_merchant, pair
from wixsim.client import WixSimClient


@dataclass(kw_only=True)
class NewGenWorld(TenantWorld):
    """One tenant on a new-generation site: the business location paired, and the site's other one."""

    trigger: ClassVar[str] = "CLI"  # no Sync Catalog button in Wix: syncs start from posbridge

    business_location_id: str
    other_location_id: str

    @property
    def paired_wix_id(self) -> str:
        return self.business_location_id

    def tree(self) -> dict[str, Any]:
        """wixsim's menu tree of the paired business location."""
        site = self.sim.site_menus(self.instance_id)
        return next(loc for loc in site["locations"] if loc["id"] == self.business_location_id)

    def entities(self) -> dict[str, list[dict[str, Any]]]:
        """Every Menus API entity of the site, as the API returns them."""
        return self.sim.site_menus(self.instance_id)["entities"]


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
    document = import_merchant(db, items=items, locations=2, menus=menus, seed=seed)
    spec: dict[str, Any] = {"generation": "new", "locations": 2}
    if wix_menus is not None:
        spec["menus"] = wix_menus
    site = sim.create_site(**spec)
    business_location, other = site["locations"][0]["id"], site["locations"][1]["id"]
    shared = pair(
        db, settings, sim, client, document, site["instanceId"], wix_id=business_location, generation=Generation.NEWGEN
    )
    return NewGenWorld(**shared, business_location_id=business_location, other_location_id=other)
