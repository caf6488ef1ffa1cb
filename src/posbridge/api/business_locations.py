"""Business locations of new-generation sites (Wix Restaurants (New)): list them from Wix, pair one.

A paired business location is then a configuration like any other for the admin API: its syncs,
dry run and status are under `/instances/{instanceId}/configurations/{businessLocationId}/…`.
"""

from __future__ import annotations

from typing import Any

from fastapi import Depends, Path, Query

from posbridge.api.common import admin_router, database, errors, wix_client
from posbridge.api.configurations import PairRequest
from posbridge.errors import WixError
from posbridge.services import queries
from posbridge.services.pairing import pair_configuration
from posbridge.services.queries import ConfigurationView
from posbridge.services.wixcheck import confirm_installed
from posbridge.store.db import Database
from posbridge.wix.client import WixClient
from posbridge.wix.errors import WixApiError
from posbridge.wix.generation import Generation
from posbridge.wix.locations import list_business_locations, site_generation

router = admin_router(tags=["business locations"])
InstancePath = Path(alias="instanceId", description="The Wix instance id.")
LocationPath = Path(alias="businessLocationId", description="Wix's business location id.")


@router.get("/instances/{instanceId}/business-locations", responses=errors(404, 502))
def get_business_locations(instance_id: str = InstancePath, client: WixClient = Depends(wix_client)) -> dict[str, Any]:
    """Which generation the site runs and, on a new-generation site, its business locations from Wix."""
    confirm_installed(client, instance_id)  # an unknown instance is a 404, not Wix being down
    try:
        generation = site_generation(client, instance_id)
        found = list_business_locations(client, instance_id) if generation is Generation.NEWGEN else []
    except WixApiError as exc:
        raise WixError.of(
            "WIX_UNAVAILABLE", f"Wix could not be asked about the site's locations ({exc.code})", http_status=502
        ) from exc
    locations = [
        {
            "id": loc.get("id"),
            "name": loc.get("name"),
            "default": bool(loc.get("default")),
            "archived": bool(loc.get("archived")),
        }
        for loc in found
    ]
    return {"instanceId": instance_id, "generation": str(generation), "locations": locations}


@router.put(
    "/instances/{instanceId}/business-locations/{businessLocationId}",
    response_model=ConfigurationView,
    responses=errors(400, 404, 409, 428, 502),
)
def put_business_location(
    body: PairRequest,
    instance_id: str = InstancePath,
    business_location_id: str = LocationPath,
    offline: bool = Query(False, description="Take the business location on trust (setups without Wix only)."),
    db: Database = Depends(database),
    client: WixClient = Depends(wix_client),
) -> ConfigurationView:
    """Pair a new-generation site's business location with a POS location (idempotent; Wix confirms it first)."""
    pair_configuration(
        db,
        wix=None if offline else client,
        instance_id=instance_id,
        configuration_id=business_location_id,
        location_id=body.location_id,
        menu_ids=body.menu_ids,
        generation=Generation.NEWGEN,
    )
    return queries.get_configuration(db, instance_id=instance_id, configuration_id=business_location_id)
