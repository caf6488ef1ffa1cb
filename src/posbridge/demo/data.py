"""The demo's merchant: Trattoria Uno's POS menu (menu.json, posbridge.menu/1), scaled on request.

menu.json is hand-written: two New York locations, three menus (one sold at one location only, on
weekend mornings), option groups of every type, prices that differ by location and a few dishes
whose stock is counted. The journey relies on some of its dishes by id (see `journey.py`).
Its locations are open around the clock so the demo's orders can be placed at any hour.
"""

from __future__ import annotations

import copy
import json
from decimal import Decimal
from functools import cache
from importlib import resources
from typing import Any

MENU_FILE = "menu.json"
# Dishes added by `scaled` go to the All Day menu's sections, in turn; styles make their names differ.
_STYLES = ("Classic", "House", "Spicy", "Garden", "Smoky", "Truffle", "Lemon Herb", "Chef's", "Rustic", "Roman")


@cache
def _builtin() -> dict[str, Any]:
    text = resources.files("posbridge.demo").joinpath(MENU_FILE).read_text(encoding="utf-8")
    document: dict[str, Any] = json.loads(text)
    return document


def builtin_item_count() -> int:
    """How many dishes the hand-written menu has (the smallest menu the demo plays)."""
    return len(_builtin()["items"])


def menu_document(items: int | None = None) -> dict[str, Any]:
    """The merchant's menu document, a fresh copy; with `items`, grown to that many dishes."""
    document = copy.deepcopy(_builtin())
    if items is not None:
        _grow(document, items)
    return document


def _grow(document: dict[str, Any], items: int) -> None:
    """Add dishes modelled on the hand-written ones (names, prices, options) until there are `items`."""
    originals = list(document["items"])
    if items < len(originals):
        raise ValueError(f"the demo's menu has {len(originals)} dishes; --items must be at least that")
    all_day = next(menu for menu in document["menus"] if menu["id"] == "menu-all-day")
    sections = all_day["sections"]
    by_id = {item["id"]: item for item in originals}
    models = [by_id[item_id] for section in sections for item_id in section["items"]]
    for n in range(items - len(originals)):
        model = models[n % len(models)]
        style = _STYLES[(n // len(models)) % len(_STYLES)]
        # A step of 0.25 per round keeps prices realistic and different from the model's.
        bump = Decimal("0.25") * (1 + n // len(models))
        dish = {
            **copy.deepcopy(model),
            "id": f"{model['id']}-{n + 1}",
            "name": f"{style} {model['name']} {n + 1}",
            "price": str(Decimal(model["price"]) + bump),
        }
        dish.pop("stock", None)
        dish["locationPrices"] = {
            loc: str(Decimal(price) + bump) for loc, price in model.get("locationPrices", {}).items()
        }
        document["items"].append(dish)
        section = next(s for s in sections if model["id"] in s["items"])
        section["items"].append(dish["id"])


def with_price(document: dict[str, Any], item_id: str, price: Decimal) -> dict[str, Any]:
    """A copy of the document where one dish costs `price` (the POS-side edit the journey makes)."""
    changed = copy.deepcopy(document)
    item = next(item for item in changed["items"] if item["id"] == item_id)
    item["price"] = str(price)
    return changed


def item(document: dict[str, Any], item_id: str) -> dict[str, Any]:
    """One dish of the document by its POS id."""
    found: dict[str, Any] = next(item for item in document["items"] if item["id"] == item_id)
    return found
