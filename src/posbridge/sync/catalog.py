"""The target-neutral catalog model that mapping, diffing and planning share.

A catalog entity is a kind (MENU, SECTION, DISH, VARIATION), a key and a dict of fields with
plain, comparable values (str, bool, Decimal, tuples). A key is the Wix id of an entity that
exists, or a `Ref` to a POS entity that has no Wix id yet. Writers translate these fields to
and from their API's wire shapes; nothing here knows about HTTP or Catalogs v3 JSON.

Fields per kind:
- MENU: name, description, visible, availability (tuple of Period, or None = always),
  fulfillmentTypes (tuple), sections (tuple of keys, display order)
- SECTION: name, description, items (tuple of keys, display order)
- DISH: name, description, price, taxRate, labels, imageUrl, inStock, acceptSpecialRequest,
  options (tuple of Option)
- VARIATION: name, price, inStock
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from posbridge.store.types import money_text

MENU, SECTION, DISH, VARIATION = "MENU", "SECTION", "DISH", "VARIATION"
KINDS = (MENU, SECTION, DISH, VARIATION)
# A target's own kind, outside the neutral model (not in KINDS): the Menus API's shared modifier
# groups, one per POS option group, kept in the sync id map by the option group's id.
GROUP = "MODIFIER_GROUP"
PLURAL = {MENU: "menus", SECTION: "sections", DISH: "dishes", VARIATION: "variations", GROUP: "modifier groups"}
# Fields whose value lists other entities (membership and display order).
CHILDREN = {MENU: "sections", SECTION: "items"}


@dataclass(frozen=True, order=True)
class Ref:
    """A POS entity by kind and surrogate id: the key of something that has no Wix id yet."""

    kind: str
    pos_ref: int

    def __str__(self) -> str:
        return f"new {self.kind.lower()} #{self.pos_ref}"


Key = str | Ref


@dataclass(frozen=True)
class Period:
    """A weekly availability period, Wix-style (days SUN..SAT, "HH:MM", "24:00" ends a day)."""

    open_day: str
    open_time: str
    close_day: str
    close_time: str

    def __str__(self) -> str:
        return f"{self.open_day} {self.open_time}–{self.close_day} {self.close_time}"


@dataclass(frozen=True)
class Option:
    """A dish option: SELECTION (one of), EXTRAS (min..max) or DESELECTION (remove any).

    `choices` pairs each offered variation's key with its price on this dish; `defaults` are keys.
    `min_choices`/`max_choices` are only meaningful for EXTRAS (None elsewhere). `group` is the POS
    option group it comes from (None when read from Wix): an identity, not content, so options
    compare (and hash) by content alone.
    """

    name: str
    type: str
    choices: tuple[tuple[Key, Decimal], ...]
    defaults: tuple[Key, ...] = ()
    min_choices: int | None = None
    max_choices: int | None = None
    group: int | None = field(default=None, compare=False)

    def with_keys(self, resolve: Any) -> Option:
        """The same option with every key passed through `resolve`."""
        return Option(
            self.name,
            self.type,
            tuple((resolve(k), p) for k, p in self.choices),
            tuple(resolve(k) for k in self.defaults),
            self.min_choices,
            self.max_choices,
            self.group,
        )


@dataclass
class Entity:
    """One catalog entity: kind, key and fields (see the module docstring for the field set)."""

    kind: str
    key: Key
    fields: dict[str, Any]
    # Live only: archived flag and, for sections, the menu that owns them.
    archived: bool = False
    parent: str | None = None
    # Live only: the wire entity as read, so a writer can keep parts posbridge does not manage.
    raw: dict[str, Any] = field(default_factory=dict)

    @property
    def name(self) -> str:
        """The entity's display name."""
        return str(self.fields.get("name", ""))


@dataclass
class LiveCatalog:
    """What the target holds right now, by Wix id; `version` changes whenever it is published."""

    menus: dict[str, Entity] = field(default_factory=dict)
    sections: dict[str, Entity] = field(default_factory=dict)
    items: dict[str, Entity] = field(default_factory=dict)  # dishes and variations
    version: str | None = None

    def pool(self, kind: str) -> dict[str, Entity]:
        """The entities of one kind (dishes and variations share one pool, as on Wix)."""
        return {MENU: self.menus, SECTION: self.sections}.get(kind, self.items)

    def get(self, kind: str, wix_id: str) -> Entity | None:
        """An entity of this kind by Wix id, or None."""
        found = self.pool(kind).get(wix_id)
        if found is None or (kind in (DISH, VARIATION) and found.kind != kind):
            return None
        return found


def plain(value: Any) -> Any:
    """A JSON-ready form of a field value (Decimals as normalized strings, tuples as lists)."""
    if isinstance(value, Decimal):
        return money_text(value)
    if isinstance(value, Ref):
        return {"new": value.kind, "posRef": value.pos_ref}
    if isinstance(value, Period):
        return [value.open_day, value.open_time, value.close_day, value.close_time]
    if isinstance(value, Option):
        return {
            "name": value.name,
            "type": value.type,
            "choices": [[plain(k), plain(p)] for k, p in value.choices],
            "defaults": [plain(k) for k in value.defaults],
            "min": value.min_choices,
            "max": value.max_choices,
        }
    if isinstance(value, tuple | list):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    return value


def content_hash(kind: str, fields: dict[str, Any]) -> str:
    """A stable hash of an entity's fields (what the id map records as last written)."""
    text = json.dumps([kind, plain(fields)], sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def rate_text(value: Decimal) -> str:
    """A tax rate percent without trailing zeros ("8.875", "10")."""
    return format(value.normalize(), "f") if value != 0 else "0"
