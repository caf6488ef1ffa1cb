"""Build catalog content from a compact nested description (pre-existing Wix menus for tests)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from wixsim.entities import apply_item, apply_menu, apply_section
from wixsim.state import CatalogContent, Entity

OPTION_TYPES = {"SELECTION": "selection", "EXTRAS": "extras", "DESELECTION": "deselection"}


def build_content(spec: dict[str, Any] | None, currency: str) -> CatalogContent:
    """Menus/sections/dishes (with options whose choices become VARIATION items) from a nested spec.

    Spec: {"menus": [{"name", "description"?, "archived"?, "visibilityCriteria"?, "sections": [{"name",
    "items": [{"name", "price", "description"?, "taxRate"?, "inStock"?, "labels"?, "imageUrl"?,
    "options": [{"name", "type": SELECTION|EXTRAS|DESELECTION, "minChoices"?, "maxChoices"?,
    "default"?: [choice names], "choices": [{"name", "price"?}]}]}]}]}]}.
    """
    content = CatalogContent()
    for menu_spec in (spec or {}).get("menus", []):
        menu = apply_menu(_pick(menu_spec, ("name", "description", "imageUrl", "visibilityCriteria")), content)
        menu["archived"] = bool(menu_spec.get("archived", False))
        content.menus[menu["id"]] = menu
        for section_spec in menu_spec.get("sections", []):
            fields = _pick(section_spec, ("name", "description", "imageUrl", "visibilityCriteria"))
            section = apply_section(fields, menu["id"], content)
            content.sections[section["id"]] = section
            menu["sectionIds"]["values"].append(section["id"])
            for item_spec in section_spec.get("items", []):
                dish = _dish(item_spec, content, currency)
                section["itemIds"]["values"].append(dish["id"])
    return content


def _pick(spec: dict[str, Any], fields: tuple[str, ...]) -> Entity:
    return {k: spec[k] for k in fields if k in spec}


def _dish(spec: dict[str, Any], content: CatalogContent, currency: str) -> Entity:
    options = [_option(o, content, currency) for o in spec.get("options", [])]
    data = _pick(
        spec,
        (
            "name",
            "description",
            "imageUrl",
            "taxRate",
            "inStock",
            "visibilityCriteria",
            "acceptSpecialRequest",
        ),
    )
    data["price"] = {"value": str(Decimal(str(spec.get("price", "0"))))}
    if "labels" in spec:
        data["labels"] = {"values": list(spec["labels"])}
    if options:
        data["dishOptions"] = {"values": options}
    dish = apply_item(data, "DISH", content, currency)
    content.items[dish["id"]] = dish
    return dish


def _option(spec: dict[str, Any], content: CatalogContent, currency: str) -> Entity:
    kind = OPTION_TYPES[spec.get("type", "EXTRAS")]
    by_name: dict[str, str] = {}
    choices = []
    for choice in spec.get("choices", []):
        price = str(choice.get("price", "0"))
        variation = apply_item({"name": choice["name"], "price": {"value": price}}, "VARIATION", content, currency)
        content.items[variation["id"]] = variation
        by_name[choice["name"]] = variation["id"]
        choices.append({"itemId": variation["id"], "price": {"value": price, "currency": currency}})
    defaults = [by_name[n] for n in spec.get("default", [])]
    body: Entity = {"availableChoices": choices}
    if kind == "selection":
        body["defaultChoice"] = defaults[0] if defaults else (choices[0]["itemId"] if choices else None)
    elif kind == "extras":
        body["defaultChoices"] = defaults
        body["minChoices"] = spec.get("minChoices", 0)
        body["maxChoices"] = spec.get("maxChoices", len(choices))
    return {"name": spec["name"], kind: body}
