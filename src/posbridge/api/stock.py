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


class StockCall:
    """What every change of one item's stock is called with: the item (path), the site it is confined to, the
    database, and the settings and outbound queue of this app (its Wix pushes go out at once)."""

    def __init__(
        self,
        request: Request,
        item_id: str = ItemPath,
        instance_id: str | None = InstanceQuery,
        db: Database = Depends(database),
    ) -> None:
        self.request, self.item_id, self.instance_id, self.db = request, item_id, instance_id, db

    def run(self, body: StockTarget, op: Callable[..., stock.StockChange]) -> StockView:
        """Run one stock change on the item at the body's location."""
        change = op(
            self.db,
            self.item_id,
            body.location_id,
            merchant=body.merchant_id,
            instance_id=self.instance_id,
            settings=_settings(self.request),
            notify=_notify(self.request),
        )
        return change.view


@router.post("/stock/{itemId}/86", response_model=StockView, responses=errors(400, 404, 409, 422))
def post_86(body: EightySixRequest, call: StockCall = Depends()) -> StockView:
    """Mark the item out at the location (until `until`, for `for`, or until restored); pushed to Wix at once."""
    span = stock.parse_duration(body.for_) if body.for_ is not None else None
    return call.run(body, partial(stock.eighty_six, until=body.until, for_=span, choice=body.choice))


@router.post("/stock/{itemId}/restore", response_model=StockView, responses=errors(400, 404, 409, 422))
def post_restore(body: StockTarget, call: StockCall = Depends()) -> StockView:
    """End the item's 86 at the location now; pushed to Wix at once."""
    return call.run(body, partial(stock.restore, choice=body.choice))


@router.put("/stock/{itemId}/count", response_model=StockView, responses=errors(400, 404, 409, 422))
def put_count(body: CountRequest = Body(...), call: StockCall = Depends()) -> StockView:
    """Set the item's tracked count at the location (0: sold out, pushed to Wix)."""
    if body.choice:
        raise WixError.of("INVALID_ARGUMENT", "A choice has no count: 86 it or restore it", http_status=400)
    return call.run(body, partial(stock.set_count, count=body.count))
