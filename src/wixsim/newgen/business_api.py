"""Locations (list, get, query), Restaurants Operations (list, get, query, update) and Menu Ordering Settings."""

from __future__ import annotations

import copy
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Depends, Request

from wixsim.clock import new_id
from wixsim.entities import DAYS
from wixsim.errors import WixApiError, WixValidationError, json_body
from wixsim.newgen.access import newgen_site
from wixsim.newgen.menus_api import app_identity
from wixsim.newgen.model import Entity, NewGenSite, bump
from wixsim.newgen.querying import cursor_query, matches, sort_entities
from wixsim.oauth import Caller, caller, store_of
from wixsim.query import offset_paging, query_bool
from wixsim.runtime import Sim
from wixsim.webhooks import event_payload

MAX_LOCATIONS_PAGE = 1000
DEFAULT_LOCATIONS_PAGE = 50
MAX_QUERY_PAGE = 100
ORDERING_STATUSES = {"ENABLED", "DISABLED", "PAUSED_UNTIL"}
FULFILLMENT_TYPES = {"PICKUP", "DELIVERY"}
OPERATION_FIELDS = ("name", "onlineOrderingStatus", "pausedUntilOptions", "defaultFulfillmentType")
SETTINGS_FIELDS = ("onlineOrderingEnabled", "availability", "operationId")
AVAILABILITY_TYPES = {"ALWAYS_AVAILABLE", "WEEKLY_SCHEDULE", "TIMESTAMP_RANGES"}

locations_router = APIRouter()
operations_router = APIRouter()
settings_router = APIRouter()


def _site(request: Request, who: Caller) -> NewGenSite:
    return newgen_site(store_of(request), who.instance_id)


def _not_found(what: str, entity_id: str) -> WixApiError:
    return WixApiError(404, "NOT_FOUND", f"{what} {entity_id} not found", {"id": entity_id})


def _one(pool: dict[str, Entity], entity_id: str, what: str) -> Entity:
    if entity_id not in pool:
        raise _not_found(what, entity_id)
    return copy.deepcopy(pool[entity_id])


# ---- Locations --------------------------------------------------------------------------------------------


@locations_router.get("/v1/locations", name="locations.listLocations")
async def list_locations(request: Request, who: Caller = Depends(caller)) -> dict:
    """Offset paging (`paging.limit` ≤ 1000, default 50; `paging.offset`), `includeArchived`."""
    site = _site(request, who)
    limit, offset = offset_paging(request, DEFAULT_LOCATIONS_PAGE, MAX_LOCATIONS_PAGE)
    archived = query_bool(request, "includeArchived")
    chosen = [loc for loc in site.locations.values() if archived or not loc.get("archived")]
    return _offset_page(chosen, offset, limit)


def _offset_page(chosen: list[Entity], offset: int, limit: int) -> dict[str, Any]:
    chunk = chosen[offset : offset + limit]
    meta = {"count": len(chunk), "offset": offset, "hasNext": offset + limit < len(chosen)}
    return {"locations": copy.deepcopy(chunk), "pagingMetadata": meta}


@locations_router.post("/v1/locations/query", name="locations.queryLocations")
async def query_locations(request: Request, who: Caller = Depends(caller)) -> dict:
    """{query: {filter, sort, paging{limit, offset}}} → {locations, pagingMetadata}."""
    site = _site(request, who)
    query = (await json_body(request)).get("query") or {}
    paging = query.get("paging") or {}
    limit, offset = paging.get("limit", DEFAULT_LOCATIONS_PAGE), paging.get("offset", 0)
    if not isinstance(limit, int) or not 0 <= limit <= MAX_LOCATIONS_PAGE:
        raise WixValidationError("query.paging.limit", f"must be at most {MAX_LOCATIONS_PAGE}", "MAX")
    if not isinstance(offset, int) or offset < 0:
        raise WixValidationError("query.paging.offset", "must be non-negative", "MIN")
    chosen = sort_entities(
        [loc for loc in site.locations.values() if matches(loc, query.get("filter"))], query.get("sort")
    )
    return _offset_page(chosen, offset, limit)


@locations_router.get("/v1/locations/{location_id}", name="locations.getLocation")
async def get_location(location_id: str, request: Request, who: Caller = Depends(caller)) -> dict:
    """One location."""
    return {"location": _one(_site(request, who).locations, location_id, "Location")}


# ---- Operations -------------------------------------------------------------------------------------------


@operations_router.get("/v1/operations", name="operations.listOperations")
async def list_operations(request: Request, who: Caller = Depends(caller)) -> dict:
    """Every operation of the site (no paging, as in the SDK)."""
    return {"operations": copy.deepcopy(list(_site(request, who).operations.values()))}


@operations_router.post("/v1/operations/query", name="operations.queryOperation")
async def query_operations(request: Request, who: Caller = Depends(caller)) -> dict:
    """{query: {filter, sort, cursorPaging}} → {operations, pagingMetadata}."""
    site = _site(request, who)
    body = await json_body(request)
    chunk, meta = cursor_query(
        body, list(site.operations.values()), who.instance_id, "query:operation", 50, MAX_QUERY_PAGE
    )
    return {"operations": copy.deepcopy(chunk), "pagingMetadata": meta}


@operations_router.get("/v1/operations/{operation_id}", name="operations.getOperation")
async def get_operation(operation_id: str, request: Request, who: Caller = Depends(caller)) -> dict:
    """One operation."""
    return {"operation": _one(_site(request, who).operations, operation_id, "Operation")}


def _check_revision(what: str, data: dict[str, Any], current: Entity) -> None:
    revision = data.get("revision")
    if revision is None or revision == "":
        raise WixValidationError(f"{what}.revision", "is required", "REQUIRED_FIELD")
    if str(revision) != current["revision"]:
        raise WixApiError(
            409,
            "REVISION_MISMATCH",
            f"{what} {current['id']} is at revision {current['revision']}, not {revision}",
            {"field": "revision"},
        )


def _timestamp(value: Any, field: str) -> None:
    if not isinstance(value, str):
        raise WixValidationError(field, "must be an ISO 8601 timestamp")
    try:
        datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        raise WixValidationError(field, "must be an ISO 8601 timestamp") from exc


def operation_patch(current: Entity, data: dict[str, Any]) -> Entity:
    """The validated fields an operation update changes (refused as a whole when one is wrong)."""
    patch = {k: copy.deepcopy(data[k]) for k in OPERATION_FIELDS if k in data}
    status = patch.get("onlineOrderingStatus", current.get("onlineOrderingStatus"))
    if status not in ORDERING_STATUSES:
        raise WixValidationError("operation.onlineOrderingStatus", f"one of {', '.join(sorted(ORDERING_STATUSES))}")
    if status == "PAUSED_UNTIL":
        paused = patch.get("pausedUntilOptions") or current.get("pausedUntilOptions") or {}
        _timestamp(paused.get("time") if isinstance(paused, dict) else None, "operation.pausedUntilOptions.time")
    if "defaultFulfillmentType" in patch and patch["defaultFulfillmentType"] not in FULFILLMENT_TYPES:
        raise WixValidationError("operation.defaultFulfillmentType", "one of PICKUP, DELIVERY")
    if "name" in patch and patch["name"] is not None and not isinstance(patch["name"], str):
        raise WixValidationError("operation.name", "must be a string")
    return patch


def apply_operation_update(sim: Sim, site: NewGenSite, current: Entity, patch: Entity, identity: Entity) -> Entity:
    """Change an operation, bump its revision and announce `wix.restaurants.operations.v1.operation_updated`."""
    current.update(patch)
    if current.get("onlineOrderingStatus") != "PAUSED_UNTIL":
        current.pop("pausedUntilOptions", None)
    bump(current)
    sequences = site.menus.event_sequences
    sequences[current["id"]] = sequences.get(current["id"], 0) + 1
    event = {
        "id": new_id(),
        "entityFqdn": "wix.restaurants.operations.v1.operation",
        "slug": "updated",
        "entityId": current["id"],
        "eventTime": current["updatedDate"],
        "triggeredByAnonymizeRequest": False,
        "entityEventSequence": str(sequences[current["id"]]),
        "updatedEvent": {"currentEntity": copy.deepcopy(current)},
    }
    event_type = "wix.restaurants.operations.v1.operation_updated"
    sim.menu_outbox.enqueue(
        sim.store, site.instance_id, event_type, event_payload(site.instance_id, event_type, event, identity)
    )
    return current


@operations_router.patch("/v1/operations/{operation_id}", name="operations.updateOperation")
async def update_operation(operation_id: str, request: Request, who: Caller = Depends(caller)) -> dict:
    """Change `onlineOrderingStatus` (ENABLED, DISABLED, PAUSED_UNTIL + `pausedUntilOptions.time`) and the like."""
    site = _site(request, who)
    data = (await json_body(request)).get("operation")
    if not isinstance(data, dict):
        raise WixValidationError("operation", "Required", "REQUIRED_FIELD")
    if data.get("id", operation_id) != operation_id:
        raise WixValidationError("operation.id", "must match the id in the path")
    current = site.operations.get(operation_id)
    if current is None:
        raise _not_found("Operation", operation_id)
    _check_revision("operation", data, current)
    patch = operation_patch(current, data)
    updated = apply_operation_update(request.app.state.sim, site, current, patch, app_identity(request))
    return {"operation": copy.deepcopy(updated)}


# ---- Menu ordering settings -------------------------------------------------------------------------------


def _settings_by_id(site: NewGenSite, settings_id: str) -> Entity:
    found = next((s for s in site.ordering_settings.values() if s["id"] == settings_id), None)
    if found is None:
        raise _not_found("Menu ordering settings", settings_id)
    return found


def _settings_patch(site: NewGenSite, data: dict[str, Any]) -> Entity:
    patch = {k: copy.deepcopy(data[k]) for k in SETTINGS_FIELDS if k in data}
    if "onlineOrderingEnabled" in patch and not isinstance(patch["onlineOrderingEnabled"], bool):
        raise WixValidationError("menuOrderingSettings.onlineOrderingEnabled", "must be a boolean")
    if "operationId" in patch and patch["operationId"] not in site.operations:
        raise WixValidationError("menuOrderingSettings.operationId", "unknown operation")
    availability = patch.get("availability")
    if availability is not None and (
        not isinstance(availability, dict) or availability.get("type") not in AVAILABILITY_TYPES
    ):
        raise WixValidationError(
            "menuOrderingSettings.availability.type", f"one of {', '.join(sorted(AVAILABILITY_TYPES))}"
        )
    if availability is not None:
        _check_weekly(availability.get("weeklyScheduleOptions"))
    return patch


MAX_WEEK_DAYS = 7


def _check_weekly(options: Any) -> None:
    """availableTimes ≤ 7 of {dayOfWeek, timeRanges[{startTime, endTime}]}, each a TimeOfDay.

    The typings bound TimeOfDay.hours to 0–23 (so a range cannot end at "24:00"); they print the
    same 23 as the maximum of `minutes`, evidently a copy of the hours' line: minutes are 0–59.
    """
    where = "menuOrderingSettings.availability.weeklyScheduleOptions.availableTimes"
    if options is None:
        return
    days = options.get("availableTimes") if isinstance(options, dict) else None
    if days is None:
        return
    if not isinstance(days, list) or len(days) > MAX_WEEK_DAYS:
        raise WixValidationError(where, f"at most {MAX_WEEK_DAYS} days")
    for d, day in enumerate(days):
        if not isinstance(day, dict) or day.get("dayOfWeek") not in DAYS:
            raise WixValidationError(f"{where}[{d}].dayOfWeek", f"one of {', '.join(sorted(DAYS))}")
        ranges = day.get("timeRanges") or []
        if not isinstance(ranges, list):
            raise WixValidationError(f"{where}[{d}].timeRanges", "must be a list")
        for r, window in enumerate(ranges):
            for end in ("startTime", "endTime"):
                moment = window.get(end) if isinstance(window, dict) else None
                if moment is None:
                    continue
                for unit, high in (("hours", 23), ("minutes", 59)):
                    value = moment.get(unit, 0) if isinstance(moment, dict) else None
                    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= high:
                        raise WixValidationError(f"{where}[{d}].timeRanges[{r}].{end}.{unit}", f"must be 0 to {high}")


@settings_router.get("/v1/menu-ordering-settings/{settings_id}", name="menuOrderingSettings.getMenuOrderingSettings")
async def get_settings(settings_id: str, request: Request, who: Caller = Depends(caller)) -> dict:
    """One menu's ordering settings, by their own id."""
    return {"menuOrderingSettings": copy.deepcopy(_settings_by_id(_site(request, who), settings_id))}


@settings_router.post("/v1/menu-ordering-settings/query", name="menuOrderingSettings.queryMenuOrderingSettings")
async def query_settings(request: Request, who: Caller = Depends(caller)) -> dict:
    """{query: {filter (e.g. menuId, operationId), sort, cursorPaging}}."""
    site = _site(request, who)
    body = await json_body(request)
    pool = list(site.ordering_settings.values())
    chunk, meta = cursor_query(body, pool, who.instance_id, "query:menuOrderingSettings", 50, MAX_QUERY_PAGE)
    return {"menuOrderingSettings": copy.deepcopy(chunk), "pagingMetadata": meta}


@settings_router.patch(
    "/v1/menu-ordering-settings/{settings_id}", name="menuOrderingSettings.updateMenuOrderingSettings"
)
async def update_settings(settings_id: str, request: Request, who: Caller = Depends(caller)) -> dict:
    """Change `onlineOrderingEnabled`, `availability`, `operationId` (current `revision` required)."""
    site = _site(request, who)
    data = (await json_body(request)).get("menuOrderingSettings")
    if not isinstance(data, dict):
        raise WixValidationError("menuOrderingSettings", "Required", "REQUIRED_FIELD")
    current = _settings_by_id(site, settings_id)
    _check_revision("menuOrderingSettings", data, current)
    current.update(_settings_patch(site, data))
    bump(current)
    return {"menuOrderingSettings": copy.deepcopy(current)}


@settings_router.post(
    "/v1/menu-ordering-settings/upsert/menu-id/{menu_id}",
    name="menuOrderingSettings.upsertMenuOrderingSettingsByMenuId",
)
async def upsert_settings(menu_id: str, request: Request, who: Caller = Depends(caller)) -> dict:
    """Create or replace the settings of a menu (no revision needed)."""
    site = _site(request, who)
    data = (await json_body(request)).get("menuOrderingSettings")
    if not isinstance(data, dict):
        raise WixValidationError("menuOrderingSettings", "Required", "REQUIRED_FIELD")
    if menu_id not in site.menus.menus:
        raise _not_found("Menu", menu_id)
    patch = _settings_patch(site, data)
    current = site.ordering_settings[menu_id]
    current.update(patch)
    bump(current)
    return {"menuOrderingSettings": copy.deepcopy(current)}


ROUTERS = (
    (locations_router, ("/locations", "")),
    (operations_router, ("/restaurants-operations", "/_api/restaurants-operations", "")),
    (settings_router, ("/menu-ordering-settings", "/_api/menu-ordering-settings", "")),
)
