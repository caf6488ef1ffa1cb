"""A merchant's own POS, reached over HTTP: the second `PosBackend` (issue 14 §4).

The merchant's menus, prices and stock are what its POS last pushed in (the import document or
partial updates, `services/pos_inbound.py`), held in the same tables as the built-in store's, so
every read is the built-in store's. What differs is placement: for a merchant with a POS URL
(`Merchant.pos_url`), `place_order` also owes the POS an `order.created` webhook, written to the
outbox (`PosDelivery`) in the transaction that records the order, and answers unconfirmed (the POS
acknowledges asynchronously, `services/pos_deliveries.py` delivers). A cancellation by anyone but
the POS itself (the kitchen flow records every move through `change_status`) owes an
`order.canceled` webhook the same way (`queue_cancel`). A merchant without a POS URL is served
exactly as by `BuiltinPos`, with no extra round trip: the merchant row is already in the session.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from posbridge.orders.model import ZERO, Order, OrderStatus, StatusActor
from posbridge.pos import connector
from posbridge.pos.backend import OrderPlacement, PlacedChoice, PlacedOrder, StatusChange
from posbridge.pos.builtin import BuiltinPos
from posbridge.store.models import Item, Location, Merchant, OrderRow, PosDelivery, Variation
from posbridge.store.statuses import PosDeliveryStatus
from posbridge.store.types import money_text, utcnow


class HttpPos(BuiltinPos):
    """The built-in store's reads, with placements and cancellations delivered to the merchant's own POS."""

    def place_order(self, placement: OrderPlacement) -> PlacedOrder:
        placed = super().place_order(placement)
        merchant = self._merchant_of(placement.location.id)
        if merchant is None or merchant.pos_url is None:
            return placed
        ids = self._pos_ids(placement)
        data = created_data(placement, placed.pos_order_id, ids)
        queue(self.session, merchant.id, placed.pos_order_id, connector.EVENT_CREATED, data)
        return PlacedOrder(placed.pos_order_id, confirmed=False)

    def change_status(self, pos_order_id: str, change: StatusChange) -> None:
        """Record the move; a cancellation from anyone but the POS itself is owed to the merchant's POS."""
        super().change_status(pos_order_id, change)
        if change.status != OrderStatus.CANCELED or change.actor == StatusActor.POS:
            return
        order = self.session.scalar(select(OrderRow).where(OrderRow.pos_order_id == pos_order_id))
        if order is not None:
            queue_cancel(self.session, order, reason=change.reason, at=change.at)

    def _pos_ids(self, placement: OrderPlacement) -> PosIds:
        """The POS's own ids of the items and choices the order names (one query each)."""
        item_ids = {line.item_id for line in placement.lines}
        variation_ids = {c.variation_id for line in placement.lines for c in _flat(line.choices) if c.variation_id}
        items: dict[int, str] = {
            row_id: pos_id
            for row_id, pos_id in self.session.execute(select(Item.id, Item.pos_id).where(Item.id.in_(item_ids)))
        }
        variations: dict[int, str] = {}
        if variation_ids:
            query = select(Variation.id, Variation.pos_id).where(Variation.id.in_(variation_ids))
            variations = {row_id: pos_id for row_id, pos_id in self.session.execute(query)}
        return PosIds(items, variations)

    def _merchant_of(self, location_id: int) -> Merchant | None:
        location = self.session.get(Location, location_id)  # in the session since the checks read it
        return None if location is None else self.session.get(Merchant, location.merchant_id)


def queue(
    session: Session,
    merchant_pk: int,
    pos_order_id: str,
    event: str,
    data: dict[str, Any],
    *,
    at: datetime | None = None,
) -> PosDelivery:
    """Owe the merchant's POS a webhook, in the caller's transaction (`data.posOrderId` is refreshed per attempt)."""
    now = at or utcnow()
    delivery = PosDelivery(
        merchant_id=merchant_pk,
        pos_order_id=pos_order_id,
        message_id=connector.message_id(),
        event=event,
        payload={"type": event, "timestamp": now.isoformat().replace("+00:00", "Z"), "data": data},
        status=PosDeliveryStatus.PENDING,
        attempts=0,
        next_attempt_at=now,
    )
    session.add(delivery)
    return delivery


def refused_by_pos(session: Session, pos_order_id: str) -> bool:
    """Whether the merchant's POS refused the order's created webhook (it never took the order)."""
    query = select(PosDelivery.id).where(
        PosDelivery.pos_order_id == pos_order_id,
        PosDelivery.event == connector.EVENT_CREATED,
        PosDelivery.status == PosDeliveryStatus.REFUSED,
    )
    return session.scalar(query.limit(1)) is not None


def queue_cancel(session: Session, order: OrderRow, *, reason: str | None, at: datetime | None = None) -> bool:
    """Owe the order's POS an `order.canceled` webhook when its merchant has a POS of its own; whether it did."""
    location = session.get(Location, order.location_id)
    merchant = None if location is None else session.get(Merchant, location.merchant_id)
    if merchant is None or merchant.pos_url is None or refused_by_pos(session, order.pos_order_id):
        return False  # the built-in kitchen, or a POS that never took the order: nothing to tell it
    data = {
        "wixOrderId": order.wix_order_id,
        "posOrderId": order.pos_order_id,
        "orderRef": order.pos_order_id,
        "posLocationId": location.pos_id if location is not None else None,
        "reason": reason,
    }
    queue(session, merchant.id, order.pos_order_id, connector.EVENT_CANCELED, data, at=at)
    return True


@dataclass(frozen=True)
class PosIds:
    """Row id → the POS's own id, for items and variations."""

    items: Mapping[int, str]
    variations: Mapping[int, str]


def _flat(choices: tuple[PlacedChoice, ...]) -> list[PlacedChoice]:
    found: list[PlacedChoice] = []
    for choice in choices:
        found.append(choice)
        found.extend(_flat(choice.choices))
    return found


def created_data(placement: OrderPlacement, pos_order_id: str, ids: PosIds) -> dict[str, Any]:
    """What the POS needs to cook and hand over the order: lines with choices, customer, fulfilment, totals."""
    order: Order = placement.order
    totals, fulfillment, customer = order.totals, order.fulfillment, order.customer
    return {
        "wixOrderId": order.ref,
        "posOrderId": pos_order_id,
        "orderRef": pos_order_id,
        "posLocationId": placement.location.pos_id,
        "order": {
            "currency": order.currency,
            "fulfillmentType": str(fulfillment.type),
            "asap": fulfillment.asap,
            "promisedTime": fulfillment.promised_time.isoformat() if fulfillment.promised_time else None,
            "customer": {
                "firstName": customer.first_name,
                "lastName": customer.last_name,
                "phone": customer.phone,
                "email": customer.email,
            },
            "comment": order.comment,
            "fulfillment": dict(order.received.get("fulfillment") or {}),
            "payments": [
                {"type": p.type, "amount": None if p.amount is None else money_text(p.amount)} for p in order.payments
            ],
            "totals": {
                "subtotal": money_text(totals.subtotal),
                "delivery": money_text(totals.delivery),
                "tax": money_text(totals.tax),
                "tip": money_text(totals.tip),
                "discount": money_text(abs(totals.discount)),
                "serviceFees": money_text(sum((fee.amount for fee in totals.service_fees), start=ZERO)),
                "total": money_text(totals.total),
            },
            "lines": [
                {
                    "itemId": ids.items.get(line.item_id),
                    "wixItemId": line.item_ref,
                    "name": line.name,
                    "quantity": line.quantity,
                    "unitPrice": money_text(line.unit_price),
                    "lineTotal": money_text(line.line_total),
                    "comment": line.comment,
                    "choices": [_choice(choice, ids) for choice in line.choices],
                }
                for line in placement.lines
            ],
        },
    }


def _choice(choice: PlacedChoice, ids: PosIds) -> dict[str, Any]:
    return {
        "variationId": ids.variations.get(choice.variation_id) if choice.variation_id else None,
        "option": choice.option_name,
        "name": choice.name,
        "quantity": choice.quantity,
        "price": money_text(choice.price),
        "choices": [_choice(inner, ids) for inner in choice.choices],
    }
