"""What happens to an eCom order on Wix's side: activities, cancel, payment, fulfillments; each returns its events."""

from __future__ import annotations

import copy
from decimal import Decimal
from typing import Any

from wixsim.clock import new_id, rfc3339
from wixsim.errors import WixApiError
from wixsim.newgen import ecom_events as ev
from wixsim.newgen.ecom_state import EcomOrderRecord, Entity, price
from wixsim.state import Store

Events = list[tuple[str, Entity]]


def find_order(store: Store, instance_id: str, order_id: str) -> EcomOrderRecord:
    """An order of the instance; another instance's order is reported exactly like a missing one."""
    rec = store.data.ecom_orders.get(order_id)
    if rec is None or rec.instance_id != instance_id:
        raise WixApiError(404, "ORDER_NOT_FOUND", f"Order {order_id} not found")
    return rec


def touch(rec: EcomOrderRecord, what: str, source: str, **details: Any) -> None:
    """Stamp updatedDate and append to the control API's history."""
    stamp = rfc3339()
    rec.order["updatedDate"] = stamp
    rec.history.append({"at": stamp, "what": what, "source": source, **details})


def activity(activity_type: str, content: Entity | None = None, author: str | None = None) -> Entity:
    """An order activity as Wix records it (`type` mirrors `activityType`)."""
    out: Entity = {"id": new_id(), "createdDate": rfc3339(), "type": activity_type, "activityType": activity_type}
    if author:
        out["authorEmail"] = author
    out.update(content or {})
    return out


def _amount(rec: EcomOrderRecord, *path: str) -> Decimal:
    node: Any = rec.order
    for key in path:
        node = (node or {}).get(key)
    return Decimal((node or {}).get("amount") or "0")


def _set_balance(rec: EcomOrderRecord, paid: Decimal, refunded: Decimal) -> None:
    currency = rec.order.get("currency") or "USD"
    total = _amount(rec, "priceSummary", "total")
    rec.order["balanceSummary"] = {
        "balance": price(total - paid, currency),
        "paid": price(paid, currency),
        "refunded": price(refunded, currency),
    }


def set_payment_status(rec: EcomOrderRecord, status: str, source: str) -> Events:
    """Change paymentStatus; order_payment_status_updated + order_updated when it really changed."""
    previous = rec.order.get("paymentStatus")
    if previous == status:
        return []
    rec.order["paymentStatus"] = status
    touch(rec, "paymentStatus", source, status=status, previous=previous)
    return [ev.order_action(rec, "payment_status_updated", {"previousPaymentStatus": previous}), ev.order_updated(rec)]


def mark_paid(rec: EcomOrderRecord, source: str) -> Events:
    """The merchant records the payment (e.g. cash at the counter)."""
    if rec.order.get("paymentStatus") != "NOT_PAID":
        raise WixApiError(
            428,
            "ORDER_NOT_UNPAID",
            "Only an unpaid order can be marked as paid",
            {"paymentStatus": rec.order.get("paymentStatus")},
        )
    _set_balance(rec, _amount(rec, "priceSummary", "total"), Decimal("0"))
    rec.order.setdefault("activities", []).append(activity("ORDER_PAID"))
    return set_payment_status(rec, "PAID", source)


def refund(rec: EcomOrderRecord, amount: Decimal | None, reason: str | None, source: str) -> Events:
    """A refund of (part of) what was paid; FULLY_ or PARTIALLY_REFUNDED."""
    paid = _amount(rec, "balanceSummary", "paid")
    refunded = _amount(rec, "balanceSummary", "refunded")
    if rec.order.get("paymentStatus") not in ("PAID", "PARTIALLY_REFUNDED") or paid <= refunded:
        raise WixApiError(
            428,
            "ORDER_NOT_REFUNDABLE",
            "Nothing paid is left to refund",
            {"paymentStatus": rec.order.get("paymentStatus")},
        )
    left = paid - refunded
    amount = left if amount is None else amount
    if amount <= 0 or amount > left:
        raise WixApiError(
            400, "INVALID_REFUND_AMOUNT", f"Refund amount must be above 0 and at most {left}", {"refundable": str(left)}
        )
    currency = rec.order.get("currency") or "USD"
    refunded += amount
    rec.order["balanceSummary"]["refunded"] = price(refunded, currency)
    content: Entity = {"orderRefunded": {"manual": True, "amount": price(amount, currency), "reason": reason or ""}}
    rec.order.setdefault("activities", []).append(activity("ORDER_REFUNDED", content))
    status = "FULLY_REFUNDED" if refunded >= paid else "PARTIALLY_REFUNDED"
    events = set_payment_status(rec, status, source)
    if not events:
        touch(rec, "refund", source, amount=str(amount))
        events = [ev.order_updated(rec)]
    return events


def cancel(rec: EcomOrderRecord, source: str, options: Entity) -> Events:
    """APPROVED or INITIALIZED -> CANCELED (a canceled order again: a no-op without events)."""
    status = rec.order.get("status")
    if status == "CANCELED":
        return []
    if status not in ("APPROVED", "INITIALIZED", "PENDING"):
        raise WixApiError(
            428, "ORDER_CANNOT_BE_CANCELED", f"Order {rec.id} in status {status} can't be canceled", {"status": status}
        )
    rec.order["status"] = "CANCELED"
    rec.order.setdefault("activities", []).append(activity("ORDER_CANCELED"))
    touch(rec, "status", source, status="CANCELED", previous=status, customMessage=options.get("customMessage"))
    extra = {
        "restockAllItems": bool(options.get("restockAllItems", False)),
        "sendOrderCanceledEmail": bool(options.get("sendOrderCanceledEmail", False)),
    }
    if options.get("customMessage") is not None:
        extra["customMessage"] = options["customMessage"]
    return [ev.order_action(rec, "canceled", extra), ev.order_updated(rec)]


def approve(rec: EcomOrderRecord, source: str) -> Events:
    """INITIALIZED -> APPROVED (paid, or an offline payment method)."""
    rec.order["status"] = "APPROVED"
    rec.order["purchasedDate"] = rfc3339()
    touch(rec, "status", source, status="APPROVED", previous="INITIALIZED")
    return [ev.order_action(rec, "approved")]


# ---- fulfillments -------------------------------------------------------------------------------


def fulfilled_quantities(rec: EcomOrderRecord, skip: str | None = None) -> dict[str, int]:
    """Line item id -> quantity already covered by fulfillments (except `skip`)."""
    covered: dict[str, int] = {}
    for f in rec.fulfillments:
        if f["id"] == skip:
            continue
        for line in f.get("lineItems", []):
            covered[line["id"]] = covered.get(line["id"], 0) + int(line["quantity"])
    return covered


def refresh_fulfillment_status(rec: EcomOrderRecord, action: str, source: str) -> Events:
    """Derive fulfillmentStatus from covered quantities; order_fulfilled + order_updated when it changed."""
    covered = fulfilled_quantities(rec)
    lines = rec.order.get("lineItems", [])
    if lines and all(covered.get(line["id"], 0) >= int(line["quantity"]) for line in lines):
        new = "FULFILLED"
    elif any(covered.values()):
        new = "PARTIALLY_FULFILLED"
    else:
        new = "NOT_FULFILLED"
    statuses = sorted({f["status"] for f in rec.fulfillments if f.get("status")})
    rec.order["fulfillmentStatusesAggregate"] = {"statuses": statuses}
    previous = rec.order.get("fulfillmentStatus")
    if new == previous:
        touch(rec, "fulfillments", source, action=action)
        return [ev.order_updated(rec)]
    rec.order["fulfillmentStatus"] = new
    activity_type = "ORDER_FULFILLED" if new == "FULFILLED" else "ORDER_NOT_FULFILLED"
    rec.order.setdefault("activities", []).append(activity(activity_type))
    touch(rec, "fulfillmentStatus", source, status=new, previous=previous, action=action)
    extra = {"previousFulfillmentStatus": previous, "newFulfillmentStatus": new, "action": action}
    return [ev.order_action(rec, "fulfilled", extra), ev.order_updated(rec)]


def fulfillment_view(rec: EcomOrderRecord) -> Entity:
    """OrderWithFulfillments as the Fulfillments API returns it."""
    return {"orderId": rec.id, "fulfillments": copy.deepcopy(rec.fulfillments)}
