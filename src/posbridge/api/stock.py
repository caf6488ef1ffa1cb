"""Stock and 86 of a location's items: list (with a search), 86 for now or until a time, restore, set a count.

Items and locations are the POS's ids; `merchantId` picks the merchant when two share a location id,
and `instanceId` confines a call to the locations paired with that Wix site (others are not found).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import partial

from fastapi import Body, Depends, Path, Query, Request
from pydantic import Field

from posbridge.api.common import admin_router, database, errors
from posbridge.config import Settings
from posbridge.errors import WixError
from posbridge.services import stock
from posbridge.services.queries import ApiModel
from posbridge.services.stock import StockView
from posbridge.store.db import Database

router = admin_router(tags=["stock"])
ItemPath = Path(alias="itemId", description="The POS item id.", max_length=128)
InstanceQuery = Query(None, alias="instanceId", description="Only locations paired with this instance.")


class StockTarget(ApiModel):
    """Where: the POS location (and its merchant, when two merchants share the location id)."""

    location_id: str = Field(max_length=128)
    merchant_id: str | None = Field(default=None, max_length=128)
    choice: bool = Field(default=False, description="The path's id is a choice (a POS variation), not a dish.")


class EightySixRequest(StockTarget):
    """An 86: for now (neither field), until a time (`until`; without a zone: the location's) or for a while (`for`)."""

    until: datetime | None = None
    for_: str | None = Field(default=None, alias="for", max_length=32, description="2h, 90m, 1h30m")


class CountRequest(StockTarget):
    """A tracked count (null: stop tracking, the item is unlimited)."""

    count: int | None = Field(ge=0, le=stock.MAX_COUNT)


def _notify(request: Request) -> stock.Notify | None:
    jobs = getattr(request.app.state, "jobs", None)
    return jobs.enqueue_outbound if jobs is not None else None


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


@router.get("/stock", response_model=list[StockView], responses=errors(404, 409, 422))
def get_stock(
    request: Request,
    location_id: str = Query(alias="locationId", max_length=128),
    merchant_id: str | None = Query(None, alias="merchantId", max_length=128),
    search: str | None = Query(None, max_length=255, description="A part of the item's name or id."),
    out: bool = Query(False, description="Only what cannot be sold now (86ed or sold out)."),
    instance_id: str | None = InstanceQuery,
    db: Database = Depends(database),
) -> list[StockView]:
    """The location's items with their stock, by name: what is 86ed and until when."""
    return stock.list_stock(
        db,
        location_id,
        merchant=merchant_id,
        instance_id=instance_id,
        search=search,
        only_out=out,
        settings=_settings(request),
    )


def _apply(
    request: Request, body: StockTarget, item_id: str, instance_id: str | None, op: Callable[..., stock.StockChange]
) -> StockView:
    """Run one stock change on the item at the body's location; its Wix pushes are queued at once."""
    change = op(
        item_id,
        body.location_id,
        merchant=body.merchant_id,
        instance_id=instance_id,
        settings=_settings(request),
        notify=_notify(request),
    )
    return change.view


@router.post("/stock/{itemId}/86", response_model=StockView, responses=errors(400, 404, 409, 422))
def post_86(
    request: Request,
    body: EightySixRequest,
    item_id: str = ItemPath,
    instance_id: str | None = InstanceQuery,
    db: Database = Depends(database),
) -> StockView:
    """Mark the item out at the location (until `until`, for `for`, or until restored); pushed to Wix at once."""
    span = stock.parse_duration(body.for_) if body.for_ is not None else None
    op = partial(stock.eighty_six, db, until=body.until, for_=span, choice=body.choice)
    return _apply(request, body, item_id, instance_id, op)


@router.post("/stock/{itemId}/restore", response_model=StockView, responses=errors(400, 404, 409, 422))
def post_restore(
    request: Request,
    body: StockTarget,
    item_id: str = ItemPath,
    instance_id: str | None = InstanceQuery,
    db: Database = Depends(database),
) -> StockView:
    """End the item's 86 at the location now; pushed to Wix at once."""
    return _apply(request, body, item_id, instance_id, partial(stock.restore, db, choice=body.choice))


@router.put("/stock/{itemId}/count", response_model=StockView, responses=errors(400, 404, 409, 422))
def put_count(
    request: Request,
    body: CountRequest = Body(...),
    item_id: str = ItemPath,
    instance_id: str | None = InstanceQuery,
    db: Database = Depends(database),
) -> StockView:
    """Set the item's tracked count at the location (0: sold out, pushed to Wix)."""
    if body.choice:
        raise WixError.of("INVALID_ARGUMENT", "A choice has no count: 86 it or restore it", http_status=400)
    return _apply(request, body, item_id, instance_id, partial(stock.set_count, db, count=body.count))
