"""Catalogs v3 entities (Menu, Section, Item): validation, defaults and merge-on-update."""

from __future__ import annotations

import copy
import re
from decimal import Decimal, InvalidOperation
from typing import Any

from wixsim.clock import new_id
from wixsim.state import CatalogContent, Entity

FULFILLMENT_TYPES = {"DELIVERY", "PICKUP_OR_DINE_IN"}
PLATFORMS = {"SITE", "MOBILE_SITE", "WIX_APP", "CALL_CENTER", "CHAT_BOT"}
DAYS = {"SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"}
MAX_PERIODS = 100
TIME_RE = re.compile(r"^(([01]\d|2[0-3]):[0-5]\d|24:00)$")
OPTION_KINDS = {"selection": "SELECTION", "extras": "EXTRAS", "deselection": "DESELECTION"}

MENU_FIELDS = ("name", "description", "imageUrl", "visibilityCriteria", "sectionIds")
SECTION_FIELDS = ("name", "description", "imageUrl", "visibilityCriteria", "itemIds")
ITEM_FIELDS = (
    "name",
    "description",
    "price",
    "imageUrl",
    "labels",
    "inStock",
    "taxRate",
    "visibilityCriteria",
    "dishOptions",
    "acceptSpecialRequest",
)


class EntryError(Exception):
    """A per-entity failure (reported inside a bulk result, or as a 400 for single calls)."""

    def __init__(self, code: str, description: str, field: str | None = None, entity_id: str | None = None):
        super().__init__(description)
        self.code = code
        self.description = description
        self.field = field
        self.entity_id = entity_id

    def wire(self) -> dict[str, Any]:
        """ApplicationError shape {code, description, data}."""
        data = {"field": self.field} if self.field else {}
        return {"code": self.code, "description": self.description, "data": data}


def invalid(field: str, description: str) -> EntryError:
    """An INVALID_ARGUMENT entry error."""
    return EntryError("INVALID_ARGUMENT", f"{field}: {description}", field)


def decimal_value(value: Any, field: str, max_scale: int) -> Decimal:
    """A non-negative decimal with at most max_scale decimals, else an INVALID_ARGUMENT entry error."""
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError) as exc:
        raise invalid(field, f"{value!r} is not a decimal string") from exc
    if not number.is_finite() or number < 0:
        raise invalid(field, "must be a non-negative decimal")
    exponent = number.as_tuple().exponent
    if isinstance(exponent, int) and -exponent > max_scale:
        raise invalid(field, f"at most {max_scale} decimal places")
    return number


def money(value: Any, currency: str, field: str) -> dict[str, str]:
    """A validated Money {value, currency}; currency is the catalog's (read-only)."""
    if not isinstance(value, dict) or "value" not in value:
        raise invalid(field, "must be {value, currency}")
    decimal_value(value["value"], f"{field}.value", 3)
    return {"value": str(value["value"]), "currency": currency}


def _string_list(value: Any, field: str) -> dict[str, list[str]]:
    if not isinstance(value, dict):
        raise invalid(field, "must be {values: [...]}")
    values = value.get("values", [])
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        raise invalid(field, "values must be a list of strings")
    return {"values": list(values)}


def validate_visibility(vc: Any, field: str = "visibilityCriteria") -> Entity:
    """Check a VisibilityCriteria against Wix's enums and limits."""
    if not isinstance(vc, dict):
        raise invalid(field, "must be an object")
    if "visible" in vc and vc["visible"] is not None and not isinstance(vc["visible"], bool):
        raise invalid(f"{field}.visible", "must be a boolean")
    for key, allowed, most in (("fulfillmentTypes", FULFILLMENT_TYPES, 2), ("platforms", PLATFORMS, 5)):
        if key in vc and vc[key] is not None:
            values = vc[key]
            if not isinstance(values, list) or not 1 <= len(values) <= most:
                raise invalid(f"{field}.{key}", f"must hold 1..{most} values")
            bad = [v for v in values if v not in allowed]
            if bad:
                raise invalid(f"{field}.{key}", f"unknown values {bad}")
    availability = vc.get("availability")
    if availability is not None:
        _validate_availability(availability, f"{field}.availability")
    return copy.deepcopy(vc)


def _validate_availability(av: Any, field: str) -> None:
    if not isinstance(av, dict):
        raise invalid(field, "must be an object")
    periods = av.get("periods") or []
    if not isinstance(periods, list) or len(periods) > MAX_PERIODS:
        raise invalid(f"{field}.periods", f"at most {MAX_PERIODS} periods")
    for i, period in enumerate(periods):
        where = f"{field}.periods[{i}]"
        if not isinstance(period, dict):
            raise invalid(where, "must be an object")
        for day in ("openDay", "closeDay"):
            if period.get(day) not in DAYS:
                raise invalid(f"{where}.{day}", "must be one of SUN..SAT")
        for key in ("openTime", "closeTime"):
            if not isinstance(period.get(key), str) or not TIME_RE.match(period[key]):
                raise invalid(f"{where}.{key}", "must be HH:MM between 00:00 and 24:00")
        if period["openDay"] == period["closeDay"] and period["closeTime"] <= period["openTime"]:
            raise invalid(where, "closeTime must be later than openTime on the same day")
    for i, special in enumerate(av.get("specialHourPeriods") or []):
        if not isinstance(special, dict) or not special.get("startDate") or not special.get("endDate"):
            raise invalid(f"{field}.specialHourPeriods[{i}]", "startDate and endDate are required")


def _validate_dish_options(value: Any, content: CatalogContent, currency: str) -> Entity:
    if not isinstance(value, dict) or not isinstance(value.get("values", []), list):
        raise invalid("dishOptions", "must be {values: [DishOption]}")
    out = []
    for i, option in enumerate(value.get("values", [])):
        where = f"dishOptions.values[{i}]"
        if not isinstance(option, dict):
            raise invalid(where, "must be an object")
        kinds = [k for k in OPTION_KINDS if option.get(k) is not None]
        if len(kinds) != 1:
            raise invalid(where, "exactly one of selection, extras, deselection is required")
        kind = kinds[0]
        body = option[kind]
        choices = body.get("availableChoices") or []
        if not isinstance(choices, list):
            raise invalid(f"{where}.{kind}.availableChoices", "must be a list")
        clean_choices = []
        for j, choice in enumerate(choices):
            cwhere = f"{where}.{kind}.availableChoices[{j}]"
            if not isinstance(choice, dict) or choice.get("itemId") not in content.items:
                raise EntryError("NOT_FOUND", f"{cwhere}.itemId: no such item in this catalog", cwhere)
            clean = {"itemId": choice["itemId"]}
            clean["price"] = money(choice.get("price") or {"value": "0"}, currency, f"{cwhere}.price")
            clean_choices.append(clean)
        ids = {c["itemId"] for c in clean_choices}
        new_body: Entity = {**copy.deepcopy(body), "availableChoices": clean_choices}
        if kind == "selection" and body.get("defaultChoice") and body["defaultChoice"] not in ids:
            raise invalid(f"{where}.selection.defaultChoice", "must be one of availableChoices")
        if kind == "extras":
            _check_extras(body, ids, where)
        out.append({"name": option.get("name", ""), "type": OPTION_KINDS[kind], kind: new_body})
    return {"values": out}


def _check_extras(body: Entity, ids: set[str], where: str) -> None:
    defaults = body.get("defaultChoices") or []
    if any(d not in ids for d in defaults):
        raise invalid(f"{where}.extras.defaultChoices", "must be among availableChoices")
    low = body.get("minChoices")
    high = body.get("maxChoices")
    if low is not None and (not isinstance(low, int) or low < 0 or low > len(ids)):
        raise invalid(f"{where}.extras.minChoices", "must be 0..number of availableChoices")
    if high is not None and (not isinstance(high, int) or high < 1 or high > len(ids)):
        raise invalid(f"{where}.extras.maxChoices", "must be 1..number of availableChoices")
    if low is not None and high is not None and low > high:
        raise invalid(f"{where}.extras", "minChoices must not exceed maxChoices")


def _require_name(data: Any, required: bool) -> None:
    if not isinstance(data, dict):
        raise invalid("entity", "must be an object")
    if "name" in data or required:
        name = data.get("name")
        if not isinstance(name, str) or not name.strip():
            raise invalid("name", "is required and must be non-empty")


def _check_refs(ids: dict[str, list[str]], pool: dict[str, Entity], field: str) -> None:
    missing = [i for i in ids["values"] if i not in pool]
    if missing:
        raise EntryError("NOT_FOUND", f"{field}: unknown ids {missing}", field)


def _apply_container(
    data: Entity, fields: tuple[str, ...], children: tuple[str, dict[str, Entity]], base: Entity
) -> Entity:
    """Copy the given fields of a menu or section onto `base`; `children` = (id-list field, its pool)."""
    list_field, pool = children
    for field in fields:
        if field not in data:
            continue
        value = data[field]
        if field == "visibilityCriteria" and value is not None:
            value = validate_visibility(value)
        elif field == list_field:
            value = _string_list(value, field)
            _check_refs(value, pool, field)
        base[field] = value
    base.setdefault("archived", False)
    return base


def apply_menu(data: Entity, content: CatalogContent, existing: Entity | None = None) -> Entity:
    """A validated menu: a new one (existing None) or `existing` with the given fields replaced."""
    _require_name(data, existing is None)
    menu = copy.deepcopy(existing) if existing else {"id": new_id(), "sectionIds": {"values": []}}
    return _apply_container(data, MENU_FIELDS, ("sectionIds", content.sections), menu)


def apply_section(data: Entity, menu_id: str, content: CatalogContent, existing: Entity | None = None) -> Entity:
    """A validated section of `menu_id`, new or updated."""
    _require_name(data, existing is None)
    section = copy.deepcopy(existing) if existing else {"id": new_id(), "itemIds": {"values": []}}
    section["menuId"] = menu_id
    return _apply_container(data, SECTION_FIELDS, ("itemIds", content.items), section)


def apply_item(
    data: Entity, kind: str, content: CatalogContent, currency: str, existing: Entity | None = None
) -> Entity:
    """A validated item (kind DISH or VARIATION), new or updated; type and archived are read-only."""
    _require_name(data, existing is None)
    item: Entity = copy.deepcopy(existing) if existing else {"id": new_id(), "type": kind}
    for field in ITEM_FIELDS:
        if field not in data:
            continue
        value = data[field]
        if value is None:
            item.pop(field, None)
            continue
        if field == "price":
            value = money(value, currency, "price")
        elif field == "taxRate":
            decimal_value(value, "taxRate", 3)
            value = str(value)
        elif field == "labels":
            value = _string_list(value, "labels")
        elif field in ("inStock", "acceptSpecialRequest") and not isinstance(value, bool):
            raise invalid(field, "must be a boolean")
        elif field == "visibilityCriteria":
            value = validate_visibility(value)
        elif field == "dishOptions":
            value = _validate_dish_options(value, content, currency)
        item[field] = value
    item.setdefault("archived", False)
    item.setdefault("inStock", True)
    item.setdefault("acceptSpecialRequest", True)
    return item
