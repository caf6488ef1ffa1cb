"""Draft Catalogs: create (a copy of live), bulk writes, publish (atomic replace) and discard."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request

from wixsim import bulk
from wixsim.clock import rfc3339
from wixsim.entities import EntryError, apply_item, apply_menu, apply_section
from wixsim.errors import WixApiError, json_body
from wixsim.oauth import Caller, caller, store_of
from wixsim.state import CatalogContent, CatalogRecord, Entity

router = APIRouter(prefix="/v3/draft-catalogs/{catalog_id}")


def _catalog(request: Request, who: Caller, catalog_id: str) -> CatalogRecord:
    return store_of(request).catalog(who.instance_id, catalog_id)


def _draft(cat: CatalogRecord) -> CatalogContent:
    if cat.draft is None:
        raise WixApiError(404, "DRAFT_CATALOG_NOT_FOUND", f"Catalog {cat.id} has no draft")
    return cat.draft


async def drafted(catalog_id: str, request: Request, who: Caller = Depends(caller)) -> CatalogRecord:
    """FastAPI dependency: the caller's catalog, which must have a draft (else 404)."""
    cat = _catalog(request, who, catalog_id)
    _draft(cat)
    return cat


Drafted = Annotated[CatalogRecord, Depends(drafted)]
Body = Annotated[dict[str, Any], Depends(json_body)]


def _find(pool: dict[str, Entity], entity_id: Any, what: str) -> Entity:
    if not isinstance(entity_id, str) or entity_id not in pool:
        raise EntryError("NOT_FOUND", f"{what} {entity_id} not found", f"{what}.id", entity_id or None)
    return pool[entity_id]


def _not_archived(entity: Entity, what: str) -> None:
    if entity.get("archived"):
        raise EntryError("FAILED_PRECONDITION", f"Archived {what} can't be updated", None, entity["id"])


@router.post("/create", name="createDraftCatalog")
async def create_draft(catalog_id: str, request: Request, who: Caller = Depends(caller)) -> dict:
    """Start a draft as a copy of the live catalog; 409 when one already exists."""
    cat = _catalog(request, who, catalog_id)
    if cat.draft is not None:
        raise WixApiError(409, "DRAFT_CATALOG_ALREADY_EXISTS", f"Catalog {catalog_id} already has a draft")
    cat.draft = cat.live.copy_deep()
    cat.draft_created_date = rfc3339()
    return {"catalog": cat.wire()}


@router.post("/publish", name="publishDraftCatalog")
async def publish_draft(cat: Drafted) -> dict:
    """Replace the live catalog with the draft in one step and end the draft."""
    cat.live = _draft(cat)
    cat.draft = None
    cat.draft_created_date = None
    cat.draft_published_date = rfc3339()
    cat.publish_count += 1
    return {"catalog": cat.wire()}


@router.delete("/discard", name="discardDraftCatalog")
async def discard_draft(cat: Drafted) -> dict:
    """Drop the draft; the live catalog is untouched."""
    cat.draft = None
    cat.draft_created_date = None
    return {}


@router.post("/bulk/menus/create", name="bulkCreateMenus")
async def bulk_create_menus(cat: Drafted, body: Body) -> dict:
    """Create menus in the draft."""
    draft = _draft(cat)

    def op(data: Entity) -> Entity:
        menu = apply_menu(data, draft)
        draft.menus[menu["id"]] = menu
        return menu

    return bulk.run(body, "menus", op)


@router.post("/bulk/menus/update", name="bulkUpdateMenus")
async def bulk_update_menus(cat: Drafted, body: Body) -> dict:
    """Update menus in the draft (given fields replace; sectionIds sets order and membership)."""
    draft = _draft(cat)

    def op(data: Entity) -> Entity:
        existing = _find(draft.menus, data.get("id"), "menu")
        _not_archived(existing, "menu")
        menu = apply_menu(data, draft, existing)
        draft.menus[menu["id"]] = menu
        return menu

    return bulk.run(body, "menus", op)


def _set_menu_archived(cat: CatalogRecord, body: dict[str, Any], archived: bool) -> dict:
    draft = _draft(cat)

    def op(menu_id: Any) -> Entity:
        menu = _find(draft.menus, menu_id, "menu")
        menu["archived"] = archived
        return menu

    return bulk.run(body, "ids", op, entry_type=str)


@router.post("/bulk/menus/archive", name="bulkArchiveMenus")
async def bulk_archive_menus(cat: Drafted, body: Body) -> dict:
    """Archive menus in the draft (idempotent)."""
    return _set_menu_archived(cat, body, True)


@router.post("/bulk/menus/unarchive", name="bulkUnarchiveMenus")
async def bulk_unarchive_menus(cat: Drafted, body: Body) -> dict:
    """Unarchive menus in the draft (idempotent)."""
    return _set_menu_archived(cat, body, False)


@router.post("/bulk/sections/create", name="bulkCreateSections")
async def bulk_create_sections(cat: Drafted, body: Body) -> dict:
    """Create sections; each id is appended to its menu's sectionIds."""
    draft = _draft(cat)

    def op(entry: Entity) -> Entity:
        menu = _find(draft.menus, entry.get("menuId"), "menu")
        _not_archived(menu, "menu")
        section = apply_section(entry.get("section") or {}, menu["id"], draft)
        draft.sections[section["id"]] = section
        menu.setdefault("sectionIds", {"values": []}).setdefault("values", []).append(section["id"])
        return section

    return bulk.run(body, "createSectionRequests", op)


@router.post("/bulk/sections/update", name="bulkUpdateSections")
async def bulk_update_sections(cat: Drafted, body: Body) -> dict:
    """Update sections ({menuId, section}); itemIds sets order and membership."""
    draft = _draft(cat)

    def op(entry: Entity) -> Entity:
        data = entry.get("section") or {}
        existing = _find(draft.sections, data.get("id"), "section")
        menu = _find(draft.menus, entry.get("menuId") or existing.get("menuId"), "menu")
        _not_archived(existing, "section")
        section = apply_section(data, menu["id"], draft, existing)
        draft.sections[section["id"]] = section
        return section

    return bulk.run(body, "updateSectionsRequests", op)


@router.post("/bulk/dishes/create", name="bulkCreateDishes")
async def bulk_create_dishes(cat: Drafted, body: Body) -> dict:
    """Create dishes; each id is appended to its section's itemIds."""
    draft = _draft(cat)

    def op(entry: Entity) -> Entity:
        menu = _find(draft.menus, entry.get("menuId"), "menu")
        section = _find(draft.sections, entry.get("sectionId"), "section")
        if section.get("menuId") != menu["id"]:
            raise EntryError("NOT_FOUND", f"Section {section['id']} is not in menu {menu['id']}", "sectionId")
        dish = apply_item(entry.get("dish") or {}, "DISH", draft, cat.currency)
        draft.items[dish["id"]] = dish
        section.setdefault("itemIds", {"values": []}).setdefault("values", []).append(dish["id"])
        return dish

    return bulk.run(body, "createDishRequests", op)


@router.post("/bulk/variations/create", name="bulkCreateVariations")
async def bulk_create_variations(cat: Drafted, body: Body) -> dict:
    """Create variations by name (priced and stocked later through bulk/items/update)."""
    draft = _draft(cat)

    def op(entry: Entity) -> Entity:
        variation = apply_item({"name": entry.get("name")}, "VARIATION", draft, cat.currency)
        draft.items[variation["id"]] = variation
        return variation

    return bulk.run(body, "variations", op)


@router.post("/bulk/items/update", name="bulkUpdateItems")
async def bulk_update_items(cat: Drafted, body: Body) -> dict:
    """Update dishes and variations in the draft."""
    draft = _draft(cat)

    def op(data: Entity) -> Entity:
        existing = _find(draft.items, data.get("id"), "item")
        _not_archived(existing, "item")
        item = apply_item(data, existing["type"], draft, cat.currency, existing)
        draft.items[item["id"]] = item
        return item

    return bulk.run(body, "items", op)
