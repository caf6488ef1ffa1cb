"""Control API for eCom orders: checkout on a new-generation site, dashboard actions, events, state views."""

from __future__ import annotations

import copy
from decimal import Decimal
from typing import Any

from fastapi import FastAPI, HTTPException
from pydantic import Field

from wixsim.basket import DecimalStr
from wixsim.models import StrictModel
from wixsim.newgen import ecom_model as model
from wixsim.newgen.ecom_events import owner_identity
from wixsim.newgen.ecom_state import EcomOrderRecord, Entity
from wixsim.runtime import Sim


class DashboardCancel(StrictModel):
    """The merchant cancels an order in Wix's dashboard (optionally refunding what was paid)."""

    refund: bool = False
    customMessage: str | None = None
    restockAllItems: bool = False
    sendOrderCanceledEmail: bool = False


class DashboardRefund(StrictModel):
    """The merchant refunds (part of) an order's payment."""

    amount: DecimalStr | None = Field(None, description="Default: everything paid and not yet refunded")
    reason: str | None = None


def ecom_order_view(rec: EcomOrderRecord) -> dict[str, Any]:
    """An eCom order with its history, fulfillments and events."""
    return {
        "generation": "new",
        "order": copy.deepcopy(rec.order),
        "instanceId": rec.instance_id,
        "fulfillments": copy.deepcopy(rec.fulfillments),
        "history": copy.deepcopy(rec.history),
        "events": copy.deepcopy(rec.events),
        "checkout": copy.deepcopy(rec.checkout),
    }


def register(api: FastAPI, sim: Sim) -> None:
    """Add the eCom routes to the /_sim control app."""

    def order(order_id: str) -> EcomOrderRecord:
        rec = sim.store.data.ecom_orders.get(order_id)
        if rec is None:
            raise HTTPException(404, "eCom order not found")
        return rec

    async def apply(rec: EcomOrderRecord, events: model.Events) -> dict[str, Any]:
        site = sim.store.site(rec.instance_id)
        ids = sim.ecom_outbox.raise_events(sim.store, rec, events, owner_identity(site.owner_user_id)) if events else []
        delivered = await sim.ecom_outbox.drain(sim.store, ids) if ids else []
        return {**ecom_order_view(rec), "delivered": delivered}

    @api.post("/orders/{order_id}/cancel", summary="Cancel an eCom order as the merchant would in Wix's dashboard")
    async def cancel(order_id: str, body: DashboardCancel) -> dict:
        rec = order(order_id)
        events = model.cancel(rec, "dashboard", body.model_dump())
        if body.refund and rec.order.get("paymentStatus") in ("PAID", "PARTIALLY_REFUNDED"):
            events += model.refund(rec, None, body.customMessage, "dashboard")
        return await apply(rec, events)

    @api.post("/orders/{order_id}/refund", summary="Refund an eCom order's payment (all, or an amount)")
    async def refund(order_id: str, body: DashboardRefund) -> dict:
        rec = order(order_id)
        amount = Decimal(body.amount) if body.amount is not None else None
        return await apply(rec, model.refund(rec, amount, body.reason, "dashboard"))

    @api.post("/orders/{order_id}/mark-paid", summary="Mark an unpaid (cash) eCom order as paid")
    async def mark_paid(order_id: str) -> dict:
        rec = order(order_id)
        return await apply(rec, model.mark_paid(rec, "dashboard"))

    @api.get("/events", summary="eCom webhooks delivered (oldest first)")
    async def events(instanceId: str | None = None, eventType: str | None = None) -> dict:
        return {"events": sim.ecom_outbox.log(instanceId, eventType)}

    @api.post("/events/{event_id}/redeliver", summary="Send a delivered eCom webhook again (Wix's retries)")
    async def redeliver(event_id: str) -> dict:
        delivered = await sim.ecom_outbox.redeliver(sim.store, event_id)
        if delivered is None:
            raise HTTPException(404, "eCom event not found")
        return delivered

    @api.post("/events/drain", summary="Wait until every queued eCom webhook has been delivered")
    async def drain() -> dict:
        await sim.ecom_outbox.drain(sim.store, [])
        return {"events": sim.ecom_outbox.log()}


def ecom_orders_of(sim: Sim, instance_id: str | None) -> list[Entity]:
    """Views of the eCom orders (of one site, or all)."""
    return [ecom_order_view(r) for r in sim.store.data.ecom_orders.values() if instance_id in (None, r.instance_id)]
