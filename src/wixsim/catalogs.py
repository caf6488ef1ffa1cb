"""Catalogs v3 live reads and the single-item PATCH (the fast path for stock changes)."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Depends, Request

from wixsim import catalog_ops as ops
from wixsim.entities import EntryError
from wixsim.errors import WixApiError, WixValidationError, json_body
from wixsim.oauth import Caller, caller, store_of
from wixsim.query import offset_paging, query_bool, query_list
from wixsim.state import Entity

router = APIRouter(prefix="/v3/catalogs")

MAX_CATALOG_PAGE = 1000
DEFAULT_CATALOG_PAGE = 50


def listing(request: Request, entities: dict[str, Entity]) -> list[Entity]:
    """Entities filtered by `archived` and trimmed to `fieldMask` (id always kept)."""
    with_archived = query_bool(request, "archived")
    mask = query_list(request, "fieldMask")
    out = []
    for entity in entities.values():
        if entity.get("archived") and not with_archived:
            continue
        if mask:
            entity = {k: v for k, v in entity.items() if k == "id" or k in mask}
        out.append(copy.deepcopy(entity))
    return out


@router.get("", name="listCatalogs")
async def list_catalogs(request: Request, who: Caller = Depends(caller)) -> dict:
    """The site's catalogs (paging.limit <= 1000, locationIds, archived)."""
    limit, offset = offset_paging(request, DEFAULT_CATALOG_PAGE, MAX_CATALOG_PAGE)
    locations = set(query_list(request, "locationIds"))
    with_archived = query_bool(request, "archived")
    catalogs = [
        c.wire()
        for c in store_of(request).data.catalogs.values()
        if c.instance_id == who.instance_id
        and (with_archived or not c.archived)
        and (not locations or c.location_id in locations)
    ]
    return {"catalogs": catalogs[offset : offset + limit]}


@router.get("/{catalog_id}/menus", name="listMenus")
async def list_menus(catalog_id: str, request: Request, who: Caller = Depends(caller)) -> dict:
    """Live menus of a catalog."""
    cat = store_of(request).catalog(who.instance_id, catalog_id)
    return {"menus": listing(request, cat.live.menus)}


@router.get("/{catalog_id}/sections", name="listSections")
async def list_sections(catalog_id: str, request: Request, who: Caller = Depends(caller)) -> dict:
    """Live sections of a catalog."""
    cat = store_of(request).catalog(who.instance_id, catalog_id)
    return {"sections": listing(request, cat.live.sections)}


@router.get("/{catalog_id}/items", name="listItems")
async def list_items(catalog_id: str, request: Request, who: Caller = Depends(caller)) -> dict:
    """Live items (dishes and variations) of a catalog."""
    cat = store_of(request).catalog(who.instance_id, catalog_id)
    return {"items": listing(request, cat.live.items)}


def _get(entities: dict[str, Entity], entity_id: str, what: str) -> Entity:
    if entity_id not in entities:
        raise WixApiError(404, f"{what.upper()}_NOT_FOUND", f"{what.capitalize()} {entity_id} not found")
    return copy.deepcopy(entities[entity_id])


@router.get("/{catalog_id}/menus/{menu_id}", name="getMenu")
async def get_menu(catalog_id: str, menu_id: str, request: Request, who: Caller = Depends(caller)) -> dict:
    """One live menu."""
    cat = store_of(request).catalog(who.instance_id, catalog_id)
    return {"menu": _get(cat.live.menus, menu_id, "menu")}


@router.get("/{catalog_id}/menus/{menu_id}/sections/{section_id}", name="getSection")
async def get_section(
    catalog_id: str, menu_id: str, section_id: str, request: Request, who: Caller = Depends(caller)
) -> dict:
    """One live section of a menu."""
    cat = store_of(request).catalog(who.instance_id, catalog_id)
    section = _get(cat.live.sections, section_id, "section")
    if section.get("menuId") != menu_id:
        raise WixApiError(404, "SECTION_NOT_FOUND", f"Section {section_id} not found in menu {menu_id}")
    return {"section": section}


@router.get("/{catalog_id}/items/{item_id}", name="getItem")
async def get_item(catalog_id: str, item_id: str, request: Request, who: Caller = Depends(caller)) -> dict:
    """One live item; visibilityCriteria only with includeVisibilityCriteria=true."""
    cat = store_of(request).catalog(who.instance_id, catalog_id)
    item = _get(cat.live.items, item_id, "item")
    if not query_bool(request, "includeVisibilityCriteria"):
        item.pop("visibilityCriteria", None)
    return {"item": item}


def _live_write(op: Callable[[], Entity]) -> Entity:
    """Run a catalog operation on live data; an entry error becomes the matching HTTP error."""
    try:
        return copy.deepcopy(op())
    except EntryError as err:
        if err.code == "NOT_FOUND":
            raise WixApiError(404, "NOT_FOUND", err.description, err.wire()["data"]) from err
        if err.code == "FAILED_PRECONDITION":
            raise WixApiError(428, "FAILED_PRECONDITION", err.description) from err
        raise WixValidationError(err.field or "body", err.description) from err


def _entity(body: dict[str, Any], field: str, path_id: str | None = None) -> Entity:
    data = body.get(field)
    if not isinstance(data, dict):
        raise WixValidationError(field, "Required", "REQUIRED_FIELD")
    if path_id is not None:
        if data.get("id", path_id) != path_id:
            raise WixValidationError(f"{field}.id", "must match the id in the path")
        data = {**data, "id": path_id}
    return data


@router.patch("/{catalog_id}/items/{item_id}", name="updateItem")
async def update_item(catalog_id: str, item_id: str, request: Request, who: Caller = Depends(caller)) -> dict:
    """Patch one live item with the fields given in {item} (no draft needed)."""
    cat = store_of(request).catalog(who.instance_id, catalog_id)
    data = _entity(await json_body(request), "item", item_id)
    return {"item": _live_write(lambda: ops.update_item(cat.live, cat.currency, data))}


@router.post("/{catalog_id}/menus", name="createMenu")
async def create_menu(catalog_id: str, request: Request, who: Caller = Depends(caller)) -> dict:
    """Create a live menu."""
    cat = store_of(request).catalog(who.instance_id, catalog_id)
    data = _entity(await json_body(request), "menu")
    return {"menu": _live_write(lambda: ops.create_menu(cat.live, data))}


@router.patch("/{catalog_id}/menus/{menu_id}", name="updateMenu")
async def update_menu(catalog_id: str, menu_id: str, request: Request, who: Caller = Depends(caller)) -> dict:
    """Update a live menu."""
    cat = store_of(request).catalog(who.instance_id, catalog_id)
    data = _entity(await json_body(request), "menu", menu_id)
    return {"menu": _live_write(lambda: ops.update_menu(cat.live, data))}


@router.post("/{catalog_id}/menus/{menu_id}/archive", name="archiveMenu")
async def archive_menu(catalog_id: str, menu_id: str, request: Request, who: Caller = Depends(caller)) -> dict:
    """Archive a live menu."""
    cat = store_of(request).catalog(who.instance_id, catalog_id)
    return {"menu": _live_write(lambda: ops.set_menu_archived(cat.live, menu_id, True))}


@router.post("/{catalog_id}/menus/{menu_id}/unarchive", name="unarchiveMenu")
async def unarchive_menu(catalog_id: str, menu_id: str, request: Request, who: Caller = Depends(caller)) -> dict:
    """Unarchive a live menu."""
    cat = store_of(request).catalog(who.instance_id, catalog_id)
    return {"menu": _live_write(lambda: ops.set_menu_archived(cat.live, menu_id, False))}


@router.post("/{catalog_id}/menus/{menu_id}/sections", name="createSection")
async def create_section(catalog_id: str, menu_id: str, request: Request, who: Caller = Depends(caller)) -> dict:
    """Create a live section (appended to the menu's sectionIds)."""
    cat = store_of(request).catalog(who.instance_id, catalog_id)
    data = _entity(await json_body(request), "section")
    return {"section": _live_write(lambda: ops.create_section(cat.live, menu_id, data))}


@router.patch("/{catalog_id}/menus/{menu_id}/sections/{section_id}", name="updateSection")
async def update_section(
    catalog_id: str, menu_id: str, section_id: str, request: Request, who: Caller = Depends(caller)
) -> dict:
    """Update a live section."""
    cat = store_of(request).catalog(who.instance_id, catalog_id)
    data = _entity(await json_body(request), "section", section_id)
    return {"section": _live_write(lambda: ops.update_section(cat.live, menu_id, data))}


@router.post("/{catalog_id}/menus/{menu_id}/sections/{section_id}/items", name="createDish")
async def create_dish(
    catalog_id: str, menu_id: str, section_id: str, request: Request, who: Caller = Depends(caller)
) -> dict:
    """Create a live dish (appended to the section's itemIds)."""
    cat = store_of(request).catalog(who.instance_id, catalog_id)
    data = _entity(await json_body(request), "dish")
    return {"dish": _live_write(lambda: ops.create_dish(cat.live, cat.currency, menu_id, section_id, data))}


@router.post("/{catalog_id}/variations", name="createVariation")
async def create_variation(catalog_id: str, request: Request, who: Caller = Depends(caller)) -> dict:
    """Create a live variation by name."""
    cat = store_of(request).catalog(who.instance_id, catalog_id)
    body = await json_body(request)
    return {"variation": _live_write(lambda: ops.create_variation(cat.live, cat.currency, body.get("name")))}
