"""Catalog syncs of a configuration: request one, preview it (dry run), read the history and logs."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import Depends, Path, Query, Request
from starlette.concurrency import run_in_threadpool

from posbridge.api.common import admin_router, database, errors, wix_client
from posbridge.services import menu_events, queries
from posbridge.services.menu_events import WixEditView
from posbridge.services.queries import SyncDetail, SyncView
from posbridge.services.syncing import preview_sync, request_configuration_sync
from posbridge.store.db import Database
from posbridge.wix.client import WixClient

router = admin_router(tags=["syncs"])
InstancePath = Path(alias="instanceId", description="The Wix instance id.")
ConfigurationPath = Path(alias="configurationId", description="Wix's configuration id (one Wix location).")
SYNCS = "/instances/{instanceId}/configurations/{configurationId}/syncs"
WIX_EDITS = "/instances/{instanceId}/configurations/{configurationId}/wix-edits"


@router.post(SYNCS, status_code=202, response_model=SyncView, responses=errors(404, 409, 428))
def post_sync(
    request: Request,
    instance_id: str = InstancePath,
    configuration_id: str = ConfigurationPath,
    db: Database = Depends(database),
) -> SyncView:
    """Request a sync now (joins a pending one); a worker runs it. 202 with the pending sync."""
    jobs = getattr(request.app.state, "jobs", None)
    sync = request_configuration_sync(
        db, instance_id, configuration_id, "ADMIN", notify=jobs.enqueue_sync if jobs else None
    )
    return SyncView.model_validate(sync, from_attributes=True)


@router.get(SYNCS + "/preview", responses=errors(404, 428, 502))
async def get_preview(
    request: Request,
    instance_id: str = InstancePath,
    configuration_id: str = ConfigurationPath,
    db: Database = Depends(database),
    client: WixClient = Depends(wix_client),
) -> dict[str, Any]:
    """The exact diff the next sync would apply (reads Wix's live catalog, writes nothing)."""
    settings = request.app.state.settings
    preview = await run_in_threadpool(lambda: preview_sync(db, settings, instance_id, configuration_id, client=client))
    return preview.to_json()


@dataclass(frozen=True)
class Listing:
    """A configuration's listing, newest first: which configuration (the path) and how many rows."""

    instance_id: str
    configuration_id: str
    limit: int


def listing(
    instance_id: str = InstancePath,
    configuration_id: str = ConfigurationPath,
    limit: int = Query(20, ge=1, le=200),
) -> Listing:
    """The path and page size of a configuration's listing (a dependency)."""
    return Listing(instance_id, configuration_id, limit)


@router.get(SYNCS, response_model=list[SyncView], responses=errors(404))
def get_syncs(of: Listing = Depends(listing), db: Database = Depends(database)) -> list[SyncView]:
    """The configuration's recent syncs, newest first."""
    return queries.list_syncs(db, instance_id=of.instance_id, configuration_id=of.configuration_id, limit=of.limit)


@router.get(SYNCS + "/{syncId}", response_model=SyncDetail, responses=errors(404))
def get_sync(
    instance_id: str = InstancePath,
    configuration_id: str = ConfigurationPath,
    sync_id: int = Path(alias="syncId", ge=1, le=queries.MAX_BIGINT),
    db: Database = Depends(database),
) -> SyncDetail:
    """One sync with its per-attempt log."""
    return queries.get_sync(db, instance_id=instance_id, configuration_id=configuration_id, sync_id=sync_id)


@router.get(WIX_EDITS, response_model=list[WixEditView], responses=errors(404))
def get_wix_edits(of: Listing = Depends(listing), db: Database = Depends(database)) -> list[WixEditView]:
    """Edits made in Wix (the merchant, another app) to Menus API entities this location syncs, newest first,
    with what changed and whether the next sync keeps or overwrites it (catalogSyncConfiguration)."""
    return menu_events.recent_edits(db, of.instance_id, of.configuration_id, limit=of.limit)
