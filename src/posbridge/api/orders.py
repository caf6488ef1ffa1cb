"""One order: read it whole, move it along the kitchen flow, retry what failed, resolve what needs attention."""

from __future__ import annotations

from typing import Literal

from fastapi import Body, Depends, Path, Query, Request
from pydantic import Field

from posbridge.api.common import admin_router, database, errors
from posbridge.services import order_flow, outbound, pos_deliveries
from posbridge.services.attention import resolve
from posbridge.services.order_views import OrderDetail, get_order
from posbridge.services.queries import ApiModel
from posbridge.store.db import Database

router = admin_router(tags=["orders"])
OrderPath = Path(alias="orderId", description="The POS order id (or Wix's order id).")
InstanceQuery = Query(None, alias="instanceId", description="Only this instance's order (others are not found).")


class ActionRequest(ApiModel):
    """Why (shown to the customer for an accept or a cancel), and who acts."""

    reason: str | None = Field(default=None, max_length=order_flow.MAX_REASON)
    actor: Literal["KITCHEN", "OPERATOR"] = "OPERATOR"


@router.get("/orders/{orderId}", response_model=OrderDetail, responses=errors(400, 404, 409, 428))
def get_one(
    order_id: str = OrderPath, instance_id: str | None = InstanceQuery, db: Database = Depends(database)
) -> OrderDetail:
    """The order with lines, options, customer, fulfilment, totals, status history and pushes to Wix."""
    return get_order(db, order_id, instance_id=instance_id)


def _act(action: str) -> None:
    target = order_flow.ACTIONS[action]

    def act(
        request: Request,
        order_id: str = OrderPath,
        instance_id: str | None = InstanceQuery,
        body: ActionRequest | None = Body(None),
        db: Database = Depends(database),
    ) -> OrderDetail:
        ask = body or ActionRequest()
        jobs = getattr(request.app.state, "jobs", None)
        order_flow.change_status(
            db,
            order_id,
            target,
            actor=ask.actor,
            reason=ask.reason,
            instance_id=instance_id,
            notify=jobs.enqueue_outbound if jobs else None,
        )
        if target == order_flow.CANCELED:
            pos_deliveries.wake(jobs)  # a merchant's own POS is owed the cancellation
        return get_order(db, order_id, instance_id=instance_id)

    act.__doc__ = f"Move the order to {target} (repeating it changes nothing); 409 when the flow forbids it."
    router.post(
        f"/orders/{{orderId}}/{action}",
        response_model=OrderDetail,
        responses=errors(400, 404, 409, 428),
        name=f"{action}_order",
    )(act)


for _action in order_flow.ACTIONS:
    _act(_action)


@router.post("/orders/{orderId}/retry", response_model=OrderDetail, responses=errors(400, 404, 409, 428))
def post_retry(
    request: Request,
    order_id: str = OrderPath,
    instance_id: str | None = InstanceQuery,
    db: Database = Depends(database),
) -> OrderDetail:
    """Send the order's failed updates again (status pushes to Wix, deliveries to the POS); 409 when none failed."""
    jobs = getattr(request.app.state, "jobs", None)
    for job in outbound.retry(db, order_id, instance_id=instance_id):
        if jobs is not None:
            jobs.enqueue_outbound(job)
    return get_order(db, order_id, instance_id=instance_id)


@router.post("/orders/{orderId}/resolve", response_model=OrderDetail, responses=errors(400, 404, 409, 428))
def post_resolve(
    order_id: str = OrderPath, instance_id: str | None = InstanceQuery, db: Database = Depends(database)
) -> OrderDetail:
    """Take the order out of needs attention (the operator dealt with it); 409 when it needs none."""
    resolve(db, order_id, instance_id=instance_id)
    return get_order(db, order_id, instance_id=instance_id)


class AutoAcceptRequest(ApiModel):
    """Whether posbridge accepts the location's new orders itself, and the preparation time it promises."""

    enabled: bool
    prep_minutes: int | None = Field(default=None, ge=1, le=order_flow.MAX_PREP_MINUTES)


class AutoAcceptView(ApiModel):
    """A location's auto-accept setting."""

    merchant_id: str
    location_id: str
    enabled: bool
    prep_minutes: int | None = None


@router.put(
    "/merchants/{merchantId}/locations/{locationId}/auto-accept",
    response_model=AutoAcceptView,
    responses=errors(400, 404),
)
def put_auto_accept(
    body: AutoAcceptRequest,
    merchant_id: str = Path(alias="merchantId", description="The POS merchant id."),
    location_id: str = Path(alias="locationId", description="The POS location id."),
    db: Database = Depends(database),
) -> AutoAcceptView:
    """Accept the location's new orders at once (telling Wix the preparation time), or leave it to the kitchen."""
    done = order_flow.set_auto_accept_at(
        db, merchant_id, location_id, enabled=body.enabled, prep_minutes=body.prep_minutes
    )
    return AutoAcceptView(**vars(done))
