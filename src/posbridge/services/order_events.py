"""Order changes made on Wix's side (Restaurants Orders v3 webhooks, wix-apis.md §5), applied to posbridge's order.

A merchant who accepts, fulfils or cancels an order in Wix's dashboard changes the order at Wix; Wix
tells the app with `wix.restaurants.v3.order_accepted | _canceled | _fulfilled` (`_created` and
`_new_order` announce an order the SPI hands over anyway: recorded, nothing to apply). Events repeat
and arrive in any order, also before Create Order has given posbridge the order:

- each event is recorded once, by its domain event id (else by its token), and a repeat is a no-op;
- an event is judged by the order's own status, never by arrival: a move the order is already at or
  past is stale and changes nothing (CANCELED is final; an `accepted` after `fulfilled` is old news);
- an event for an order posbridge does not hold yet is kept (`webhook_events.subject` = the Wix order
  id) and applied when Create Order records it (`apply_pending`);
- a change from Wix is recorded with actor WIX and never pushed back to Wix;
- Wix cancelling an order the kitchen already fulfilled cancels it and puts it in needs attention
  (the customer may be owed a refund, the food is gone).

The events arrive read at the edge (`spi/order_event_wire.py`: the event's key, the Wix order it
names, the message of the order's latest activity); nothing here reads a new event's Orders v3 JSON.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from posbridge.logs import get_logger
from posbridge.pos.backend import PosBackendFactory
from posbridge.services import attention, order_flow
from posbridge.store.db import Database
from posbridge.store.models import OrderRow, WebhookEvent

log = get_logger("order_events")

PREFIX = "wix.restaurants.v3.order_"
EVENT_TYPES = tuple(PREFIX + slug for slug in ("created", "new_order", "accepted", "canceled", "fulfilled"))
TARGET_OF = {
    PREFIX + "accepted": order_flow.ACCEPTED,
    PREFIX + "fulfilled": order_flow.FULFILLED,
    PREFIX + "canceled": order_flow.CANCELED,
}
# How far along an order is: an event for a status at or behind the order's is stale.
_RANK: dict[str, int] = {
    order_flow.NEW: 0,
    order_flow.ACCEPTED: 1,
    order_flow.READY: 2,
    order_flow.FULFILLED: 3,
    order_flow.CANCELED: 4,
}
MAX_ID = 128  # the event's key and the order id are stored in columns this long
MAX_MESSAGE = 500  # of a merchant's message, kept in the order's history
# Outcomes (logs and tests).
APPLIED, STALE, DUPLICATE, KEPT, NOTED = "APPLIED", "STALE", "DUPLICATE", "KEPT", "NOTED"


@dataclass(frozen=True)
class OrderEvent:
    """A verified Orders v3 webhook in the services' terms, read at the edge (`spi/order_event_wire.py`)."""

    event_id: str  # the domain event's id when it has a usable one, else the signed body's hash
    event_type: str
    instance_id: str
    at: datetime
    wix_order_id: str | None  # the order the event is about, when it names one
    message: str | None  # the message of the order's latest activity (a cancel's reason)
    received: dict[str, Any]  # Wix's `data` and `identity` verbatim, for the event's record


def is_order_event(event_type: str) -> bool:
    """Whether a webhook's eventType is an Orders v3 event."""
    return event_type.startswith(PREFIX)


def apply_order_event(db: Database, event: OrderEvent) -> str:
    """Record the event once and apply it to the order it names; the outcome."""
    try:
        return _apply(db, event)
    except IntegrityError:
        return _apply(db, event)  # a concurrent copy won the event's key: a second pass sees it


def _apply(db: Database, event: OrderEvent) -> str:
    with db.transaction() as session:
        if session.get(WebhookEvent, event.event_id) is not None:
            return DUPLICATE
        wix_order_id = event.wix_order_id
        session.add(
            WebhookEvent(
                id=event.event_id,
                event_type=event.event_type[:64],
                instance_id=event.instance_id,
                subject=wix_order_id,
                event_time=event.at,
                payload={**event.received, "message": event.message},
            )
        )
        session.flush()  # the event's key is taken before anything else changes
        target = TARGET_OF.get(event.event_type)
        if target is None or wix_order_id is None:
            return NOTED
        orders = list(
            session.scalars(
                select(OrderRow)
                .where(OrderRow.instance_id == event.instance_id, OrderRow.wix_order_id == wix_order_id)
                .with_for_update()
            )
        )
        if not orders:
            log.info("order_event.kept", event_type=event.event_type, wix_order_id=wix_order_id)
            return KEPT
        outcomes = [apply_wix_status(session, order, target, at=event.at, message=event.message) for order in orders]
    return APPLIED if APPLIED in outcomes else STALE


def on_order_recorded(session: Session, order: OrderRow, *, pos: PosBackendFactory | None = None) -> list[int]:
    """Create Order recorded a new order: apply what Wix said about it meanwhile, else auto-accept it.

    The outbound jobs queued (the auto-accept to tell Wix), for the caller to wake once committed.
    """
    apply_pending(session, order, pos=pos)
    _flag_payment_mismatch(session, order)
    accepted = order_flow.auto_accept(session, order, pos=pos)
    return list(accepted.jobs) if accepted is not None else []


def _flag_payment_mismatch(session: Session, order: OrderRow) -> None:
    """An order taken in observe mode although its payments do not add up needs a person to settle it."""
    found = [f for f in order.observed_failures or [] if isinstance(f, dict) and f.get("code") == "PAYMENT_FAILED"]
    if not found:
        return
    where = (
        "the POS's own gateway takes the payment: charge the order's total there"
        if order.paid_by_pos_gateway
        else "check what the customer paid in Wix's dashboard and settle the difference"
    )
    attention.flag(
        session,
        order,
        kind=attention.PAYMENT_MISMATCH,
        reason=f"The payments do not match the order ({found[0].get('message')}): {where}",
        actions=(attention.REFUND, attention.CANCEL),
    )


def apply_pending(session: Session, order: OrderRow, *, pos: PosBackendFactory | None = None) -> None:
    """Apply the Wix events that arrived before the order was recorded."""
    rows = session.scalars(
        select(WebhookEvent)
        .where(
            WebhookEvent.instance_id == order.instance_id,
            WebhookEvent.subject == order.wix_order_id,
            WebhookEvent.event_type.in_(tuple(TARGET_OF)),
        )
        .order_by(WebhookEvent.received_at)
    )
    for row in _by_rank(rows):
        payload = row.payload if isinstance(row.payload, dict) else {}
        message = payload["message"] if "message" in payload else _message_kept_before(payload.get("data"))
        apply_wix_status(session, order, TARGET_OF[row.event_type], at=row.event_time, message=message, pos=pos)


def apply_wix_status(
    session: Session,
    order: OrderRow,
    target: str,
    *,
    at: datetime | None,
    message: str | None = None,
    pos: PosBackendFactory | None = None,
) -> str:
    """Bring the order to Wix's status when Wix is ahead; never report it back to Wix."""
    current = order.status
    if _RANK[target] <= _RANK[current]:
        return STALE
    reason = f"in Wix: {message}" if message else "in Wix's dashboard"
    if target == order_flow.CANCELED and current == order_flow.FULFILLED:
        order_flow.apply_status(session, order, target, actor="WIX", reason=reason, at=at, report=False, pos=pos)
        attention.flag(
            session,
            order,
            kind=attention.CANCELED_AFTER_FULFILLED,
            reason=(
                f"Wix cancelled order {order.pos_order_id} after the kitchen fulfilled it: check with the "
                "customer; if they paid, refund them in Wix's dashboard"
            ),
            actions=(attention.REFUND, attention.RESOLVE),
        )
        return APPLIED
    if target == order_flow.FULFILLED and current == order_flow.NEW:
        # Wix went through ACCEPTED; its event was lost or is still on its way.
        order_flow.apply_status(
            session, order, order_flow.ACCEPTED, actor="WIX", reason=reason, at=at, report=False, pos=pos
        )
    order_flow.apply_status(session, order, target, actor="WIX", reason=reason, at=at, report=False, pos=pos)
    return APPLIED


def _by_rank(rows: Iterable[WebhookEvent]) -> list[WebhookEvent]:
    return sorted(rows, key=lambda r: _RANK[TARGET_OF[r.event_type]])


def _message_kept_before(data: Any) -> str | None:
    """The message of an event kept before the edge read it (its record holds only Wix's `data`).

    Such a record waits for its order like any other; its latest activity's message is read as
    `spi/order_event_wire.py` reads a new event's. Only records of that age need it.
    """
    action = data.get("actionEvent") if isinstance(data, dict) else None
    body = action.get("body") if isinstance(action, dict) else None
    order = body.get("order") if isinstance(body, dict) else None
    activities = order.get("activities") if isinstance(order, dict) else None
    text = (
        activities[-1].get("message")
        if isinstance(activities, list) and activities and isinstance(activities[-1], dict)
        else None
    )
    return text.strip()[:MAX_MESSAGE] if isinstance(text, str) and text.strip() else None
