"""Menus API validation (limits from the SDK typings) and the business locations Wix derives from links."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from wixsim.entities import EntryError, decimal_value, invalid
from wixsim.newgen.locations import referenced_ids
from wixsim.newgen.model import Entity, NewGenSite

READ_ONLY = ("id", "revision", "createdDate", "updatedDate", "businessLocationId", "businessLocationIds")
NAME_LIMITS = {
    "menu": 500,
    "section": 500,
    "item": 200,
    "variant": 200,
    "modifier": 200,
    "modifierGroup": 100,
    "label": 50,
}
DESCRIPTION_MAX = 1500
MAX_PRICE_SCALE = 3
MAX_SECTION_IDS = 100
MAX_ITEM_IDS = 300
MAX_PRICE_VARIANTS = 500
MAX_MODIFIER_GROUPS = 25
MAX_LABELS = 10
MAX_GROUP_MODIFIERS = 500
MAX_SELECTIONS = 25
MAX_SECTION_IMAGES = 100
MAX_ITEM_IMAGES = 15
# Writable fields per kind (everything else in a request is read-only or unknown and is dropped).
FIELDS = {
    "menu": ("name", "description", "visible", "sectionIds", "urlQueryParam", "seoData", "extendedFields"),
    "section": ("name", "description", "image", "additionalImages", "itemIds", "visible", "extendedFields"),
    "item": (
        "name",
        "description",
        "image",
        "additionalImages",
        "labels",
        "visible",
        "featured",
        "orderSettings",
        "modifierGroups",
        "priceInfo",
        "priceVariants",
        "extendedFields",
    ),
    "variant": ("name", "extendedFields"),
    "modifier": ("name", "inStock", "extendedFields"),
    "modifierGroup": ("name", "modifiers", "rule", "extendedFields"),
    "label": ("name", "icon", "extendedFields"),
}


def writable(kind: str, data: Entity) -> Entity:
    """The writable fields of a request entity (read-only and unknown fields dropped)."""
    return {k: v for k, v in data.items() if k in FIELDS[kind]}


def _text(data: Entity, field: str, low: int, high: int) -> None:
    value = data.get(field)
    if value is None:
        return
    if not isinstance(value, str):
        raise invalid(field, "must be a string")
    if not low <= len(value) <= high:
        raise invalid(field, f"must be {low} to {high} characters")


def _bool(data: Entity, field: str) -> None:
    if field in data and data[field] is not None and not isinstance(data[field], bool):
        raise invalid(field, "must be a boolean")


def _dict(data: Entity, field: str) -> dict[str, Any]:
    value = data.get(field)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise invalid(field, "must be an object")
    return value


def _list(data: Entity, field: str, most: int) -> list[Any]:
    value = data.get(field)
    if value is None:
        return []
    if not isinstance(value, list):
        raise invalid(field, "must be a list")
    if len(value) > most:
        raise invalid(field, f"at most {most} entries")
    return value


def _ids(data: Entity, field: str, most: int) -> None:
    values = _list(data, field, most)
    if any(not isinstance(v, str) or not v for v in values):
        raise invalid(field, "must be a list of ids")
    if len(set(values)) != len(values):
        raise invalid(field, "ids must be unique")


def _refs(data: Entity, field: str, most: int) -> list[str]:
    """A list of {id} references: ids present and unique."""
    refs = _list(data, field, most)
    ids = []
    for index, ref in enumerate(refs):
        if not isinstance(ref, dict) or not isinstance(ref.get("id"), str) or not ref["id"]:
            raise invalid(f"{field}[{index}].id", "is required")
        ids.append(ref["id"])
    if len(set(ids)) != len(ids):
        raise invalid(field, "ids must be unique")
    return ids


def price(value: Any, field: str) -> Decimal:
    """A price: a non-negative decimal **string** with at most 3 decimals."""
    if not isinstance(value, str):
        raise invalid(field, "must be a decimal string")
    return decimal_value(value, field, MAX_PRICE_SCALE)


def _images(data: Entity, single: str, many: str, most: int) -> None:
    _dict(data, single)
    for index, image in enumerate(_list(data, many, most)):
        if not isinstance(image, dict):
            raise invalid(f"{many}[{index}]", "must be an image object")


def _item_rules(data: Entity, creating: bool) -> None:
    _images(data, "image", "additionalImages", MAX_ITEM_IMAGES)
    _refs(data, "labels", MAX_LABELS)
    _refs(data, "modifierGroups", MAX_MODIFIER_GROUPS)
    _bool(data, "visible")
    _bool(data, "featured")
    settings = _dict(data, "orderSettings")
    for flag in ("inStock", "acceptSpecialRequests"):
        _bool(settings, flag)
    has_single = data.get("priceInfo") is not None
    has_variants = data.get("priceVariants") is not None
    if has_single and has_variants:
        raise invalid("priceVariants", "an item has either priceInfo or priceVariants, not both")
    if creating and not (has_single or has_variants):
        raise invalid("priceInfo", "an item needs priceInfo or priceVariants")
    if has_single:
        price(_dict(data, "priceInfo").get("price"), "priceInfo.price")
    if has_variants:
        variants = _list(_dict(data, "priceVariants"), "variants", MAX_PRICE_VARIANTS)
        if not variants:
            raise invalid("priceVariants.variants", "at least one variant")
        seen = set()
        for index, variant in enumerate(variants):
            where = f"priceVariants.variants[{index}]"
            if not isinstance(variant, dict) or not isinstance(variant.get("variantId"), str):
                raise invalid(f"{where}.variantId", "is required")
            if variant["variantId"] in seen:
                raise invalid(f"{where}.variantId", "variants must be unique")
            seen.add(variant["variantId"])
            info = variant.get("priceInfo") if isinstance(variant.get("priceInfo"), dict) else None
            # PriceVariant.price is deprecated in favour of priceInfo.price; either carries the price.
            price(info.get("price") if info else variant.get("price"), f"{where}.priceInfo.price")


def _group_rules(data: Entity, existing: Entity | None) -> None:
    modifiers = _list(data, "modifiers", MAX_GROUP_MODIFIERS)
    ids = []
    for index, entry in enumerate(modifiers):
        where = f"modifiers[{index}]"
        if not isinstance(entry, dict) or not isinstance(entry.get("id"), str) or not entry["id"]:
            raise invalid(f"{where}.id", "is required")
        ids.append(entry["id"])
        _bool(entry, "preSelected")
        charge = _dict(entry, "additionalChargeInfo").get("additionalCharge")
        if charge is not None:
            price(charge, f"{where}.additionalChargeInfo.additionalCharge")
    if len(set(ids)) != len(ids):
        raise invalid("modifiers", "ids must be unique")
    rule = _dict(data, "rule")
    _bool(rule, "required")
    count = len(modifiers) if "modifiers" in data else len((existing or {}).get("modifiers", []))
    low, high = rule.get("minSelections", 0), rule.get("maxSelections")
    for name, value in (("minSelections", low), ("maxSelections", high)):
        if value is not None and (
            not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= MAX_SELECTIONS
        ):
            raise invalid(f"rule.{name}", f"must be an integer from 0 to {MAX_SELECTIONS}")
    if low and low > count:
        raise invalid("rule.minSelections", "must not exceed the number of modifiers")
    if high is not None and high < (low or 0):
        raise invalid("rule.maxSelections", "must not be less than minSelections")


def validate_entity(kind: str, data: Entity, *, creating: bool, existing: Entity | None = None) -> None:
    """Raise EntryError(INVALID_ARGUMENT) for the first rule the (writable) fields break."""
    if creating and not data.get("name"):
        raise invalid("name", "is required")
    if not creating and "name" in data and not data["name"]:
        raise invalid("name", "must not be empty")
    _text(data, "name", 1, NAME_LIMITS[kind])
    _text(data, "description", 0, DESCRIPTION_MAX)
    for field in ("extendedFields", "seoData", "icon"):
        _dict(data, field)
    if kind == "menu":
        _bool(data, "visible")
        _text(data, "urlQueryParam", 0, 500)
        _ids(data, "sectionIds", MAX_SECTION_IDS)
    elif kind == "section":
        _bool(data, "visible")
        _images(data, "image", "additionalImages", MAX_SECTION_IMAGES)
        _ids(data, "itemIds", MAX_ITEM_IDS)
    elif kind == "item":
        _item_rules(data, creating)
    elif kind == "modifier":
        _bool(data, "inStock")
    elif kind == "modifierGroup":
        _group_rules(data, existing)


REFERENCES: dict[str, list[tuple[str, str]]] = {
    "menu": [("sectionIds", "section")],
    "section": [("itemIds", "item")],
    "item": [("labels", "label"), ("modifierGroups", "modifierGroup"), ("priceVariants", "variant")],
    "modifierGroup": [("modifiers", "modifier")],
}


def check_references(site: NewGenSite, kind: str, data: Entity) -> None:
    """Every id a parent links to must exist on the same site (NOT_FOUND otherwise)."""
    for field, child_kind in REFERENCES.get(kind, []):
        pool = site.menus.pool(child_kind)
        for ref in referenced_ids(field, data.get(field)):
            if ref not in pool:
                raise EntryError("NOT_FOUND", f"{field}: {child_kind} {ref} not found", field)
