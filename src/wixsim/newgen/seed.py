"""Pre-existing Wix menus of a new-generation site, from the same nested spec the legacy catalogs take.

Spec: `{"menus": [...]}` or the list itself; each menu `{"name", "description"?, "visible"? (or legacy
"archived"), "location"?: index or business location id (default: the default location), "sections":
[{"name", "description"?, "visible"?, "items": [{"name", "price" | "variants": [{"name", "price"}],
"description"?, "inStock"?, "visible"?, "featured"?, "acceptSpecialRequests"?, "labels"?: [names],
"options"?: [{"name", "type": SELECTION|EXTRAS|DESELECTION, "minChoices"?, "maxChoices"?, "default"?:
[choice names], "choices": [{"name", "price"?, "inStock"?}]}]}]}]}`. Legacy-only keys (`taxRate`,
`imageUrl`, `visibilityCriteria`) are ignored. Options become modifier groups, choices modifiers whose
price is the group's `additionalCharge`; variants become ItemVariants priced on the item.
"""

from __future__ import annotations

from typing import Any

from wixsim.entities import EntryError
from wixsim.newgen.locations import derive_all
from wixsim.newgen.model import Entity, NewGenSite, stamp
from wixsim.newgen.rules import validate_entity
from wixsim.newgen.writes import ordering_settings


def _menus_list(spec: dict[str, Any] | list[Any] | None) -> list[Any]:
    if spec is None:
        return []
    if isinstance(spec, dict):
        spec = spec.get("menus", [])
    if not isinstance(spec, list):
        raise ValueError("menus: a list of menus, or {menus: [...]}")
    return spec


def _location_id(site: NewGenSite, ref: Any) -> str:
    if ref is None:
        return site.default_location_id
    ids = list(site.locations)
    if isinstance(ref, int) and not isinstance(ref, bool) and 0 <= ref < len(ids):
        return ids[ref]
    if isinstance(ref, str) and ref in site.locations:
        return ref
    raise ValueError(f"menus: unknown location {ref!r}")


def _add(site: NewGenSite, kind: str, fields: Entity) -> Entity:
    try:
        validate_entity(kind, fields, creating=True)
    except EntryError as err:
        raise ValueError(f"menus: {kind} {fields.get('name')!r}: {err.description}") from err
    entity = stamp(fields)
    site.menus.pool(kind)[entity["id"]] = entity
    return entity


def seed_menus(site: NewGenSite, spec: dict[str, Any] | list[Any] | None) -> None:
    """Add the spec's menus (and everything under them) to the site; ValueError on a bad spec."""
    labels: dict[str, str] = {}
    for menu_spec in _menus_list(spec):
        location_id = _location_id(site, menu_spec.get("location"))
        menu = _add(
            site,
            "menu",
            {
                "name": menu_spec.get("name"),
                "description": menu_spec.get("description", ""),
                "visible": menu_spec.get("visible", not menu_spec.get("archived", False)),
                "sectionIds": [],
                "businessLocationId": location_id,
            },
        )
        for section_spec in menu_spec.get("sections", []):
            section = _add(
                site,
                "section",
                {
                    "name": section_spec.get("name"),
                    "description": section_spec.get("description", ""),
                    "itemIds": [],
                    "visible": section_spec.get("visible", True),
                    "businessLocationId": location_id,
                },
            )
            menu["sectionIds"].append(section["id"])
            for item_spec in section_spec.get("items", []):
                section["itemIds"].append(_item(site, item_spec, labels)["id"])
        site.ordering_settings[menu["id"]] = ordering_settings(site, menu)
    derive_all(site)


def _item(site: NewGenSite, spec: dict[str, Any], labels: dict[str, str]) -> Entity:
    fields: Entity = {
        "name": spec.get("name"),
        "description": spec.get("description", ""),
        "labels": [{"id": _label_id(site, name, labels)} for name in spec.get("labels", [])],
        "visible": spec.get("visible", True),
        "featured": spec.get("featured", False),
        "orderSettings": {
            "inStock": spec.get("inStock", True),
            "acceptSpecialRequests": spec.get("acceptSpecialRequests", spec.get("acceptSpecialRequest", True)),
        },
        "modifierGroups": [{"id": _group(site, option)["id"]} for option in spec.get("options", [])],
    }
    if "variants" in spec:
        fields["priceVariants"] = {
            "variants": [
                {
                    "variantId": _add(site, "variant", {"name": v.get("name")})["id"],
                    "priceInfo": {"price": str(v.get("price", "0"))},
                }
                for v in spec["variants"]
            ]
        }
    else:
        fields["priceInfo"] = {"price": str(spec.get("price", "0"))}
    return _add(site, "item", fields)


def _label_id(site: NewGenSite, name: str, labels: dict[str, str]) -> str:
    if name not in labels:
        labels[name] = _add(site, "label", {"name": name})["id"]
    return labels[name]


def _group(site: NewGenSite, option: dict[str, Any]) -> Entity:
    kind = option.get("type", "EXTRAS")
    choices = option.get("choices", [])
    defaults = set(option.get("default", []))
    if kind == "SELECTION":
        defaults = defaults or ({choices[0]["name"]} if choices else set())
        rule = {"required": True, "minSelections": 1, "maxSelections": 1}
    elif kind == "EXTRAS":
        low = option.get("minChoices", 0)
        rule = {"required": low > 0, "minSelections": low, "maxSelections": option.get("maxChoices", len(choices))}
    elif kind == "DESELECTION":
        defaults = {c["name"] for c in choices}
        rule = {"required": False, "minSelections": 0, "maxSelections": len(choices)}
    else:
        raise ValueError(f"menus: option type {kind!r}; one of SELECTION, EXTRAS, DESELECTION")
    modifiers = []
    for choice in choices:
        modifier = _add(site, "modifier", {"name": choice.get("name"), "inStock": choice.get("inStock", True)})
        modifiers.append(
            {
                "id": modifier["id"],
                "preSelected": choice.get("name") in defaults,
                "additionalChargeInfo": {"additionalCharge": str(choice.get("price", "0"))},
            }
        )
    return _add(site, "modifierGroup", {"name": option.get("name"), "modifiers": modifiers, "rule": rule})
