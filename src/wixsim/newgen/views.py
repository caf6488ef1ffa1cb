"""Read-only views of a new-generation site for the control API: the nested menu tree per location."""

from __future__ import annotations

import copy
from typing import Any

from wixsim.newgen.model import ENTITY_KINDS, PLURAL, Entity, NewGenSite


def _present(pool: dict[str, Entity], ids: list[str]) -> list[str]:
    """The ids that still exist (a deleted child stays linked until its parent is updated, as at Wix)."""
    return [i for i in ids if i in pool]


def _modifier_group(site: NewGenSite, group_id: str) -> Entity:
    group = site.menus.modifier_groups[group_id]
    modifiers = []
    for entry in group.get("modifiers", []):
        modifier = site.menus.modifiers.get(entry["id"])
        if modifier is None:
            continue
        modifiers.append(
            {
                "id": entry["id"],
                "revision": modifier.get("revision"),
                "name": modifier.get("name"),
                "inStock": modifier.get("inStock", True),
                "preSelected": entry.get("preSelected", False),
                "additionalCharge": (entry.get("additionalChargeInfo") or {}).get("additionalCharge", "0"),
            }
        )
    return {
        "id": group_id,
        "revision": group["revision"],
        "name": group.get("name"),
        "rule": copy.deepcopy(group.get("rule", {})),
        "modifiers": modifiers,
    }


def _item(site: NewGenSite, item_id: str) -> Entity:
    item = site.menus.items[item_id]
    settings = item.get("orderSettings") or {}
    out: Entity = {
        "id": item_id,
        "revision": item["revision"],
        "name": item.get("name"),
        "visible": item.get("visible", True),
        "inStock": settings.get("inStock", True),
        "acceptSpecialRequests": settings.get("acceptSpecialRequests", True),
        "labels": [
            site.menus.labels[i]["name"] for i in _present(site.menus.labels, [r["id"] for r in item.get("labels", [])])
        ],
        "modifierGroups": [
            _modifier_group(site, i)
            for i in _present(site.menus.modifier_groups, [r["id"] for r in item.get("modifierGroups", [])])
        ],
    }
    variants = (item.get("priceVariants") or {}).get("variants")
    if variants:
        out["variants"] = [
            {
                "id": v["variantId"],
                "revision": site.menus.variants.get(v["variantId"], {}).get("revision"),
                "name": site.menus.variants.get(v["variantId"], {}).get("name"),
                "price": (v.get("priceInfo") or {}).get("price", v.get("price")),
            }
            for v in variants
        ]
    else:
        out["price"] = (item.get("priceInfo") or {}).get("price")
    return out


def menus_tree(site: NewGenSite) -> dict[str, Any]:
    """Per business location: its menus → sections → items (prices, variants, modifier groups, stock);
    plus every entity as stored (`entities`, by kind)."""
    store = site.menus
    locations = []
    for loc in site.locations.values():
        menus = []
        for menu in (m for m in store.menus.values() if m["businessLocationId"] == loc["id"]):
            sections = []
            for section_id in _present(store.sections, menu.get("sectionIds", [])):
                section = store.sections[section_id]
                sections.append(
                    {
                        "id": section_id,
                        "revision": section["revision"],
                        "name": section.get("name"),
                        "visible": section.get("visible", True),
                        "items": [_item(site, i) for i in _present(store.items, section.get("itemIds", []))],
                    }
                )
            ordering = site.ordering_settings.get(menu["id"])
            menus.append(
                {
                    "id": menu["id"],
                    "revision": menu["revision"],
                    "name": menu.get("name"),
                    "visible": menu.get("visible", True),
                    "onlineOrderingEnabled": bool(ordering and ordering.get("onlineOrderingEnabled")),
                    "sections": sections,
                }
            )
        op = site.operation_of(loc["id"])
        locations.append(
            {
                "id": loc["id"],
                "name": loc["name"],
                "operationId": op["id"],
                "onlineOrderingStatus": op.get("onlineOrderingStatus"),
                "menus": menus,
            }
        )
    entities = {PLURAL[kind]: copy.deepcopy(list(store.pool(kind).values())) for kind in ENTITY_KINDS}
    return {"instanceId": site.instance_id, "locations": locations, "entities": entities}
