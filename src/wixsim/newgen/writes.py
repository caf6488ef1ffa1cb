"""Menus API writes: create, update (with revision), delete; each keeps dates, derived locations and events.

Every function either changes the site and appends its events to `events`, or raises EntryError and
changes nothing. The caller (an API handler or the control API playing the merchant) sends the events.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

from wixsim.clock import rfc3339
from wixsim.entities import EntryError, invalid
from wixsim.newgen.locations import children, relink
from wixsim.newgen.model import Entity, NewGenSite, bump, stamp
from wixsim.newgen.rules import check_references, validate_entity, writable

# Defaults Wix fills in when a create leaves them out (typings: `featured` false, `inStock` and
# `acceptSpecialRequests` true, `preSelected` false); `visible` defaults to shown, as the dashboard does.
DEFAULTS: dict[str, Entity] = {
    "menu": {"description": "", "visible": True, "sectionIds": []},
    "section": {"description": "", "visible": True, "itemIds": []},
    "item": {"description": "", "visible": True, "featured": False, "labels": [], "modifierGroups": []},
    "variant": {},
    "modifier": {"inStock": True},
    "modifierGroup": {"modifiers": [], "rule": {"required": False, "minSelections": 0}},
    "label": {},
}
ORDER_SETTINGS_DEFAULTS = {"inStock": True, "acceptSpecialRequests": True}


@dataclass
class MenuEvent:
    """One menu change to announce: kind, created/updated/deleted, the entity (None when deleted), who."""

    kind: str
    slug: str
    entity_id: str
    entity: Entity | None
    identity: Entity
    sequence: int
    event_time: str


def _announce(site: NewGenSite, events: list[MenuEvent], kind: str, slug: str, entity: Entity, who: Entity) -> None:
    sequences = site.menus.event_sequences
    sequences[entity["id"]] = sequences.get(entity["id"], 0) + 1
    body = None if slug == "deleted" else copy.deepcopy(entity)
    events.append(MenuEvent(kind, slug, entity["id"], body, who, sequences[entity["id"]], rfc3339()))


def _normalise(kind: str, data: Entity) -> Entity:
    """Fill defaults of nested entries (modifier entries, order settings, variant prices)."""
    if kind == "item" and "orderSettings" in data:
        data["orderSettings"] = {**ORDER_SETTINGS_DEFAULTS, **(data.get("orderSettings") or {})}
    if kind == "modifierGroup":
        data["modifiers"] = [{"preSelected": False, **entry} for entry in data.get("modifiers") or []]
    return data


def create(site: NewGenSite, kind: str, data: Any, who: Entity, events: list[MenuEvent]) -> Entity:
    """Create one entity from a request body's entity object."""
    if not isinstance(data, dict):
        raise invalid(kind, "must be an object")
    fields = {**copy.deepcopy(DEFAULTS[kind]), **writable(kind, copy.deepcopy(data))}
    if kind == "item":
        fields["orderSettings"] = {**ORDER_SETTINGS_DEFAULTS, **(fields.get("orderSettings") or {})}
    fields = _normalise(kind, fields)
    validate_entity(kind, fields, creating=True)
    check_references(site, kind, fields)
    if kind == "menu":
        location_id = data.get("businessLocationId") or site.default_location_id
        if not isinstance(location_id, str) or location_id not in site.locations:
            raise invalid("businessLocationId", f"unknown business location {location_id}")
        fields["businessLocationId"] = location_id
    elif kind == "section":
        fields["businessLocationId"] = site.default_location_id
    elif kind != "label":
        fields["businessLocationIds"] = []
    entity = stamp(fields)
    site.menus.pool(kind)[entity["id"]] = entity
    if kind == "menu":
        site.ordering_settings[entity["id"]] = ordering_settings(site, entity)
    relink(site, kind, entity, {}, children(kind, entity))
    _announce(site, events, kind, "created", entity, who)
    return entity


def ordering_settings(site: NewGenSite, menu: Entity) -> Entity:
    """A new menu's ordering settings: orderable through its location's operation, always available."""
    location_id = menu["businessLocationId"]
    return stamp(
        {
            "operationId": site.operation_of(location_id)["id"],
            "menuId": menu["id"],
            "onlineOrderingEnabled": True,
            "availability": {"type": "ALWAYS_AVAILABLE", "timeZone": site.locations[location_id].get("timeZone")},
            "businessLocationId": location_id,
        }
    )


def _mask(raw: Any) -> list[str] | None:
    """A field mask as the SDK sends it (comma-joined string) or as a list / {paths}; top-level names."""
    if raw is None:
        return None
    if isinstance(raw, dict):
        raw = raw.get("paths")
    if isinstance(raw, str):
        raw = [p for p in raw.split(",") if p.strip()]
    if not isinstance(raw, list) or not all(isinstance(p, str) for p in raw):
        raise invalid("mask", "must be a list of field paths")
    return [p.strip().split(".")[0] for p in raw]


def existing(site: NewGenSite, kind: str, entity_id: Any) -> Entity:
    """The stored entity, or a NOT_FOUND entry error."""
    entity = site.menus.pool(kind).get(entity_id) if isinstance(entity_id, str) else None
    if entity is None:
        raise EntryError(
            "NOT_FOUND", f"{kind} {entity_id} not found", "id", entity_id if isinstance(entity_id, str) else None
        )
    return entity


def update(site: NewGenSite, kind: str, data: Any, who: Entity, events: list[MenuEvent], mask: Any = None) -> Entity:
    """Update one entity: `revision` must be the current one; given (or masked) fields replace the stored ones."""
    if not isinstance(data, dict):
        raise invalid(kind, "must be an object")
    current = existing(site, kind, data.get("id"))
    revision = data.get("revision")
    if revision is None or revision == "":
        raise EntryError("INVALID_ARGUMENT", f"{kind}.revision: is required", "revision", current["id"])
    if str(revision) != current["revision"]:
        raise EntryError(
            "REVISION_MISMATCH",
            f"{kind} {current['id']} is at revision {current['revision']}, not {revision}",
            "revision",
            current["id"],
        )
    if kind == "menu" and data.get("businessLocationId") not in (None, current["businessLocationId"]):
        raise invalid("businessLocationId", "is immutable")
    patch = writable(kind, copy.deepcopy(data))
    fields = _mask(mask)
    if fields is not None:
        patch = {k: v for k, v in patch.items() if k in fields}
    merged = {**writable(kind, copy.deepcopy(current)), **patch}
    if kind == "item":
        if "priceInfo" in patch and patch["priceInfo"] is not None:
            merged.pop("priceVariants", None)
        elif "priceVariants" in patch and patch["priceVariants"] is not None:
            merged.pop("priceInfo", None)
        if "orderSettings" in patch:
            merged["orderSettings"] = {**current.get("orderSettings", {}), **(patch["orderSettings"] or {})}
    merged = _normalise(kind, merged)
    try:
        validate_entity(kind, merged, creating=True, existing=current)
        check_references(site, kind, {k: merged[k] for k in patch if k in merged})
    except EntryError as err:
        err.entity_id = current["id"]
        raise
    links_before = children(kind, current)
    for key in [k for k in writable(kind, current) if k not in merged]:
        del current[key]
    current.update(merged)
    bump(current)
    relink(site, kind, current, links_before, children(kind, current))
    _announce(site, events, kind, "updated", current, who)
    return current


def delete(site: NewGenSite, kind: str, entity_id: Any, who: Entity, events: list[MenuEvent]) -> None:
    """Delete one entity. Parents' links to it are left as they are (remove them first, as Wix advises)."""
    entity = existing(site, kind, entity_id)
    del site.menus.pool(kind)[entity["id"]]
    if kind == "menu":
        site.ordering_settings.pop(entity["id"], None)
    # Its children no longer get locations from it (those it was the only parent of keep theirs).
    relink(site, kind, entity, children(kind, entity), {})
    _announce(site, events, kind, "deleted", entity, who)
