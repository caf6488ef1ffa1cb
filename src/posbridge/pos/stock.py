"""Stock of the built-in POS: tracked quantities and manual 86 (optionally until a time)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from posbridge.store.models import Stock

# Built once: every Validate and Create Order reads stock, and building a statement costs more than running it.
_ROWS = (
    select(Stock)
    .where(Stock.location_id == bindparam("location"), Stock.item_id.in_(bindparam("items", expanding=True)))
    .order_by(Stock.item_id)
)
# Locked rows must carry the committed quantities, not ones this session read before the lock.
_LOCKED_ROWS = _ROWS.with_for_update().execution_options(populate_existing=True)


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
    query = _LOCKED_ROWS if lock else _ROWS
    return {row.item_id: row for row in session.scalars(query, {"location": location_id, "items": ids})}


def decrement(stock: Stock | None, quantity: int) -> bool:
    """Take `quantity` from tracked stock; True when this sale sold it out (untracked stock never runs out)."""
    if stock is None or stock.quantity is None:
        return False
    before = stock.quantity
    stock.quantity = max(before - quantity, 0)
    return before > 0 and stock.quantity == 0
