"""A merchant's own POS: the operator connects it (admin API), and the POS talks back (its API key).

Operator (token): `PUT·GET·DELETE /merchants/{merchantId}/pos` (`PUT` answers the signing secret once),
`GET /orders/{orderId}/pos-deliveries` (an order's delivery log).
The POS (`Authorization: Bearer <the merchant's API key>`, `posbridge api-key`), about its own
merchant only: `POST /pos/orders/{orderId}/status` (a kitchen move), `POST /pos/menu` (the import
document), `PATCH /pos/items/{itemId}` (price, and per location price, stock, 86).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import Field, field_validator
from starlette.concurrency import run_in_threadpool

from posbridge.api.common import AdminRoute, ApiError, admin_router, database, errors
from posbridge.api.imports import ImportReportOut, read_menu_document
from posbridge.orders.model import OrderStatus
from posbridge.pos.menu_format import InvalidMenuDocument
from posbridge.services import pos_deliveries, pos_inbound
from posbridge.services.queries import ApiModel
from posbridge.store.db import Database

router = admin_router(tags=["pos"])
pos_router = APIRouter(route_class=AdminRoute, tags=["pos (called by the merchant's POS)"])
MerchantPath = Path(alias="merchantId", description="The POS merchant id.")
_bearer = HTTPBearer(auto_error=False, description="The merchant's POS API key (`posbridge api-key`).")
MAX_PRICE = Decimal("99999999.99")


class SetPosRequest(ApiModel):
    """Where the merchant's POS takes order webhooks."""

    url: str = Field(min_length=1, max_length=2048, description="An absolute http(s) URL")


class PosConnectionOut(ApiModel):
    """A merchant's POS connection; `secret` (`whsec_…`) only in the answer that made it."""

    merchant_id: str
    url: str
    secret: str | None = None


@router.put("/merchants/{merchantId}/pos", response_model=PosConnectionOut, responses=errors(400, 404))
def put_pos(
    request: Request, body: SetPosRequest, merchant_id: str = MerchantPath, db: Database = Depends(database)
) -> PosConnectionOut:
    """Connect the merchant's own POS (or change its URL) with a new signing secret, shown this once."""
    secret_key = request.app.state.settings.secret_key
    info = pos_deliveries.set_pos(db, merchant_id=merchant_id, url=body.url, secret_key=secret_key)
    return PosConnectionOut(merchant_id=info.merchant_id, url=info.url, secret=info.secret)


@router.get("/merchants/{merchantId}/pos", response_model=PosConnectionOut, responses=errors(404))
def get_pos(merchant_id: str = MerchantPath, db: Database = Depends(database)) -> PosConnectionOut:
    """The merchant's POS connection (its secret is never shown again); 404 when it uses the built-in kitchen."""
    info = pos_deliveries.get_pos(db, merchant_id=merchant_id)
    if info is None:
        raise ApiError(404, "POS_NOT_CONNECTED", f"Merchant '{merchant_id}' has no POS of its own connected")
    return PosConnectionOut(merchant_id=info.merchant_id, url=info.url)


@router.delete("/merchants/{merchantId}/pos", status_code=204, responses=errors(404))
def delete_pos(merchant_id: str = MerchantPath, db: Database = Depends(database)) -> Response:
    """Disconnect the merchant's own POS (its orders go to the built-in kitchen from now on)."""
    if not pos_deliveries.remove_pos(db, merchant_id=merchant_id):
        raise ApiError(404, "POS_NOT_CONNECTED", f"Merchant '{merchant_id}' has no POS of its own connected")
    return Response(status_code=204)


class DeliveryAttemptOut(ApiModel):
    """One attempt: when, what the POS answered (None: no answer), why it failed, how long it took."""

    at: datetime
    status_code: int | None
    error: str | None
    duration_ms: int


class DeliveryOut(ApiModel):
    """One webhook owed to the POS about the order, and its attempts."""

    message_id: str
    event: str
    status: str
    attempts: int
    created_at: datetime
    delivered_at: datetime | None
    next_attempt_at: datetime | None
    last_error: str | None
    log: list[DeliveryAttemptOut]


@router.get("/orders/{orderId}/pos-deliveries", response_model=list[DeliveryOut], responses=errors(404, 409))
def get_pos_deliveries(
    order_id: str = Path(alias="orderId", max_length=128, description="The POS order id, or Wix's order id"),
    instance_id: str | None = Query(default=None, alias="instanceId", max_length=64),
    db: Database = Depends(database),
) -> list[DeliveryOut]:
    """The order's delivery log to its merchant's own POS, oldest first (empty for the built-in kitchen)."""
    pos_order_id = pos_deliveries.pos_order_id_of(db, order_id, instance_id=instance_id)
    return [DeliveryOut.model_validate(entry) for entry in pos_deliveries.delivery_log(db, pos_order_id)]


def pos_caller(
    request: Request, credentials: HTTPAuthorizationCredentials | None = Depends(_bearer)
) -> pos_inbound.PosCaller:
    """The merchant whose API key authenticates the call (a dependency)."""
    caller = pos_inbound.authenticate(request.app.state.db, credentials.credentials if credentials else None)
    if caller is None:
        raise ApiError(401, "UNAUTHENTICATED", "A valid merchant API key is required (Authorization: Bearer pbk_…)")
    return caller


def _notify(request: Request) -> Any:
    jobs = getattr(request.app.state, "jobs", None)
    return jobs.schedule_sync if jobs is not None else None


@pos_router.post("/pos/menu", response_model=ImportReportOut, responses=errors(400, 403, 413))
async def post_pos_menu(
    request: Request, caller: pos_inbound.PosCaller = Depends(pos_caller), db: Database = Depends(database)
) -> ImportReportOut:
    """The POS sends its whole menu (the import document of its own merchant); a change syncs."""
    document = await read_menu_document(request)
    notify, debounce = _notify(request), request.app.state.settings.sync_debounce_seconds
    try:
        done = await run_in_threadpool(
            lambda: pos_inbound.import_for(db, caller, document, notify=notify, debounce_seconds=debounce)
        )
    except InvalidMenuDocument as exc:
        problems = [{"path": p.path, "reason": p.reason} for p in exc.problems]
        raise ApiError(422, "INVALID_MENU_DOCUMENT", f"{exc}; nothing was imported", {"problems": problems}) from None
    return ImportReportOut.model_validate({**done.report.to_dict(), "syncsRequested": len(done.syncs)})


class LocationUpdateIn(ApiModel):
    """An item at one location: its price there (null: back to the item's price), stock, 86."""

    price: Decimal | None = Field(default=None, ge=0, le=MAX_PRICE, decimal_places=2)
    clear_price: bool = False
    stock: int | None = Field(default=None, ge=0, le=1_000_000)
    untrack_stock: bool = False
    out_of_stock: bool | None = None
    out_until: datetime | None = None

    @field_validator("out_until")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("must carry a time zone (e.g. 2026-11-30T22:00:00Z)")
        return value


class ItemUpdateIn(ApiModel):
    """A partial update of one item; fields left out stay as they are."""

    price: Decimal | None = Field(default=None, ge=0, le=MAX_PRICE, decimal_places=2)
    locations: dict[str, LocationUpdateIn] = Field(default_factory=dict, max_length=1000)


class ItemUpdateOut(ApiModel):
    """Whether the update changed anything (a change requests a sync)."""

    item_id: str
    changed: bool


@pos_router.patch("/pos/items/{itemId}", response_model=ItemUpdateOut, responses=errors(400, 404))
def patch_pos_item(
    request: Request,
    body: ItemUpdateIn,
    item_id: str = Path(alias="itemId", max_length=128),
    caller: pos_inbound.PosCaller = Depends(pos_caller),
    db: Database = Depends(database),
) -> ItemUpdateOut:
    """The POS changes one of its items: price, and per location price, stock and 86."""
    locations = {
        location_id: pos_inbound.LocationUpdate(**update.model_dump()) for location_id, update in body.locations.items()
    }
    jobs = getattr(request.app.state, "jobs", None)
    changed = pos_inbound.update_item(
        db,
        caller,
        item_id,
        price=body.price,
        locations=locations,
        notify=_notify(request),
        notify_jobs=jobs.enqueue_outbound if jobs is not None else None,
        debounce_seconds=request.app.state.settings.sync_debounce_seconds,
    )
    return ItemUpdateOut(item_id=item_id, changed=changed)


class StatusReportIn(ApiModel):
    """A status change the POS reports for one of its orders."""

    status: OrderStatus
    reason: str | None = Field(default=None, max_length=1000)


class StatusReportOut(ApiModel):
    """The order's status now, and whether the report changed it (a repeat changes nothing)."""

    pos_order_id: str
    wix_order_id: str
    previous: str
    status: str
    changed: bool


@pos_router.post("/pos/orders/{orderId}/status", response_model=StatusReportOut, responses=errors(400, 404, 409))
def post_pos_order_status(
    request: Request,
    body: StatusReportIn,
    order_id: str = Path(alias="orderId", max_length=128, description="The POS's own id, posbridge's, or Wix's"),
    caller: pos_inbound.PosCaller = Depends(pos_caller),
    db: Database = Depends(database),
) -> StatusReportOut:
    """The POS moves one of its orders (accepted, ready, fulfilled, cancelled); Wix is told as for the kitchen."""
    jobs = getattr(request.app.state, "jobs", None)
    outcome = pos_inbound.report_status(
        db, caller, order_id, body.status, reason=body.reason, notify=jobs.enqueue_outbound if jobs else None
    )
    return StatusReportOut(
        pos_order_id=outcome.pos_order_id,
        wix_order_id=outcome.wix_order_id,
        previous=outcome.previous,
        status=outcome.status,
        changed=outcome.changed,
    )
