"""Stock of the built-in POS: tracked quantities and manual 86 (optionally until a time)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from posbridge.store.models import Stock


def is_86ed(stock: Stock | None, at: datetime) -> bool:
    """Whether the kitchen marked the item out at `at` (an 86 with `out_until` lapses by itself)."""
    if stock is None or not stock.out_of_stock:
        return False
    return stock.out_until is None or at < stock.out_until


def available_quantity(stock: Stock | None, at: datetime) -> int | None:
    """How many can be sold at `at`: None when not tracked (unlimited), 0 when 86'd or sold out."""
    if is_86ed(stock, at):
        return 0
    if stock is None or stock.quantity is None:
        return None
    return max(stock.quantity, 0)


def stock_rows(session: Session, location_id: int, item_ids: Iterable[int], *, lock: bool = False) -> dict[int, Stock]:
    """Stock rows of these items at a location, by item id; `lock` holds them (FOR UPDATE) until commit."""
    ids = sorted(set(item_ids))  # a fixed lock order, so two writers never deadlock
    if not ids:
        return {}
    query = select(Stock).where(Stock.location_id == location_id, Stock.item_id.in_(ids)).order_by(Stock.item_id)
    if lock:
        # Locked rows must carry the committed quantities, not ones this session read before the lock.
        query = query.with_for_update().execution_options(populate_existing=True)
    return {row.item_id: row for row in session.scalars(query)}


def decrement(stock: Stock | None, quantity: int) -> bool:
    """Take `quantity` from tracked stock; True when this sale sold it out (untracked stock never runs out)."""
    if stock is None or stock.quantity is None:
        return False
    before = stock.quantity
    stock.quantity = max(before - quantity, 0)
    return before > 0 and stock.quantity == 0
