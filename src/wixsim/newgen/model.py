"""The new generation's state: locations, operations and the Menus API entities of one site."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field, PrivateAttr

from wixsim.clock import new_id, rfc3339

Entity = dict[str, Any]

# Kind names as the Menus API spells its entities; the REST body key of one entity of each kind.
ENTITY_KINDS = ("menu", "section", "item", "variant", "modifier", "modifierGroup", "label")
POOL_OF_KIND = {
    "menu": "menus",
    "section": "sections",
    "item": "items",
    "variant": "variants",
    "modifier": "modifiers",
    "modifierGroup": "modifier_groups",
    "label": "labels",
}

# The REST plural of each kind (bulk request keys, list response keys).
PLURAL = {
    "menu": "menus",
    "section": "sections",
    "item": "items",
    "variant": "variants",
    "modifier": "modifiers",
    "modifierGroup": "modifierGroups",
    "label": "labels",
}

RESTAURANTS_ORDERS_APP_ID = "9a5d83fd-8570-482e-81ab-cfa88942ee60"


def stamp(fields: Entity) -> Entity:
    """A new entity: server-assigned id, revision "1", created = updated = now, then the fields."""
    moment = rfc3339()
    return {"id": new_id(), "revision": "1", "createdDate": moment, "updatedDate": moment, **fields}


def bump(entity: Entity) -> None:
    """Record one update of an entity: revision + 1 and a fresh updatedDate."""
    entity["revision"] = str(int(entity.get("revision") or "0") + 1)
    entity["updatedDate"] = rfc3339()


class MenuStore(BaseModel):
    """The Menus API entities of one site, by id, in creation order (REST wire form)."""

    menus: dict[str, Entity] = Field(default_factory=dict)
    sections: dict[str, Entity] = Field(default_factory=dict)
    items: dict[str, Entity] = Field(default_factory=dict)
    variants: dict[str, Entity] = Field(default_factory=dict)
    modifiers: dict[str, Entity] = Field(default_factory=dict)
    modifier_groups: dict[str, Entity] = Field(default_factory=dict)
    labels: dict[str, Entity] = Field(default_factory=dict)
    # Per entity id: the last event sequence sent (Wix's metadata.entityEventSequence, monotonic per entity).
    event_sequences: dict[str, int] = Field(default_factory=dict)
    # The links read from child to parent (wixsim.newgen.locations.LinkIndex): built from the pools when
    # first needed, not persisted, kept current by every write.
    _links: Any = PrivateAttr(default=None)

    def pool(self, kind: str) -> dict[str, Entity]:
        """The dict of one entity kind (`menu`, `section`, `item`, `variant`, `modifier`, `modifierGroup`, `label`)."""
        return getattr(self, POOL_OF_KIND[kind])


class NewGenSite(BaseModel):
    """Everything Wix Restaurants (New) holds for one site (one app instance)."""

    instance_id: str
    locations: dict[str, Entity] = Field(default_factory=dict)
    operation_group: Entity = Field(default_factory=dict)
    operations: dict[str, Entity] = Field(default_factory=dict)
    fulfillment_methods: dict[str, Entity] = Field(default_factory=dict)
    ordering_settings: dict[str, Entity] = Field(default_factory=dict)
    menus: MenuStore = Field(default_factory=MenuStore)

    @property
    def default_location_id(self) -> str:
        """The id of the site's default business location."""
        return next(loc["id"] for loc in self.locations.values() if loc.get("default"))

    def operation_of(self, location_id: str) -> Entity:
        """The operation serving a business location."""
        return next(op for op in self.operations.values() if op["businessLocationId"] == location_id)
