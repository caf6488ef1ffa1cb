"""One order in full, for the kitchen and the operator: lines, options, customer, fulfilment, totals, history.

The same view backs `GET /api/v1/orders/{id}`, `posbridge orders show ID --json` and the kitchen view.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Row
from sqlalchemy.orm import Session

from posbridge.orders.model import OrderStatus
from posbridge.services.order_lookup import find_order
from posbridge.services.queries import ApiModel, AttentionView, attention_view
from posbridge.store.db import Database
from posbridge.store.models import ConnectedPosOrder, Location, OrderLine, OrderLineOption, OrderRow, OutboundJob
from posbridge.store.types import money_normal


class OptionView(ApiModel):
    """A chosen option of a line; nested choices sit in `options`."""

    group: str
    type: str
    name: str
    price: Decimal
    quantity: int
    options: list[OptionView] = []


class LineView(ApiModel):
    """A line as the kitchen cooks it."""

    name: str
    quantity: int
    unit_price: Decimal
    line_total: Decimal
    comment: str | None = None
    catalog_item_id: str
    options: list[OptionView] = []


class TotalsView(ApiModel):
    """The order's figures as Wix stated them (and the checks confirmed)."""

    subtotal: Decimal
    delivery: Decimal
    service_fees: Decimal
    discount: Decimal
    loyalty_savings: Decimal
    tax: Decimal
    tip: Decimal
    total: Decimal


class FulfillmentView(ApiModel):
    """How and when the order reaches the customer."""

    type: str
    asap: bool
    promised_time: datetime | None = None
    details: dict[str, Any] = {}


class HistoryView(ApiModel):
    """One status change: when, from what to what, by whom, why."""

    at: datetime
    status: str
    previous_status: str | None = None
    actor: str
    reason: str | None = None


class PushView(ApiModel):
    """An update owed to the outside world about this order (a status push to Wix, a POS delivery)."""

    id: int
    kind: str
    status: str
    payload: dict[str, Any]
    attempts: int
    next_attempt_at: datetime
    last_error: str | None = None
    created_at: datetime


class OrderDetail(ApiModel):
    """The whole order."""

    pos_order_id: str
    wix_order_id: str
    # The id the merchant's own POS answered with (None for the built-in kitchen, or before it answered).
    pos_own_order_id: str | None = None
    instance_id: str
    configuration_id: str
    location_id: str
    location_name: str
    status: str
    currency: str
    lines: list[LineView]
    customer: dict[str, Any]
    fulfillment: FulfillmentView
    totals: TotalsView
    payments: list[Any]
    paid_by_pos_gateway: bool
    comment: str | None = None
    wix_push_status: str
    attention: AttentionView | None = None
    history: list[HistoryView]
    pushes: list[PushView]
    created_at: datetime
    updated_at: datetime


def get_order(db: Database, order_id: str, *, instance_id: str | None = None) -> OrderDetail:
    """The order with this POS (or Wix) order id; another instance's is 'not found' when an instance is given."""
    with db.transaction(write=False) as session:
        return order_detail(session, find_order(session, order_id, instance_id=instance_id))


def order_detail(session: Session, order: OrderRow) -> OrderDetail:
    """The view of an order row (in the caller's session)."""
    location = session.get(Location, order.location_id)
    jobs = session.scalars(select(OutboundJob).where(OutboundJob.order_id == order.id).order_by(OutboundJob.id))
    return OrderDetail(
        pos_order_id=order.pos_order_id,
        wix_order_id=order.wix_order_id,
        pos_own_order_id=session.scalar(
            select(ConnectedPosOrder.external_id).where(ConnectedPosOrder.pos_order_id == order.pos_order_id)
        ),
        instance_id=order.instance_id,
        configuration_id=order.configuration_wix_id,
        location_id=location.pos_id if location is not None else "",
        location_name=location.name if location is not None else "",
        status=order.status,
        currency=order.currency,
        lines=[_line(line) for line in order.lines],
        customer=dict(order.customer or {}),
        fulfillment=FulfillmentView(
            type=order.fulfillment_type,
            asap=order.asap,
            promised_time=order.promised_time,
            details=dict(order.fulfillment or {}),
        ),
        totals=TotalsView(
            subtotal=money_normal(order.subtotal),
            delivery=money_normal(order.delivery),
            service_fees=money_normal(order.service_fees),
            discount=money_normal(order.discount),
            loyalty_savings=money_normal(order.loyalty_savings),
            tax=money_normal(order.tax),
            tip=money_normal(order.tip),
            total=money_normal(order.total),
        ),
        payments=list(order.payments or []),
        paid_by_pos_gateway=order.paid_by_pos_gateway,
        comment=order.comment,
        wix_push_status=order.wix_push_status,
        attention=attention_view(order),
        history=[
            HistoryView(at=h.at, status=h.status, previous_status=h.previous_status, actor=h.actor, reason=h.note)
            for h in order.history
        ],
        pushes=[
            PushView(
                id=j.id,
                kind=j.kind,
                status=j.status,
                payload=dict(j.payload),
                attempts=j.attempts,
                next_attempt_at=j.next_attempt_at,
                last_error=j.last_error,
                created_at=j.created_at,
            )
            for j in jobs
        ],
        created_at=order.created_at,
        updated_at=order.updated_at,
    )


def _line(line: OrderLine) -> LineView:
    children: dict[int | None, list[OrderLineOption]] = {}
    for option in line.options:
        children.setdefault(option.parent_id, []).append(option)
    return LineView(
        name=line.name,
        quantity=line.quantity,
        unit_price=money_normal(line.unit_price),
        line_total=money_normal(line.line_total),
        comment=line.comment,
        catalog_item_id=line.wix_catalog_item_id,
        options=_options(children, None),
    )


def _options(children: dict[int | None, list[OrderLineOption]], parent: int | None) -> list[OptionView]:
    return [
        OptionView(
            group=o.group_name,
            type=o.group_type,
            name=o.name,
            price=money_normal(o.price),
            quantity=o.quantity,
            options=_options(children, o.id),
        )
        for o in children.get(parent, [])
    ]


class KitchenTicket(ApiModel):
    """An order as the kitchen view shows it: what to cook, for when, and what can be done next."""

    pos_order_id: str
    wix_order_id: str
    status: str
    fulfillment_type: str
    promised_time: datetime | None = None  # a scheduled order's time (None: as soon as possible)
    customer_name: str
    items: list[str]
    comment: str | None = None
    total: Decimal
    currency: str
    actions: list[str]
    attention: str | None = None
    created_at: datetime


class KitchenLocation(ApiModel):
    """One location's open orders, newest first."""

    name: str
    tickets: list[KitchenTicket]


# What the kitchen can do next from each open status (the flow's rules; cancel is always possible).
NEXT_ACTIONS = {
    OrderStatus.NEW: ["accept", "cancel"],
    OrderStatus.ACCEPTED: ["ready", "fulfill", "cancel"],
    OrderStatus.READY: ["fulfill", "cancel"],
}
KITCHEN_LIMIT = 200
TICKET_COLUMNS = (
    OrderRow.pos_order_id,
    OrderRow.wix_order_id,
    OrderRow.status,
    OrderRow.fulfillment_type,
    OrderRow.asap,
    OrderRow.promised_time,
    OrderRow.customer,
    OrderRow.comment,
    OrderRow.total,
    OrderRow.currency,
    OrderRow.needs_attention,
    OrderRow.created_at,
)


class AttentionTicket(ApiModel):
    """An order that needs attention, for the top of the kitchen view."""

    pos_order_id: str
    wix_order_id: str
    location: str
    status: str
    reason: str
    actions: list[str]


def attention_orders(db: Database, instance_id: str, *, limit: int = KITCHEN_LIMIT) -> list[AttentionTicket]:
    """The instance's orders that need attention, newest problem first."""
    with db.transaction(write=False) as session:
        rows = session.execute(
            select(
                OrderRow.pos_order_id,
                OrderRow.wix_order_id,
                Location.name,
                OrderRow.status,
                OrderRow.needs_attention,
                OrderRow.attention_actions,
            )
            .join(Location, Location.id == OrderRow.location_id)
            .where(OrderRow.instance_id == instance_id, OrderRow.needs_attention.is_not(None))
            .order_by(OrderRow.attention_since.desc(), OrderRow.id.desc())
            .limit(limit)
        )
        return [
            AttentionTicket(
                pos_order_id=pos_order_id,
                wix_order_id=wix_order_id,
                location=name,
                status=status,
                reason=reason or "",
                actions=[a for a in (actions or []) if a in ("retry", "resolve")],
            )
            for pos_order_id, wix_order_id, name, status, reason, actions in rows
        ]


def kitchen_orders(db: Database, instance_id: str, *, limit: int = KITCHEN_LIMIT) -> list[KitchenLocation]:
    """The instance's open orders (NEW, ACCEPTED, READY) per location, newest first.

    Three queries whatever the number of tickets (orders, their lines, the lines' options), columns
    only: the card is on the merchant's page and polled every few seconds.
    """
    with db.transaction(write=False) as session:
        orders = session.execute(
            select(OrderRow.id, Location.name, *TICKET_COLUMNS)
            .join(Location, Location.id == OrderRow.location_id)
            .where(OrderRow.instance_id == instance_id, OrderRow.status.in_(tuple(NEXT_ACTIONS)))
            .order_by(OrderRow.created_at.desc(), OrderRow.id.desc())
            .limit(limit)
        ).all()
        lines = session.execute(
            select(OrderLine.id, OrderLine.order_id, OrderLine.quantity, OrderLine.name)
            .where(OrderLine.order_id.in_([row.id for row in orders]))
            .order_by(OrderLine.order_id, OrderLine.position, OrderLine.id)
        ).all()
        chosen: dict[int, list[str]] = {}
        for line_id, name in session.execute(
            select(OrderLineOption.line_id, OrderLineOption.name)
            .where(OrderLineOption.line_id.in_([line.id for line in lines]))
            .order_by(OrderLineOption.line_id, OrderLineOption.id)
        ):
            chosen.setdefault(line_id, []).append(name)
    items: dict[int, list[str]] = {}
    for line in lines:
        options = ", ".join(chosen.get(line.id, []))
        items.setdefault(line.order_id, []).append(
            f"{line.quantity} × {line.name}" + (f" ({options})" if options else "")
        )
    by_location: dict[str, list[KitchenTicket]] = {}
    for row in orders:
        by_location.setdefault(row.name, []).append(_ticket(row, items.get(row.id, [])))
    return [KitchenLocation(name=name, tickets=tickets) for name, tickets in sorted(by_location.items())]


def _ticket(order: Row[Any], items: list[str]) -> KitchenTicket:
    customer = order.customer or {}
    name = " ".join(str(customer.get(k) or "") for k in ("firstName", "lastName")).strip()
    return KitchenTicket(
        pos_order_id=order.pos_order_id,
        wix_order_id=order.wix_order_id,
        status=order.status,
        fulfillment_type=order.fulfillment_type,
        promised_time=None if order.asap else order.promised_time,
        customer_name=name or "—",
        items=items,
        comment=order.comment,
        total=money_normal(order.total),
        currency=order.currency,
        actions=NEXT_ACTIONS[order.status],
        attention=order.needs_attention,
        created_at=order.created_at,
    )
