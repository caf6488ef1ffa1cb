"""Prices of the built-in POS: an item's price at a location."""

from __future__ import annotations

from decimal import Decimal

from posbridge.store.models import Item


def price_at(item: Item, location_id: int) -> Decimal:
    """The item's price at this location: the location's override, else the item's default price."""
    for override in item.location_prices:
        if override.location_id == location_id:
            return override.price
    return item.price
