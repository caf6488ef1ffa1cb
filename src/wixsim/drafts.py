"""Draft Catalogs: create (a copy of live), bulk writes, publish (atomic replace) and discard."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request

from wixsim import bulk
from wixsim import catalog_ops as ops
from wixsim.clock import rfc3339
from wixsim.errors import WixApiError, json_body
from wixsim.oauth import Caller, caller, store_of
from wixsim.state import CatalogContent, CatalogRecord

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
    return bulk.run(body, "menus", lambda data: ops.create_menu(draft, data))


@router.post("/bulk/menus/update", name="bulkUpdateMenus")
async def bulk_update_menus(cat: Drafted, body: Body) -> dict:
    """Update menus in the draft (given fields replace; sectionIds sets order and membership)."""
    draft = _draft(cat)
    return bulk.run(body, "menus", lambda data: ops.update_menu(draft, data))


@router.post("/bulk/menus/archive", name="bulkArchiveMenus")
async def bulk_archive_menus(cat: Drafted, body: Body) -> dict:
    """Archive menus in the draft (idempotent)."""
    draft = _draft(cat)
    return bulk.run(body, "ids", lambda menu_id: ops.set_menu_archived(draft, menu_id, True), entry_type=str)


@router.post("/bulk/menus/unarchive", name="bulkUnarchiveMenus")
async def bulk_unarchive_menus(cat: Drafted, body: Body) -> dict:
    """Unarchive menus in the draft (idempotent)."""
    draft = _draft(cat)
    return bulk.run(body, "ids", lambda menu_id: ops.set_menu_archived(draft, menu_id, False), entry_type=str)


@router.post("/bulk/sections/create", name="bulkCreateSections")
async def bulk_create_sections(cat: Drafted, body: Body) -> dict:
    """Create sections ({menuId, section}); each id is appended to its menu's sectionIds."""
    draft = _draft(cat)
    return bulk.run(
        body,
        "createSectionRequests",
        lambda entry: ops.create_section(draft, entry.get("menuId"), entry.get("section") or {}),
    )


@router.post("/bulk/sections/update", name="bulkUpdateSections")
async def bulk_update_sections(cat: Drafted, body: Body) -> dict:
    """Update sections ({menuId, section}); itemIds sets order and membership."""
    draft = _draft(cat)
    return bulk.run(
        body,
        "updateSectionsRequests",
        lambda entry: ops.update_section(draft, entry.get("menuId"), entry.get("section") or {}),
    )


@router.post("/bulk/dishes/create", name="bulkCreateDishes")
async def bulk_create_dishes(cat: Drafted, body: Body) -> dict:
    """Create dishes ({menuId, sectionId, dish}); each id is appended to its section's itemIds."""
    draft = _draft(cat)
    return bulk.run(
        body,
        "createDishRequests",
        lambda e: ops.create_dish(draft, cat.currency, e.get("menuId"), e.get("sectionId"), e.get("dish") or {}),
    )


@router.post("/bulk/variations/create", name="bulkCreateVariations")
async def bulk_create_variations(cat: Drafted, body: Body) -> dict:
    """Create variations by name (priced and stocked later through bulk/items/update)."""
    draft = _draft(cat)
    return bulk.run(body, "variations", lambda entry: ops.create_variation(draft, cat.currency, entry.get("name")))


@router.post("/bulk/items/update", name="bulkUpdateItems")
async def bulk_update_items(cat: Drafted, body: Body) -> dict:
    """Update dishes and variations in the draft."""
    draft = _draft(cat)
    return bulk.run(body, "items", lambda data: ops.update_item(draft, cat.currency, data))
