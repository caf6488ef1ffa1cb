"""Price of an item at a location, and what stock and a manual 86 allow to be sold."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from posbridge.pos.pricing import price_at
from posbridge.pos.stock import available_quantity, decrement, is_86ed
from posbridge.store.models import Item, ItemLocationPrice, Stock

NOW = datetime(2026, 11, 27, 23, 0, tzinfo=UTC)


def test_location_price_overrides_the_default() -> None:
    item = Item(name="Margherita", price=Decimal("12.50"))
    item.location_prices = [ItemLocationPrice(location_id=2, price=Decimal("13.00"))]
    assert price_at(item, 1) == Decimal("12.50")
    assert price_at(item, 2) == Decimal("13.00")


def test_untracked_stock_is_unlimited() -> None:
    assert available_quantity(None, NOW) is None
    assert available_quantity(Stock(quantity=None, out_of_stock=False), NOW) is None


def test_tracked_stock_counts_and_never_goes_negative() -> None:
    stock = Stock(quantity=3, out_of_stock=False)
    assert available_quantity(stock, NOW) == 3
    assert not decrement(stock, 2)
    assert stock.quantity == 1
    assert decrement(stock, 1)  # this sale sold it out
    assert stock.quantity == 0
    assert not decrement(stock, 1)  # already out: not "sold out" again
    assert stock.quantity == 0
    assert available_quantity(Stock(quantity=-2, out_of_stock=False), NOW) == 0


def test_manual_86_without_end_holds() -> None:
    stock = Stock(quantity=None, out_of_stock=True, out_until=None)
    assert is_86ed(stock, NOW)
    assert available_quantity(stock, NOW) == 0


def test_manual_86_lapses_at_out_until() -> None:
    stock = Stock(quantity=10, out_of_stock=True, out_until=NOW + timedelta(hours=1))
    assert available_quantity(stock, NOW) == 0
    assert available_quantity(stock, NOW + timedelta(hours=1)) == 10
    assert not is_86ed(stock, NOW + timedelta(hours=2))


def test_untracked_stock_is_never_decremented() -> None:
    stock = Stock(quantity=None, out_of_stock=False)
    assert not decrement(stock, 5)
    assert stock.quantity is None
    assert not decrement(None, 5)
