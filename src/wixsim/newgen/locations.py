"""The read-only business locations Wix derives from links: menu → section → item → variant/group → modifier.

A section takes the location of the first menu (in creation order) that lists it; an item, variant,
modifier group or modifier the union of its parents' locations, in the site's location order. An
entity nothing links to keeps the locations it had (the default location when it was created).

Every write re-derives only what it can change: the entity it made, the children it linked or
unlinked, and whatever those pass a changed result on to. For that the store keeps a `LinkIndex`
(child → parents, and per child how many parents give each location), so one write costs the same
on a site of 10 items as of 10,000, even when a modifier group is shared by all of them.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from wixsim.newgen.model import Entity, MenuStore, NewGenSite

# Parent kind → (link field, child kind) of the links that pass locations on (labels carry none).
CHILDREN: dict[str, tuple[tuple[str, str], ...]] = {
    "menu": (("sectionIds", "section"),),
    "section": (("itemIds", "item"),),
    "item": (("priceVariants", "variant"), ("modifierGroups", "modifierGroup")),
    "modifierGroup": (("modifiers", "modifier"),),
}
PARENT_OF = {child: parent for parent, links in CHILDREN.items() for _field, child in links}
# The kinds whose locations are derived, parents before children (a child reads its parents' result).
DERIVED = ("section", "item", "variant", "modifierGroup", "modifier")

Links = dict[str, set[str]]  # child kind → ids


def referenced_ids(field: str, value: Any) -> list[str]:
    """The ids a link field holds (plain id lists, {id} lists, or the variants of priceVariants)."""
    if not value:
        return []
    if field == "priceVariants":
        return [v["variantId"] for v in value.get("variants", [])]
    return [v if isinstance(v, str) else v["id"] for v in value]


def children(kind: str, entity: Entity | None) -> Links:
    """Per child kind, the ids an entity links to (none for None: before a create, after a delete)."""
    return {
        child_kind: set(referenced_ids(field, entity.get(field))) if entity else set()
        for field, child_kind in CHILDREN.get(kind, ())
    }


def locations_of(entity: Entity) -> list[str]:
    """The locations an entity passes on to its children."""
    one = entity.get("businessLocationId")
    return [one] if one else list(entity.get("businessLocationIds", []))


class LinkIndex:
    """Per derived kind and child id: the parents linking it, and how many of them give each location."""

    def __init__(self, store: MenuStore) -> None:
        self.parents: dict[str, dict[str, set[str]]] = {kind: {} for kind in DERIVED}
        self.tally: dict[str, dict[str, Counter[str]]] = {kind: {} for kind in DERIVED}
        for parent_kind in CHILDREN:
            for parent_id, parent in store.pool(parent_kind).items():
                for child_kind, ids in children(parent_kind, parent).items():
                    for child_id in ids:
                        self.link(child_kind, child_id, parent_id, locations_of(parent))

    def link(self, kind: str, child_id: str, parent_id: str, locations: list[str]) -> None:
        """A parent with these locations now links the child."""
        self.parents[kind].setdefault(child_id, set()).add(parent_id)
        self.tally[kind].setdefault(child_id, Counter()).update(locations)

    def unlink(self, kind: str, child_id: str, parent_id: str, locations: list[str]) -> None:
        """A parent with these locations no longer links the child."""
        linked = self.parents[kind].get(child_id)
        if linked is None or parent_id not in linked:
            return
        linked.discard(parent_id)
        tally = self.tally[kind][child_id]
        tally.subtract(locations)
        if not linked:
            del self.parents[kind][child_id]
            del self.tally[kind][child_id]

    def moved(self, kind: str, child_id: str, before: list[str], after: list[str]) -> None:
        """A parent linking the child now gives other locations."""
        tally = self.tally[kind].get(child_id)
        if tally is not None:
            tally.subtract(before)
            tally.update(after)


def index_of(store: MenuStore) -> LinkIndex:
    """The store's link index (built from its pools the first time it is needed)."""
    if store._links is None:
        store._links = LinkIndex(store)
    index: LinkIndex = store._links
    return index


def _ordered(site: NewGenSite, ids: set[str]) -> list[str]:
    return [loc for loc in site.locations if loc in ids]


def _derive_one(site: NewGenSite, index: LinkIndex, kind: str, entity: Entity) -> bool:
    """Set one entity's derived locations from the parents linking it; whether they changed."""
    entity_id = entity["id"]
    parents = index.parents[kind].get(entity_id)
    if kind == "section":
        owner = next((m for menu_id, m in site.menus.menus.items() if menu_id in parents), None) if parents else None
        if owner is None or entity.get("businessLocationId") == owner["businessLocationId"]:
            return False
        entity["businessLocationId"] = owner["businessLocationId"]
        return True
    if parents:
        locations = _ordered(site, {loc for loc, n in index.tally[kind][entity_id].items() if n > 0})
    elif entity.get("businessLocationIds"):
        return False
    else:
        locations = [site.default_location_id]
    if entity.get("businessLocationIds") == locations:
        return False
    entity["businessLocationIds"] = locations
    return True


def rederive(site: NewGenSite, dirty: Links) -> None:
    """Re-derive the locations of the entities in `dirty`, and of the children of each one whose
    locations changed, level by level (section → item → variant/group → modifier)."""
    store, index = site.menus, index_of(site.menus)
    for kind in DERIVED:
        pool = store.pool(kind)
        for entity_id in dirty.get(kind, ()):
            entity = pool.get(entity_id)
            if entity is None:
                continue
            before = locations_of(entity)
            if not _derive_one(site, index, kind, entity):
                continue
            after = locations_of(entity)
            for child_kind, ids in children(kind, entity).items():
                for child_id in ids:
                    index.moved(child_kind, child_id, before, after)
                dirty.setdefault(child_kind, set()).update(ids)


def relink(site: NewGenSite, kind: str, entity: Entity, before: Links, after: Links) -> None:
    """An entity's links went from `before` to `after` (`children` of the old and new entity; {} before a
    create or after a delete): record it and re-derive the entity and the children it gained or lost."""
    index = index_of(site.menus)
    locations = locations_of(entity)
    dirty: Links = {kind: {entity["id"]}}
    for child_kind in after.keys() | before.keys():
        old, new = before.get(child_kind, set()), after.get(child_kind, set())
        for child_id in old - new:
            index.unlink(child_kind, child_id, entity["id"], locations)
        for child_id in new - old:
            index.link(child_kind, child_id, entity["id"], locations)
        dirty[child_kind] = old ^ new
    rederive(site, dirty)


def derive_all(site: NewGenSite) -> None:
    """Derive every entity's locations from scratch (after pools were filled directly, as by a seed)."""
    site.menus._links = None
    rederive(site, {kind: set(site.menus.pool(kind)) for kind in DERIVED})
