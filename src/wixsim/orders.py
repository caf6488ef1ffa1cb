"""Restaurants Orders v3: get, accept, cancel, fulfill with Wix's allowed status transitions."""

from __future__ import annotations

import copy
from typing import Any

from fastapi import APIRouter, Depends, Request

from wixsim import order_events
from wixsim.clock import rfc3339
from wixsim.errors import WixApiError, WixValidationError, json_body
from wixsim.oauth import Caller, caller, store_of
from wixsim.query import query_int, query_list
from wixsim.state import OrderRecord

router = APIRouter(prefix="/v3/orders")

MAX_MESSAGE = 1000
DEFAULT_LIST_LIMIT = 100
MAX_LIST_LIMIT = 1000
ALLOWED_FROM = {
    "ACCEPTED": {"NEW"},
    "FULFILLED": {"ACCEPTED"},
    "CANCELED": {"NEW", "ACCEPTED", "FULFILLED"},
}
"""Target status -> statuses it may be reached from (PENDING -> NEW is Wix's own, on payment)."""


def set_status(rec: OrderRecord, status: str, source: str, message: str | None = None) -> None:
    """Record a status change in the order, its activities and the history."""
    stamp = rfc3339()
    rec.order["status"] = status
    rec.order["updatedDate"] = stamp
    activity: dict[str, Any] = {"timestamp": stamp}
    if message:
        activity["message"] = message
    rec.order.setdefault("activities", []).append(activity)
    rec.status_history.append({"status": status, "at": stamp, "source": source, "message": message})


async def _transition(order_id: str, request: Request, who: Caller, target: str) -> dict:
    rec = store_of(request).order(who.instance_id, order_id)
    body = await json_body(request)
    if body.get("id") not in (None, order_id):
        raise WixValidationError("id", "must match the id in the path")
    message = body.get("message")
    if message is not None and (not isinstance(message, str) or len(message) > MAX_MESSAGE):
        raise WixValidationError("message", f"must be a string of at most {MAX_MESSAGE} characters", "MAX_LENGTH")
    current = rec.order.get("status")
    if current == target:
        return {"order": copy.deepcopy(rec.order)}
    if current not in ALLOWED_FROM[target]:
        raise WixApiError(
            428,
            "ORDER_STATUS_TRANSITION_NOT_ALLOWED",
            f"Order {order_id} can't move from {current} to {target}",
            {"currentStatus": current, "requestedStatus": target},
        )
    set_status(rec, target, "api", message)
    sim = request.app.state.sim
    order_events.emit_status(sim, rec, order_events.app_identity(sim.store.data.app.app_id))
    return {"order": copy.deepcopy(rec.order)}


@router.get("", name="listOrders")
async def list_orders(request: Request, who: Caller = Depends(caller)) -> dict:
    """The site's orders, newest first (status, locationIds, limit 1..1000, default 100)."""
    limit = query_int(request, "limit", DEFAULT_LIST_LIMIT)
    if not 1 <= limit <= MAX_LIST_LIMIT:
        raise WixValidationError("limit", f"must be 1..{MAX_LIST_LIMIT}", "MAX")
    status = request.query_params.get("status")
    locations = set(query_list(request, "locationIds"))
    orders = [
        copy.deepcopy(rec.order)
        for rec in reversed(store_of(request).data.orders.values())
        if rec.instance_id == who.instance_id
        and status in (None, rec.order.get("status"))
        and (not locations or rec.order.get("locationId") in locations)
    ]
    return {"orders": orders[:limit]}


@router.get("/{order_id}", name="getOrder")
async def get_order(order_id: str, request: Request, who: Caller = Depends(caller)) -> dict:
    """One order of the token's site."""
    return {"order": copy.deepcopy(store_of(request).order(who.instance_id, order_id).order)}


@router.post("/{order_id}/accept", name="acceptOrder")
async def accept_order(order_id: str, request: Request, who: Caller = Depends(caller)) -> dict:
    """NEW -> ACCEPTED."""
    return await _transition(order_id, request, who, "ACCEPTED")


@router.post("/{order_id}/cancel", name="cancelOrder")
async def cancel_order(order_id: str, request: Request, who: Caller = Depends(caller)) -> dict:
    """NEW|ACCEPTED|FULFILLED -> CANCELED."""
    return await _transition(order_id, request, who, "CANCELED")


@router.post("/{order_id}/fulfill", name="fulfillOrder")
async def fulfill_order(order_id: str, request: Request, who: Caller = Depends(caller)) -> dict:
    """ACCEPTED -> FULFILLED."""
    return await _transition(order_id, request, who, "FULFILLED")
