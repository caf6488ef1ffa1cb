"""Needs attention: one mechanism for every problem with an order after Wix handed it over.

Whatever went wrong (a status push to Wix that keeps failing, a delivery to the merchant's POS that
keeps failing, Wix cancelling an order the kitchen already fulfilled, a payment that does not match,
the POS refusing a new-generation order Wix already charged for, a refund in Wix the kitchen must know of)
is flagged on the order with its kind, the reason in words and the actions an operator can take;
the order keeps its status. An order holds one flag at a time: a newer problem replaces the older
one's words (the older one's cause stays in the outbound jobs and the status history).

`flag` and `clear` work inside the caller's transaction, so a problem is recorded together with what
caused it. Listings: `queries.list_orders(attention=True)`, `count`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from posbridge.errors import WixError
from posbridge.logs import get_logger
from posbridge.services.order_lookup import find_order
from posbridge.store.db import Database
from posbridge.store.models import OrderRow
from posbridge.store.types import utcnow

log = get_logger("attention")

# Kinds of problem.
STATUS_PUSH_FAILED = "STATUS_PUSH_FAILED"
POS_DELIVERY_FAILED = "POS_DELIVERY_FAILED"
CANCELED_AFTER_FULFILLED = "CANCELED_AFTER_FULFILLED"
PAYMENT_MISMATCH = "PAYMENT_MISMATCH"
ORDER_REFUSED = "ORDER_REFUSED"  # the POS refused a new-generation order Wix had already taken (and charged)
REFUNDED_IN_WIX = "REFUNDED_IN_WIX"  # Wix refunded part of an order, or all of one the kitchen fulfilled
KINDS = (
    STATUS_PUSH_FAILED,
    POS_DELIVERY_FAILED,
    CANCELED_AFTER_FULFILLED,
    PAYMENT_MISMATCH,
    ORDER_REFUSED,
    REFUNDED_IN_WIX,
)

# Actions an operator can take, and what each does (admin API `POST /orders/{id}/<action>`, CLI
# `posbridge orders <action> ID`).
RETRY = "retry"  # run the order's failed outbound work (status pushes, POS deliveries) again
RESOLVE = "resolve"  # the operator dealt with it outside posbridge: clear the flag
CANCEL = "cancel"  # cancel the order (told to Wix)
REFUND = "refund"  # refund the customer in Wix's dashboard (posbridge cannot), then resolve
ACTIONS = {
    RETRY: "Retry: send the failed updates again",
    RESOLVE: "Resolve: mark it dealt with",
    CANCEL: "Cancel the order",
    REFUND: "Refund the customer in Wix's dashboard, then resolve",
}
MAX_REASON = 2000


def flag(session: Session, order: OrderRow, *, kind: str, reason: str, actions: Sequence[str] = (RESOLVE,)) -> None:
    """Put the order in needs attention (replacing an earlier flag), in the caller's transaction."""
    if kind not in KINDS:
        raise ValueError(f"unknown attention kind {kind!r}")
    unknown = [a for a in actions if a not in ACTIONS]
    if unknown:
        raise ValueError(f"unknown attention actions {unknown!r}")
    order.needs_attention = reason[:MAX_REASON]
    order.attention_kind = kind
    order.attention_actions = list(dict.fromkeys([*actions, RESOLVE]))
    order.attention_since = utcnow()
    log.warning("order.needs_attention", pos_order_id=order.pos_order_id, kind=kind, reason=order.needs_attention)


def clear(session: Session, order: OrderRow, *, kind: str | None = None) -> bool:
    """Take the flag off (only a flag of `kind`, when given); whether there was one."""
    if order.needs_attention is None or (kind is not None and order.attention_kind != kind):
        return False
    order.needs_attention = order.attention_kind = order.attention_actions = order.attention_since = None
    log.info("order.attention_cleared", pos_order_id=order.pos_order_id, kind=kind)
    return True


def count(db: Database, *, instance_id: str | None = None) -> int:
    """How many orders need attention (for /healthz and the dashboard's banner)."""
    query = select(func.count(OrderRow.id)).where(OrderRow.needs_attention.is_not(None))
    if instance_id is not None:
        query = query.where(OrderRow.instance_id == instance_id)
    with db.transaction(write=False) as session:
        return int(session.scalar(query) or 0)


def resolve(db: Database, order_id: str, *, instance_id: str | None = None) -> None:
    """The operator's resolve: the flag goes (409 when the order needs no attention)."""
    with db.transaction() as session:
        order = find_order(session, order_id, instance_id=instance_id, lock=True)
        if not clear(session, order):
            raise WixError.of(
                "NO_ATTENTION_NEEDED",
                f"Order {order.pos_order_id} needs no attention",
                http_status=409,
                orderId=order.pos_order_id,
            )


def ecom_owed(wix_order: Mapping[str, Any] | None) -> Decimal | None:
    """What the customer paid through Wix eCommerce and was not refunded; None for an order of another kind."""
    balance = (wix_order or {}).get("balanceSummary")
    if not isinstance(balance, dict):
        return None
    return _money(balance.get("paid")) - _money(balance.get("refunded"))


def _money(price: Any) -> Decimal:
    value = price.get("amount") if isinstance(price, dict) else price
    try:
        return Decimal(str(value)) if value is not None else Decimal(0)
    except InvalidOperation:
        return Decimal(0)
