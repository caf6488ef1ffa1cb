"""Menu documents (posbridge.menu/1) for import tests: a small hand-written one and generated big ones."""

from __future__ import annotations

import copy
import importlib.util
import uuid
from pathlib import Path
from typing import Any

_GENMENU = Path(__file__).resolve().parents[2] / "bench" / "genmenu.py"


def generated_document(items: int = 2000, locations: int = 3, menus: int = 4, *, seed: int = 7) -> dict[str, Any]:
    """A realistic document from the vendored genmenu tool (merchant id `merchant-<seed>`)."""
    spec = importlib.util.spec_from_file_location("genmenu", _GENMENU)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    document: dict[str, Any] = module.build(items, locations, menus, seed)
    return document


def small_document(merchant_id: str | None = None) -> dict[str, Any]:
    """Two locations, two menus, four items, two option groups (a fresh merchant id unless given)."""
    return copy.deepcopy(
        {
            "format": "posbridge.menu/1",
            "merchant": {"id": merchant_id or f"m-{uuid.uuid4().hex[:10]}", "name": "Trattoria Uno", "currency": "USD"},
            "locations": [
                {
                    "id": "loc-1",
                    "name": "Downtown",
                    "timezone": "America/New_York",
                    "address": {"street": "1 Main St", "city": "New York", "latitude": 40.75, "longitude": -73.99},
                    "hours": [{"day": "MON", "open": "11:00", "close": "22:00"}],
                    "fulfillment": ["PICKUP", "DELIVERY"],
                    "deliveryRadiusKm": 5.0,
                    "slotMinutes": 15,
                    "ordersPerSlot": 20,
                    "requireCustomerPhone": True,
                },
                {
                    "id": "loc-2",
                    "name": "Uptown",
                    "timezone": "America/New_York",
                    "hours": [{"day": "SAT", "open": "18:00", "close": "24:00"}],
                    "fulfillment": ["PICKUP"],
                },
            ],
            "menus": [
                {
                    "id": "menu-1",
                    "name": "Dinner",
                    "locations": ["loc-1", "loc-2"],
                    "sections": [
                        {"id": "sec-1", "name": "Pizza", "items": ["item-1", "item-2"]},
                        {"id": "sec-2", "name": "Desserts", "items": ["item-3"]},
                    ],
                },
                {
                    "id": "menu-2",
                    "name": "Brunch",
                    "locations": ["loc-1"],
                    "availability": [{"days": ["SAT", "SUN"], "from": "10:00", "to": "14:00"}],
                    "sections": [{"id": "sec-3", "name": "Brunch", "items": ["item-4"]}],
                },
            ],
            "items": [
                {
                    "id": "item-1",
                    "name": "Margherita",
                    "price": "12.50",
                    "locationPrices": {"loc-2": "13.00"},
                    "taxRate": "8.875",
                    "labels": ["vegetarian"],
                    "optionGroups": ["grp-size", "grp-extras"],
                    "stock": {"loc-1": 40},
                    "acceptSpecialRequest": True,
                },
                {"id": "item-2", "name": "Diavola", "price": "14.00", "optionGroups": ["grp-size"]},
                {"id": "item-3", "name": "Tiramisu", "price": "7.00", "stock": {"loc-1": 5, "loc-2": None}},
                {"id": "item-4", "name": "Pancakes", "price": "9.00"},
            ],
            "optionGroups": [
                {
                    "id": "grp-size",
                    "name": "Size",
                    "type": "SELECTION",
                    "min": 1,
                    "max": 1,
                    "defaults": ["var-small"],
                    "choices": [{"variation": "var-small", "price": "0"}, {"variation": "var-large", "price": "3.00"}],
                },
                {
                    "id": "grp-extras",
                    "name": "Extras",
                    "type": "EXTRAS",
                    "min": 0,
                    "max": 2,
                    "choices": [
                        {"variation": "var-bacon", "price": "2.00"},
                        {"variation": "var-olives", "price": "1.00"},
                    ],
                },
            ],
            "variations": [
                {"id": "var-small", "name": "Small"},
                {"id": "var-large", "name": "Large"},
                {"id": "var-bacon", "name": "Bacon"},
                {"id": "var-olives", "name": "Olives"},
            ],
        }
    )
