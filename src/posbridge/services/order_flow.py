"""The kitchen flow: an order moves NEW → ACCEPTED → READY → FULFILLED, or to CANCELED (product.md §3 step 7).

`change_status` is the one way an order's status changes, whoever asks (the kitchen, an operator,
Wix through its webhooks, a connected POS, posbridge itself): it judges the move, records it in the
order's history with its actor and reason, and queues the report to Wix when Wix models the new
status and the change did not come from Wix. Asking for the status an order already has changes
nothing and is not an error (a kitchen double-click, a repeated webhook, a resent POS report).

Rules (decisions.md "Kitchen flow"): READY and FULFILLED need an accepted order; CANCELED is allowed
from every status, after FULFILLED too (to mark a problem, as Wix allows); nothing leaves CANCELED.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from posbridge.errors import WixError
from posbridge.orders.model import OrderStatus, StatusActor
from posbridge.pos.backend import PosBackend, PosBackendFactory, PosError, PosOrderUnknown, StatusChange
from posbridge.pos.http_pos import HttpPos
from posbridge.services import outbound
from posbridge.services.order_lookup import find_order
from posbridge.store.db import Database
from posbridge.store.models import OrderRow
from posbridge.store.types import utcnow

# Short names for the kitchen's steps (services/ecom_orders.py and order_events.py read them from here).
NEW, ACCEPTED, READY, FULFILLED, CANCELED = (
    OrderStatus.NEW,
    OrderStatus.ACCEPTED,
    OrderStatus.READY,
    OrderStatus.FULFILLED,
    OrderStatus.CANCELED,
)
STATUSES = tuple(s.value for s in OrderStatus)
ACTORS = tuple(a.value for a in StatusActor)
ALLOWED_FROM: dict[str, frozenset[str]] = {
    ACCEPTED: frozenset({NEW}),
    READY: frozenset({ACCEPTED}),
    FULFILLED: frozenset({ACCEPTED, READY}),
    CANCELED: frozenset({NEW, ACCEPTED, READY, FULFILLED}),
}
# What a kitchen action is called and the status it moves to (admin API, CLI, dashboard).
ACTIONS = {"accept": ACCEPTED, "ready": READY, "fulfill": FULFILLED, "cancel": CANCELED}
MAX_REASON = 1000  # Wix's limit on an accept or cancel message, which the reason becomes
AUTO_ACCEPTED = "accepted automatically"
MAX_PREP_MINUTES = 24 * 60

Notify = Callable[[int], None]


@dataclass(frozen=True)
class StatusOutcome:
    """What a status request did: the order's status now, and whether it changed."""

    pos_order_id: str
    wix_order_id: str
    instance_id: str
    previous: str
    status: str
    changed: bool
    jobs: tuple[int, ...] = ()  # outbound jobs queued (wake a worker for each)


def transition_allowed(current: str, target: str) -> bool:
    """Whether the kitchen flow allows `current` → `target` (the same status is not a move)."""
    return current in ALLOWED_FROM.get(target, frozenset())


def change_status(
    db: Database,
    order_id: str,
    target: str,
    *,
    actor: str,
    reason: str | None = None,
    instance_id: str | None = None,
    notify: Notify | None = None,
) -> StatusOutcome:
    """Move an order (POS or Wix order id) to `target` in its own transaction, then wake the status push."""
    with db.transaction() as session:
        order = find_order(session, order_id, instance_id=instance_id, lock=True)
        outcome = apply_status(session, order, target, actor=actor, reason=reason)
    if notify is not None:
        for job in outcome.jobs:
            notify(job)
    return outcome


def apply_status(
    session: Session,
    order: OrderRow,
    target: str,
    *,
    actor: str,
    reason: str | None = None,
    at: datetime | None = None,
    report: bool = True,
    pos: PosBackendFactory | None = None,
) -> StatusOutcome:
    """Judge and record a move inside the caller's transaction (the order row held by the caller).

    The POS backend (`pos`, `HttpPos` unless given: the built-in store, which also tells a merchant's own
    POS of a cancellation) records the move; `report` False: Wix
    already knows (the change came from Wix), so nothing is queued for it.
    Raises WixError 409 `STATUS_TRANSITION_NOT_ALLOWED` for a move the flow forbids.
    """
    if target not in STATUSES:
        raise WixError.of("INVALID_STATUS", f"'{target}' is not an order status", http_status=400, status=target)
    if actor not in ACTORS:
        raise ValueError(f"unknown actor {actor!r}")
    previous = order.status
    if previous == target:
        return _outcome(order, previous, changed=False)
    if not transition_allowed(previous, target):
        raise WixError.of(
            "STATUS_TRANSITION_NOT_ALLOWED",
            _refusal(previous, target, order.pos_order_id),
            http_status=409,
            currentStatus=previous,
            requestedStatus=target,
        )
    text = reason.strip()[:MAX_REASON] if reason and reason.strip() else None
    backend = (pos or HttpPos)(session)
    try:
        backend.change_status(
            order.pos_order_id, StatusChange(OrderStatus(target), StatusActor(actor), reason=text, at=at or utcnow())
        )
    except PosOrderUnknown as exc:
        raise WixError.of("ORDER_NOT_FOUND", str(exc), http_status=404, orderId=order.pos_order_id) from exc
    except PosError as exc:
        raise WixError.of(
            "POS_REFUSED", f"The POS did not take the change: {exc}", http_status=409, orderId=order.pos_order_id
        ) from exc
    jobs: tuple[int, ...] = ()
    if report and actor != "WIX":
        message = _wix_message(backend, order, target, text)
        job = outbound.queue_status_push(session, order, target, actor=actor, message=message)
        jobs = (job,) if job is not None else ()
    return _outcome(order, previous, changed=True, jobs=(*jobs, *backend.owed_jobs()))


def auto_accept(session: Session, order: OrderRow, *, pos: PosBackendFactory | None = None) -> StatusOutcome | None:
    """Accept a new order at once when its location says so (called right after the order is recorded)."""
    if order.status != NEW:
        return None
    location = (pos or HttpPos)(session).location(order.location_id)
    if location is None or not location.auto_accept:
        return None
    return apply_status(session, order, ACCEPTED, actor="SYSTEM", reason=AUTO_ACCEPTED, pos=pos)


@dataclass(frozen=True)
class AutoAccept:
    """A location's auto-accept setting."""

    merchant_id: str
    location_id: str
    enabled: bool
    prep_minutes: int | None


def set_auto_accept(
    db: Database,
    location_pk: int,
    *,
    enabled: bool,
    prep_minutes: int | None,
    pos: PosBackendFactory = HttpPos,
) -> None:
    """Turn auto-accept of a location on or off, with the preparation time promised to customers."""
    _check_prep_minutes(prep_minutes)
    with db.transaction() as session:
        if not pos(session).set_auto_accept(location_pk, enabled=enabled, prep_minutes=prep_minutes):
            raise WixError.of("LOCATION_NOT_FOUND", "The location is not known", http_status=404)


def set_auto_accept_at(
    db: Database,
    merchant_id: str,
    location_id: str,
    *,
    enabled: bool,
    prep_minutes: int | None,
    pos: PosBackendFactory = HttpPos,
) -> AutoAccept:
    """`set_auto_accept` for a merchant's location named by POS ids (the operator's CLI and admin API)."""
    _check_prep_minutes(prep_minutes)
    with db.transaction(write=False) as session:
        location = pos(session).find_location(merchant_id, location_id)
        location_pk = None if location is None else location.id
    if location_pk is None:
        raise WixError.of(
            "LOCATION_NOT_FOUND",
            f"Merchant '{merchant_id}' has no location '{location_id}'",
            http_status=404,
            locationId=location_id,
        )
    set_auto_accept(db, location_pk, enabled=enabled, prep_minutes=prep_minutes, pos=pos)
    return AutoAccept(merchant_id, location_id, enabled, prep_minutes)


def _check_prep_minutes(prep_minutes: int | None) -> None:
    if prep_minutes is not None and not 1 <= prep_minutes <= MAX_PREP_MINUTES:
        raise WixError.of(
            "INVALID_ARGUMENT", f"The preparation time must be 1..{MAX_PREP_MINUTES} minutes", http_status=400
        )


def _wix_message(pos: PosBackend, order: OrderRow, target: str, reason: str | None) -> str | None:
    """What Wix shows the customer: a cancel's reason; an accept's reason, or the promised preparation time."""
    if target == CANCELED:
        return reason
    if target != ACCEPTED:
        return None
    location = pos.location(order.location_id)
    if reason and reason != AUTO_ACCEPTED:
        return reason
    if location is not None and location.prep_minutes:
        return f"Ready in about {location.prep_minutes} minutes"
    return None


def _refusal(current: str, target: str, pos_order_id: str) -> str:
    if current == CANCELED:
        return f"Order {pos_order_id} is canceled: it cannot become {target}"
    if current == FULFILLED:
        return f"Order {pos_order_id} is fulfilled: it can only be canceled (to mark a problem)"
    return f"Order {pos_order_id} is {current}: accept it before it becomes {target}"


def _outcome(order: OrderRow, previous: str, *, changed: bool, jobs: tuple[int, ...] = ()) -> StatusOutcome:
    return StatusOutcome(
        pos_order_id=order.pos_order_id,
        wix_order_id=order.wix_order_id,
        instance_id=order.instance_id,
        previous=previous,
        status=order.status,
        changed=changed,
        jobs=jobs,
    )
