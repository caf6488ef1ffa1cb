"""POST /imports: load a merchant's menu document (posbridge.menu/1)."""

from __future__ import annotations

import json
from typing import Any

from fastapi import Depends, Query, Request
from starlette.concurrency import run_in_threadpool

from posbridge.api.common import ApiError, admin_router, database, errors
from posbridge.pos.menu_format import InvalidMenuDocument, json_schema
from posbridge.services.menus import import_menu_document
from posbridge.services.queries import ApiModel
from posbridge.store.db import Database

# A 2,000-item document is about 1 MB; menus are big but bounded.
MAX_IMPORT_BYTES = 32 * 1024 * 1024

router = admin_router(tags=["imports"])


class KindChanges(ApiModel):
    """Rows of one kind an import created, updated, removed (deactivated/deleted) or left alone."""

    created: int
    updated: int
    removed: int
    unchanged: int


class ImportReportOut(ApiModel):
    """What an import changed; `changed` is 0 when the store already matched the document."""

    merchant_id: str
    changed: int
    kinds: dict[str, KindChanges]
    syncs_requested: int


_DOCUMENT_BODY = {
    "requestBody": {
        "required": True,
        "description": "A posbridge.menu/1 document (see docs: the POS menu import format).",
        "content": {"application/json": {"schema": json_schema()}},
    }
}


async def read_menu_document(request: Request) -> Any:
    """The request's body as JSON: 413 past MAX_IMPORT_BYTES (refused on the declared length before reading
    when it says so), 400 when it is not JSON."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > MAX_IMPORT_BYTES:
        raise ApiError(413, "TOO_LARGE", f"A menu document may be at most {MAX_IMPORT_BYTES} bytes")
    raw = await request.body()
    if len(raw) > MAX_IMPORT_BYTES:
        raise ApiError(413, "TOO_LARGE", f"A menu document may be at most {MAX_IMPORT_BYTES} bytes")
    try:
        return json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ApiError(400, "INVALID_JSON", f"The body is not JSON: {exc}") from None


@router.post(
    "/imports",
    response_model=ImportReportOut,
    responses=errors(400, 413, 422),
    openapi_extra=_DOCUMENT_BODY,
    summary="Import a merchant's menu document",
)
async def post_import(
    request: Request,
    reset_stock: bool = Query(
        False,
        alias="resetStock",
        description="Set every tracked stock to the document's level. By default a level applies only where "
        "the document changed it since the last import, so stock that orders consumed is not given back.",
    ),
    db: Database = Depends(database),
) -> ImportReportOut:
    """Validate the whole document, import it in one transaction (422 lists every problem); a change syncs."""
    document = await read_menu_document(request)
    try:
        jobs = getattr(request.app.state, "jobs", None)
        notify = jobs.schedule_sync if jobs is not None else None
        debounce = request.app.state.settings.sync_debounce_seconds
        done = await run_in_threadpool(
            lambda: import_menu_document(
                db, document, notify=notify, reset_stock=reset_stock, debounce_seconds=debounce
            )
        )
    except InvalidMenuDocument as exc:
        problems = [{"path": p.path, "reason": p.reason} for p in exc.problems]
        raise ApiError(422, "INVALID_MENU_DOCUMENT", f"{exc}; nothing was imported", {"problems": problems}) from None
    return ImportReportOut.model_validate({**done.report.to_dict(), "syncsRequested": len(done.syncs)})
