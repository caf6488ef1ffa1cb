"""eCom Orders (get, search, cancel, activities) and Order Fulfillments, as Wix's SDK packages request them."""

from __future__ import annotations

import copy
from typing import Any

from fastapi import APIRouter, Depends, Request

from wixsim.clock import new_id, rfc3339
from wixsim.errors import WixApiError, WixValidationError, json_body
from wixsim.newgen import ecom_model as model
from wixsim.newgen.ecom_events import app_identity, fulfillments_updated, order_updated
from wixsim.newgen.ecom_search import search
from wixsim.newgen.ecom_state import EcomOrderRecord, Entity
from wixsim.oauth import Caller, caller, store_of

orders_router = APIRouter(prefix="/v1/orders")
fulfillments_router = APIRouter(prefix="/v1/fulfillments")

PATH_PREFIXES = {
    "orders": ("", "/ecom", "/_api/ecom-orders", "/_api/orders"),
    "fulfillments": ("", "/ecom", "/_api/fulfillments", "/_api/ecom-fulfillments"),
}
"""Each router is served without a prefix (the protoPath), with www.wixapis.com's `/ecom` and with the
prefixes the SDK maps for any other host (`_` in its domainToMappings)."""

ECOM_SDK_PREFIXES = tuple(sorted({p for ps in PATH_PREFIXES.values() for p in ps if p.startswith("/_api/")}))

FULFILLMENT_STATUSES = ("Pending", "Accepted", "Ready", "In_Delivery", "Fulfilled")
MAX_ACTIVITIES = 300
MAX_COMMENT = 5000
MAX_FULFILLMENT_LINES = 300
MAX_LIST_ORDERS = 100
MAX_QUANTITY = 100000
MAX_TRACKING = 100
MAX_TRACKING_LINK = 2048
MAX_CUSTOM_FIELDS = 100


def _raise(request: Request, rec: EcomOrderRecord, events: model.Events) -> None:
    if events:
        request.app.state.sim.ecom_outbox.raise_events(
            store_of(request), rec, events, app_identity(store_of(request).data.app.app_id)
        )


# ---- orders -------------------------------------------------------------------------------------


@orders_router.get("/{order_id}", name="ecom.getOrder")
async def get_order(order_id: str, request: Request, who: Caller = Depends(caller)) -> dict:
    """GetOrder: {order}."""
    return {"order": copy.deepcopy(model.find_order(store_of(request), who.instance_id, order_id).order)}


@orders_router.post("/search", name="ecom.searchOrders")
async def search_orders(request: Request, who: Caller = Depends(caller)) -> dict:
    """SearchOrders: filter, sort, cursor paging over the instance's orders."""
    body = await json_body(request)
    mine = [
        copy.deepcopy(rec.order)
        for rec in store_of(request).data.ecom_orders.values()
        if rec.instance_id == who.instance_id
    ]
    return search(mine, body)


@orders_router.post("/{order_id}/cancel", name="ecom.cancelOrder")
async def cancel_order(order_id: str, request: Request, who: Caller = Depends(caller)) -> dict:
    """CancelOrder: APPROVED|INITIALIZED -> CANCELED; order_canceled + order_updated."""
    body = await json_body(request)
    if body.get("id") not in (None, order_id):
        raise WixValidationError("id", "must match the id in the path")
    message = body.get("customMessage")
    if message is not None and not isinstance(message, str):
        raise WixValidationError("customMessage", "must be a string")
    for flag in ("sendOrderCanceledEmail", "restockAllItems"):
        if body.get(flag) is not None and not isinstance(body[flag], bool):
            raise WixValidationError(flag, "must be a boolean")
    rec = model.find_order(store_of(request), who.instance_id, order_id)
    _raise(request, rec, model.cancel(rec, "api", body))
    return {"order": copy.deepcopy(rec.order)}


def _merchant_comment(index: int, raw: Any) -> Entity:
    field = f"orderActivities[{index}]"
    if not isinstance(raw, dict):
        raise WixValidationError(field, "must be an object")
    if raw.get("activityType") is None:
        raise WixValidationError(f"{field}.activityType", "Required", "REQUIRED_FIELD")
    if raw["activityType"] != "MERCHANT_COMMENT":
        raise WixValidationError(f"{field}.activityType", "only MERCHANT_COMMENT activities can be added")
    message = (raw.get("merchantComment") or {}).get("message")
    if not isinstance(message, str) or not 1 <= len(message) <= MAX_COMMENT:
        raise WixValidationError(
            f"{field}.merchantComment.message", f"must be 1..{MAX_COMMENT} characters", "MAX_LENGTH"
        )
    return model.activity("MERCHANT_COMMENT", {"merchantComment": {"message": message}}, raw.get("authorEmail"))


@orders_router.post("/{order_id}/activities/add", name="ecom.addActivities")
async def add_activities(order_id: str, request: Request, who: Caller = Depends(caller)) -> dict:
    """AddActivities: 1..300 merchant comments; {order, activityIds}."""
    body = await json_body(request)
    if body.get("orderId") not in (None, order_id):
        raise WixValidationError("orderId", "must match the id in the path")
    raw = body.get("orderActivities")
    if not isinstance(raw, list) or not 1 <= len(raw) <= MAX_ACTIVITIES:
        raise WixValidationError("orderActivities", f"must hold 1..{MAX_ACTIVITIES} activities", "SIZE")
    added = [_merchant_comment(i, a) for i, a in enumerate(raw)]
    rec = model.find_order(store_of(request), who.instance_id, order_id)
    rec.order.setdefault("activities", []).extend(added)
    model.touch(rec, "activities", "api", count=len(added))
    _raise(request, rec, [order_updated(rec)])
    return {"order": copy.deepcopy(rec.order), "activityIds": [a["id"] for a in added]}


# ---- fulfillments -------------------------------------------------------------------------------


def _string(value: Any, field: str, limit: int) -> str:
    if not isinstance(value, str) or not 1 <= len(value) <= limit:
        raise WixValidationError(field, f"must be a string of 1..{limit} characters", "MAX_LENGTH")
    return value


def _info(raw: Entity, out: Entity) -> None:
    """trackingInfo | customInfo (one of), validated."""
    tracking, custom = raw.get("trackingInfo"), raw.get("customInfo")
    if tracking is not None and custom is not None:
        raise WixValidationError("fulfillment", "trackingInfo and customInfo are one of")
    if tracking is not None:
        if not isinstance(tracking, dict):
            raise WixValidationError("fulfillment.trackingInfo", "must be an object")
        info: Entity = {}
        for key, limit in (
            ("trackingNumber", MAX_TRACKING),
            ("shippingProvider", MAX_TRACKING),
            ("trackingLink", MAX_TRACKING_LINK),
        ):
            if tracking.get(key) is not None:
                info[key] = _string(tracking[key], f"fulfillment.trackingInfo.{key}", limit)
        link = info.get("trackingLink")
        if link is not None and not link.startswith(("http://", "https://")):
            raise WixValidationError("fulfillment.trackingInfo.trackingLink", "must be a web URL", "FORMAT")
        out.pop("customInfo", None)
        out["trackingInfo"] = info
    if custom is not None:
        data = custom.get("fieldsData") if isinstance(custom, dict) else None
        if data is None:
            data = {}
        if (
            not isinstance(data, dict)
            or len(data) > MAX_CUSTOM_FIELDS
            or not all(isinstance(v, str) for v in data.values())
        ):
            raise WixValidationError("fulfillment.customInfo.fieldsData", f"≤ {MAX_CUSTOM_FIELDS} string values")
        out.pop("trackingInfo", None)
        out["customInfo"] = {"fieldsData": dict(data)}


def _status(raw: Entity, out: Entity) -> None:
    if "status" in raw:
        status = raw["status"]
        if status is not None and status not in FULFILLMENT_STATUSES:
            raise WixValidationError(
                "fulfillment.status", f"must be one of {', '.join(FULFILLMENT_STATUSES)} (case-sensitive)"
            )
        out["status"] = status
    if "completed" in raw:
        if raw["completed"] is not None and not isinstance(raw["completed"], bool):
            raise WixValidationError("fulfillment.completed", "must be a boolean")
        out["completed"] = raw["completed"]


def _lines(rec: EcomOrderRecord, raw: Any, skip: str | None) -> list[Entity]:
    """The fulfillment's line items: known lines, quantities ≤ what is not yet fulfilled."""
    if not isinstance(raw, list) or not 1 <= len(raw) <= MAX_FULFILLMENT_LINES:
        raise WixValidationError("fulfillment.lineItems", f"must hold 1..{MAX_FULFILLMENT_LINES} line items", "SIZE")
    ordered = {line["id"]: int(line["quantity"]) for line in rec.order.get("lineItems", [])}
    covered = model.fulfilled_quantities(rec, skip)
    out: dict[str, int] = {}
    for i, line in enumerate(raw):
        line_id = line.get("id") if isinstance(line, dict) else None
        if not isinstance(line_id, str) or line_id not in ordered:
            raise WixApiError(
                404, "LINE_ITEM_NOT_FOUND", f"Line item {line_id} is not in order {rec.id}", {"lineItemId": line_id}
            )
        available = ordered[line_id] - covered.get(line_id, 0) - out.get(line_id, 0)
        quantity = line.get("quantity", available)
        if quantity is None:
            quantity = available
        if not isinstance(quantity, int) or isinstance(quantity, bool) or not 0 <= quantity <= MAX_QUANTITY:
            raise WixValidationError(f"fulfillment.lineItems[{i}].quantity", f"must be 1..{MAX_QUANTITY}")
        if quantity == 0 and "quantity" in line and line["quantity"] is not None:
            raise WixValidationError(f"fulfillment.lineItems[{i}].quantity", f"must be 1..{MAX_QUANTITY}")
        if quantity > available or quantity == 0:
            raise WixApiError(
                428,
                "INSUFFICIENT_QUANTITY_TO_FULFILL",
                f"Line item {line_id} has only {available} left to fulfill",
                {"lineItemId": line_id, "available": available, "requested": quantity},
            )
        out[line_id] = out.get(line_id, 0) + quantity
    return [{"id": k, "quantity": v} for k, v in out.items()]


def _approved(rec: EcomOrderRecord) -> None:
    status = rec.order.get("status")
    if status != "APPROVED":
        raise WixApiError(
            428, "ORDER_NOT_APPROVED", "Fulfillments can only be changed for approved orders", {"orderStatus": status}
        )


def _fulfillment(rec: EcomOrderRecord, fulfillment_id: str) -> Entity:
    for f in rec.fulfillments:
        if f["id"] == fulfillment_id:
            return f
    raise WixApiError(404, "FULFILLMENT_NOT_FOUND", f"Fulfillment {fulfillment_id} not found in order {rec.id}")


def _changed(request: Request, rec: EcomOrderRecord, action: str) -> None:
    events = [fulfillments_updated(rec), *model.refresh_fulfillment_status(rec, action, "api")]
    _raise(request, rec, events)


def _orders_list(body: Entity, field: str) -> list[Any]:
    """body[field]: a list of 1..100 entries (one per order)."""
    value = body.get(field)
    if not isinstance(value, list) or not 1 <= len(value) <= MAX_LIST_ORDERS:
        raise WixValidationError(field, f"must hold 1..{MAX_LIST_ORDERS} entries", "SIZE")
    return value


@fulfillments_router.get("/orders/{order_id}", name="ecom.listFulfillmentsForSingleOrder")
async def list_for_order(order_id: str, request: Request, who: Caller = Depends(caller)) -> dict:
    """{orderWithFulfillments{orderId, fulfillments}}."""
    return {
        "orderWithFulfillments": model.fulfillment_view(model.find_order(store_of(request), who.instance_id, order_id))
    }


@fulfillments_router.post("/list-by-ids", name="ecom.listFulfillmentsForMultipleOrders")
async def list_for_orders(request: Request, who: Caller = Depends(caller)) -> dict:
    """{ordersWithFulfillments}: 1..100 order ids; unknown ids (or another site's) are left out."""
    ids = _orders_list(await json_body(request), "orderIds")
    pool = store_of(request).data.ecom_orders
    found = [pool[i] for i in ids if isinstance(i, str) and i in pool and pool[i].instance_id == who.instance_id]
    return {"ordersWithFulfillments": [model.fulfillment_view(rec) for rec in found]}


@fulfillments_router.post("/orders/{order_id}/create-fulfillment", name="ecom.createFulfillment")
async def create_fulfillment(order_id: str, request: Request, who: Caller = Depends(caller)) -> dict:
    """CreateFulfillment (approved orders only): {orderWithFulfillments, fulfillmentId}."""
    body = await json_body(request)
    if body.get("orderId") not in (None, order_id):
        raise WixValidationError("orderId", "must match the id in the path")
    raw = body.get("fulfillment")
    if not isinstance(raw, dict):
        raise WixValidationError("fulfillment", "Required", "REQUIRED_FIELD")
    rec = model.find_order(store_of(request), who.instance_id, order_id)
    new = _create(rec, raw)
    _changed(request, rec, "create-fulfillment")
    return {"orderWithFulfillments": model.fulfillment_view(rec), "fulfillmentId": new["id"]}


def _create(rec: EcomOrderRecord, raw: Any) -> Entity:
    """Validate and add one fulfillment to an approved order (nothing added when refused)."""
    if not isinstance(raw, dict):
        raise WixValidationError("fulfillment", "must be an object")
    _approved(rec)
    new: Entity = {"id": new_id(), "createdDate": rfc3339()}
    new["lineItems"] = _lines(rec, raw.get("lineItems"), None)
    _status(raw, new)
    _info(raw, new)
    rec.fulfillments.append(new)
    return new


@fulfillments_router.post("/orders/bulk/create-fulfillments", name="ecom.bulkCreateFulfillments")
async def bulk_create(request: Request, who: Caller = Depends(caller)) -> dict:
    """BulkCreateFulfillment: 1..100 orders, each all-or-nothing; failures are per item inside a 200."""
    entries = _orders_list(await json_body(request), "ordersWithFulfillments")
    store = store_of(request)
    results: list[Entity] = []
    for index, entry in enumerate(entries):
        entry = entry if isinstance(entry, dict) else {}
        order_id = entry.get("orderId")
        meta: Entity = {"id": order_id, "originalIndex": index, "success": True}
        rec: EcomOrderRecord | None = None
        before: list[Entity] = []
        try:
            if not isinstance(order_id, str):
                raise WixValidationError(f"ordersWithFulfillments[{index}].orderId", "Required", "REQUIRED_FIELD")
            fulfillments = entry.get("fulfillments")
            if not isinstance(fulfillments, list) or not fulfillments:
                raise WixValidationError(f"ordersWithFulfillments[{index}].fulfillments", "at least one", "SIZE")
            rec = model.find_order(store, who.instance_id, order_id)
            before = list(rec.fulfillments)
            for raw in fulfillments:
                _create(rec, raw)
        except WixApiError as err:
            if rec is not None:
                rec.fulfillments[:] = before
            meta.update(success=False, error={"code": err.code, "description": err.message, "data": err.data})
            results.append({"itemMetadata": meta})
            continue
        assert rec is not None
        _changed(request, rec, "bulk-create-fulfillments")
        results.append({"itemMetadata": meta, "ordersWithFulfillments": model.fulfillment_view(rec)})
    failures = sum(1 for r in results if not r["itemMetadata"]["success"])
    return {
        "results": results,
        "bulkActionMetadata": {
            "totalSuccesses": len(results) - failures,
            "totalFailures": failures,
            "undetailedFailures": 0,
        },
    }


@fulfillments_router.patch("/{fulfillment_id}/orders/{order_id}", name="ecom.updateFulfillment")
async def update_fulfillment(
    fulfillment_id: str, order_id: str, request: Request, who: Caller = Depends(caller)
) -> dict:
    """UpdateFulfillment: replaces the given fields (status, completed, tracking/custom info, lineItems)."""
    body = await json_body(request)
    if body.get("orderId") not in (None, order_id):
        raise WixValidationError("orderId", "must match the id in the path")
    raw = body.get("fulfillment") or {}
    if not isinstance(raw, dict):
        raise WixValidationError("fulfillment", "must be an object")
    if raw.get("id") not in (None, fulfillment_id):
        raise WixValidationError("fulfillment.id", "must match the id in the path")
    rec = model.find_order(store_of(request), who.instance_id, order_id)
    current = _fulfillment(rec, fulfillment_id)
    _approved(rec)
    updated = copy.deepcopy(current)
    if "lineItems" in raw:
        updated["lineItems"] = _lines(rec, raw["lineItems"], fulfillment_id)
    _status(raw, updated)
    _info(raw, updated)
    current.clear()
    current.update(updated)
    _changed(request, rec, "update-fulfillment")
    return {"orderWithFulfillments": model.fulfillment_view(rec)}


@fulfillments_router.delete("/{fulfillment_id}/orders/{order_id}", name="ecom.deleteFulfillment")
async def delete_fulfillment(
    fulfillment_id: str, order_id: str, request: Request, who: Caller = Depends(caller)
) -> dict:
    """DeleteFulfillment: {orderWithFulfillments}."""
    rec = model.find_order(store_of(request), who.instance_id, order_id)
    current = _fulfillment(rec, fulfillment_id)
    rec.fulfillments.remove(current)
    _changed(request, rec, "delete-fulfillment")
    return {"orderWithFulfillments": model.fulfillment_view(rec)}
