"""What a merchant's own POS tells posbridge, with the merchant's API key, about that merchant only.

Order statuses come as the kitchen flow's moves (actor POS). Menus come as the import document
(`posbridge.menu/1`, whose `merchant.id` must be the key's merchant) or as partial updates of one
item: its price, and per location its price, tracked stock and 86. A price change requests the same
debounced POS_CHANGE sync an import does; stock and 86 go through the stock service (its pushes to Wix).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from posbridge.crypto import hash_api_key
from posbridge.errors import WixError
from posbridge.services import order_flow, stock
from posbridge.services.menus import MenuImport, import_menu_document
from posbridge.services.order_lookup import only_order
from posbridge.services.syncing import DEBOUNCE_SECONDS, Notify, request_pos_change_sync
from posbridge.store.db import Database
from posbridge.store.models import ConnectedPosOrder, Item, ItemLocationPrice, Location, Merchant, OrderRow, Stock

API_KEY_PREFIX = "pbk_"


@dataclass(frozen=True)
class PosCaller:
    """The merchant a POS API key belongs to."""

    merchant_pk: int
    merchant_id: str


@dataclass(frozen=True)
class LocationUpdate:
    """A change of one item at one location; a field left None is left as it is (`clear_*` empties it)."""

    price: Decimal | None = None
    clear_price: bool = False
    stock: int | None = None
    untrack_stock: bool = False
    out_of_stock: bool | None = None
    out_until: datetime | None = None


def authenticate(db: Database, api_key: str | None) -> PosCaller | None:
    """The merchant whose API key this is (keys are stored hashed), or None."""
    if not api_key or not api_key.startswith(API_KEY_PREFIX) or len(api_key) > 256:
        return None
    with db.transaction(write=False) as session:
        row = session.execute(
            select(Merchant.id, Merchant.pos_id).where(Merchant.api_key_hash == hash_api_key(api_key))
        ).first()
    return None if row is None else PosCaller(merchant_pk=row[0], merchant_id=row[1])


def import_for(
    db: Database,
    caller: PosCaller,
    document: Any,
    *,
    notify: Notify | None = None,
    debounce_seconds: float = DEBOUNCE_SECONDS,
) -> MenuImport:
    """Import a menu document for the caller's merchant; another merchant's document is refused, unread."""
    named = document.get("merchant") if isinstance(document, dict) else None
    named_id = named.get("id") if isinstance(named, dict) else None
    if named_id != caller.merchant_id:
        raise WixError.of(
            "FORBIDDEN",
            "This API key may only import its own merchant's menus ($.merchant.id must be the key's merchant)",
            http_status=403,
        )
    return import_menu_document(db, document, notify=notify, debounce_seconds=debounce_seconds)


def update_item(
    db: Database,
    caller: PosCaller,
    item_id: str,
    *,
    price: Decimal | None = None,
    locations: Mapping[str, LocationUpdate] | None = None,
    notify: Notify | None = None,
    notify_jobs: stock.Notify | None = None,
    debounce_seconds: float = DEBOUNCE_SECONDS,
) -> bool:
    """Apply a partial update of one of the caller's items; whether anything changed.

    Prices change here (a change requests a sync due `debounce_seconds` later, `notify`); tracked stock
    and 86 go through the stock service (`services/stock.py`: its Wix pushes, `notify_jobs`). Unknown
    item or location ids are a 404 before anything changes.
    """
    updates = dict(locations or {})
    with db.transaction() as session:
        item = session.scalar(
            select(Item).where(Item.merchant_id == caller.merchant_pk, Item.pos_id == item_id).with_for_update()
        )
        if item is None:
            raise WixError.of("ITEM_NOT_FOUND", f"No item '{item_id}'", http_status=404, itemId=item_id)
        places = {location_id: _location(session, caller, location_id) for location_id in updates}
        before = {location_id: session.get(Stock, (item.id, place.id)) for location_id, place in places.items()}
        was = {
            key: None if row is None else (row.quantity, row.out_of_stock, row.out_until) for key, row in before.items()
        }
        priced = price is not None and item.price != price
        if price is not None:
            item.price = price
        for location_id, update in updates.items():
            priced = _apply_price(session, item, places[location_id], update) or priced
    if priced:
        request_pos_change_sync(db, caller.merchant_pk, delay_seconds=debounce_seconds, notify=notify)
    stocked = False
    for location_id, update in updates.items():
        after = _apply_stock(db, caller, item_id, location_id, update, notify_jobs)
        stocked = stocked or (after is not None and after != (was[location_id] or (None, False, None)))
    return priced or stocked


def _location(session: Session, caller: PosCaller, location_id: str) -> Location:
    place = session.scalar(
        select(Location).where(Location.merchant_id == caller.merchant_pk, Location.pos_id == location_id)
    )
    if place is None:
        raise WixError.of("LOCATION_NOT_FOUND", f"No location '{location_id}'", http_status=404, locationId=location_id)
    return place


def _apply_price(session: Session, item: Item, place: Location, update: LocationUpdate) -> bool:
    price_row = session.get(ItemLocationPrice, (item.id, place.id))
    if update.clear_price and price_row is not None:
        session.delete(price_row)
        return True
    if update.price is None:
        return False
    if price_row is None:
        session.add(ItemLocationPrice(item_id=item.id, location_id=place.id, price=update.price))
        return True
    if price_row.price != update.price:
        price_row.price = update.price
        return True
    return False


def _apply_stock(
    db: Database, caller: PosCaller, item_id: str, location_id: str, update: LocationUpdate, notify: stock.Notify | None
) -> tuple[int | None, bool, datetime | None] | None:
    """Tracked count, then 86, through the stock service; the stock after it (None: nothing asked)."""
    done = None
    merchant = caller.merchant_id
    if update.untrack_stock or update.stock is not None:
        count = None if update.untrack_stock else update.stock
        done = stock.set_count(db, item_id, location_id, count, merchant=merchant, notify=notify)
    if update.out_of_stock is True:
        done = stock.eighty_six(db, item_id, location_id, until=update.out_until, merchant=merchant, notify=notify)
    elif update.out_of_stock is False:
        done = stock.restore(db, item_id, location_id, merchant=merchant, notify=notify)
    if done is None:
        return None
    with db.transaction(write=False) as session:
        row = session.scalar(
            select(Stock)
            .join(Item, Item.id == Stock.item_id)
            .join(Location, Location.id == Stock.location_id)
            .where(
                Item.merchant_id == caller.merchant_pk,
                Item.pos_id == item_id,
                Location.merchant_id == caller.merchant_pk,
                Location.pos_id == location_id,
            )
        )
        return None if row is None else (row.quantity, row.out_of_stock, row.out_until)


def report_status(
    db: Database,
    caller: PosCaller,
    order_id: str,
    status: str,
    *,
    reason: str | None = None,
    notify: Callable[[int], None] | None = None,
) -> order_flow.StatusOutcome:
    """The POS moves one of its merchant's orders (its own order id, posbridge's, or Wix's).

    The move is the kitchen flow's (`order_flow.apply_status`, actor POS): judged, recorded, and told to
    Wix; an order of another merchant is not found, exactly like a missing one.
    """
    with db.transaction() as session:
        order = _order_of(session, caller, order_id)
        outcome = order_flow.apply_status(session, order, status, actor="POS", reason=reason)
    if notify is not None:
        for job in outcome.jobs:
            notify(job)
    return outcome


def _order_of(session: Session, caller: PosCaller, order_id: str) -> OrderRow:
    """The caller's order by the POS's own id, posbridge's POS order id, or Wix's order id (locked)."""
    mine = (
        select(OrderRow)
        .join(Location, Location.id == OrderRow.location_id)
        .where(Location.merchant_id == caller.merchant_pk)
    )
    own = session.scalar(
        select(ConnectedPosOrder.pos_order_id).where(
            ConnectedPosOrder.merchant_id == caller.merchant_pk, ConnectedPosOrder.external_id == order_id
        )
    )
    key = own if own is not None else order_id
    found = list(
        session.scalars(
            mine.where(or_(OrderRow.pos_order_id == key, OrderRow.wix_order_id == key)).with_for_update().limit(3)
        )
    )
    exact = [o for o in found if o.pos_order_id == key]
    if exact:
        return exact[0]
    return only_order(found, order_id, f"Wix order id '{order_id}' names several orders")
