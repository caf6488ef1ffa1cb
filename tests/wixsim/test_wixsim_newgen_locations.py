"""Derived business locations stay what a from-scratch derivation gives, write after write.

Each Menus API write re-derives only what it can change (wixsim.newgen.locations); a random mix of
creates, updates (relinking) and deletes over three locations must leave every entity's locations
as deriving the whole site again would.
"""

from __future__ import annotations

import random
from typing import Any

import pytest

from wixsim.entities import EntryError
from wixsim.newgen import writes
from wixsim.newgen.locations import derive_all
from wixsim.newgen.model import ENTITY_KINDS, NewGenSite

WHO = {"identityType": "APP", "appId": "app"}


def _site() -> NewGenSite:
    site = NewGenSite(instance_id="i")
    for n in range(3):
        site.locations[f"L{n}"] = {"id": f"L{n}", "name": f"L{n}", "default": n == 0, "timeZone": "UTC"}
        site.operations[f"O{n}"] = {"id": f"O{n}", "businessLocationId": f"L{n}"}
    return site


def _fields(site: NewGenSite, rng: random.Random, kind: str) -> dict[str, Any]:
    def some(child: str, most: int) -> list[str]:
        pool = list(site.menus.pool(child))
        return rng.sample(pool, min(rng.randint(0, most), len(pool)))

    if kind == "menu":
        return {"name": "m", "sectionIds": some("section", 3), "businessLocationId": rng.choice(list(site.locations))}
    if kind == "section":
        return {"name": "s", "itemIds": some("item", 4)}
    if kind == "item":
        fields: dict[str, Any] = {"name": "i", "modifierGroups": [{"id": g} for g in some("modifierGroup", 2)]}
        variants = some("variant", 2)
        if variants:
            fields["priceVariants"] = {"variants": [{"variantId": v, "priceInfo": {"price": "1"}} for v in variants]}
        else:
            fields["priceInfo"] = {"price": "2"}
        return fields
    if kind == "modifierGroup":
        return {"name": "g", "modifiers": [{"id": m} for m in some("modifier", 3)]}
    return {"name": "x"}


def _locations(site: NewGenSite) -> dict[str, Any]:
    return {
        entity_id: (entity.get("businessLocationId"), entity.get("businessLocationIds"))
        for kind in ENTITY_KINDS
        for entity_id, entity in site.menus.pool(kind).items()
    }


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_each_write_leaves_the_locations_a_full_derivation_gives(seed: int) -> None:
    rng, site = random.Random(seed), _site()
    for _ in range(500):
        kind, roll = rng.choice(ENTITY_KINDS), rng.random()
        events: list[writes.MenuEvent] = []
        ids = list(site.menus.pool(kind))
        try:
            if roll < 0.5 or not ids:
                writes.create(site, kind, _fields(site, rng, kind), WHO, events)
            elif roll < 0.85:
                current = site.menus.pool(kind)[rng.choice(ids)]
                fields = {k: v for k, v in _fields(site, rng, kind).items() if k != "businessLocationId"}
                writes.update(site, kind, {**fields, "id": current["id"], "revision": current["revision"]}, WHO, events)
            else:
                writes.delete(site, kind, rng.choice(ids), WHO, events)
        except EntryError:
            continue
        again = site.model_copy(deep=True)
        derive_all(again)
        assert _locations(again) == _locations(site)
    assert sum(len(site.menus.pool(k)) for k in ENTITY_KINDS) > 100
