"""Wix's business locations (Locations API), their online ordering (Operations API), and a site's generation.

New-generation sites pair a POS location with a Wix *business location* (there are no POS
configurations). `site_generation` asks Wix once which generation the site runs: the Menus API
answers `428 MENUS_APP_NOT_INSTALLED` on a site without Wix Restaurants (New), i.e. a legacy one.
"""

from __future__ import annotations

from typing import Any

from posbridge.wix.client import WixClient
from posbridge.wix.errors import WixApiError
from posbridge.wix.generation import Generation

LOCATIONS_PAGE = 100


def list_business_locations(client: WixClient, instance_id: str) -> list[dict[str, Any]]:
    """Every business location of the site (`id, name, default, archived, timeZone, address, …`), archived too."""
    found: list[dict[str, Any]] = []
    offset = 0
    while True:
        params = {"paging.limit": LOCATIONS_PAGE, "paging.offset": offset, "includeArchived": "true"}
        answer = client.call_api(instance_id, "GET", "/locations/v1/locations", params=params)
        page = list(answer.get("locations") or [])
        found.extend(page)
        if not (answer.get("pagingMetadata") or {}).get("hasNext") or not page:
            return found
        offset += len(page)


def online_ordering_statuses(client: WixClient, instance_id: str) -> dict[str, str]:
    """Each business location's online ordering status as Wix names it (`ENABLED`, `DISABLED`, `PAUSED_UNTIL`).

    Read from the location's ordering operation (Operations API, one call); an operation naming no
    business location is left out.
    """
    operations = client.call_api(instance_id, "GET", "/restaurants-operations/v1/operations").get("operations") or []
    return {
        str(op.get("businessLocationId")): str(op.get("onlineOrderingStatus"))
        for op in operations
        if op.get("businessLocationId")
    }


def site_generation(client: WixClient, instance_id: str) -> Generation:
    """Which generation the site runs, from whether its Menus API answers (one call)."""
    try:
        client.call(instance_id, "GET", "/menus-menu/v1/menus", params={"paging.limit": 1})
    except WixApiError as exc:
        if exc.status == 428:
            return Generation.LEGACY
        raise
    return Generation.NEWGEN
