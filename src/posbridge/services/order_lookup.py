"""Finding an order by the id a person has at hand: the POS order id, Wix's, or the merchant POS's own."""

from __future__ import annotations

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from posbridge.errors import WixError
from posbridge.store.models import ConnectedPosOrder, OrderRow


def find_order(session: Session, order_id: str, *, instance_id: str | None = None, lock: bool = False) -> OrderRow:
    """The order with this POS order id, this Wix order id, or the merchant POS's own id for it.

    Scoped to an instance when one is given.

    A Wix order id is unique per instance and configuration only: when it names several orders (two
    sites, or two configurations) the caller must say which instance; another instance's order is
    'not found', exactly like a missing one.
    """
    query = select(OrderRow).where(or_(OrderRow.pos_order_id == order_id, OrderRow.wix_order_id == order_id))
    if instance_id is not None:
        query = query.where(OrderRow.instance_id == instance_id)
    if lock:
        query = query.with_for_update()
    found = list(session.scalars(query.limit(3)))
    by_pos = [o for o in found if o.pos_order_id == order_id]
    if by_pos:
        return by_pos[0]
    if not found:
        found = _by_external_id(session, order_id, instance_id=instance_id, lock=lock)
    return only_order(found, order_id, f"Order id '{order_id}' names orders of several sites or locations")


def only_order(found: list[OrderRow], order_id: str, ambiguous: str) -> OrderRow:
    """The one order an id found; 404 when none, 409 with `ambiguous` (what the id names) when several."""
    if len(found) == 1:
        return found[0]
    if not found:
        raise WixError.of("ORDER_NOT_FOUND", f"Order '{order_id}' is not known", http_status=404, orderId=order_id)
    raise WixError.of("ORDER_AMBIGUOUS", f"{ambiguous}: use the POS order id", http_status=409, orderId=order_id)


def _by_external_id(session: Session, order_id: str, *, instance_id: str | None, lock: bool) -> list[OrderRow]:
    """Orders a merchant's own POS calls by this id (unique per merchant; two merchants' POSes may share it)."""
    query = (
        select(OrderRow)
        .join(ConnectedPosOrder, ConnectedPosOrder.pos_order_id == OrderRow.pos_order_id)
        .where(ConnectedPosOrder.external_id == order_id)
    )
    if instance_id is not None:
        query = query.where(OrderRow.instance_id == instance_id)
    if lock:
        query = query.with_for_update(of=OrderRow)
    return list(session.scalars(query.limit(3)))
