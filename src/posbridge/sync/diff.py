"""Desired vs live, through the sync id map: what to create, update, detach, archive or unarchive.

An entity is matched to its Wix twin only through the id map (Wix has no external-id field), so
a renamed or repriced item keeps its Wix id and is updated in place. A mapped id that is missing
from the live catalog (created in a draft that was never published) is created again. Parts that
Wix owns (catalogSyncConfiguration) take the live value before comparing, so they never show up
as changes. Membership and order of children (a menu's sections, a section's dishes) are
compared with what the live list will be once new children are created, since Wix appends a
created section or dish to its parent.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from posbridge.sync.catalog import (
    CHILDREN,
    DISH,
    KINDS,
    MENU,
    SECTION,
    VARIATION,
    Entity,
    Key,
    LiveCatalog,
    Option,
    Ref,
)
from posbridge.sync.desired import DesiredCatalog
from posbridge.sync.ownership import Ownership
from posbridge.sync.summary import Counts

CREATE, UPDATE, DETACH, ARCHIVE, UNARCHIVE = "create", "update", "detach", "archive", "unarchive"
DELETE = "delete"  # only of a target's own kinds (the Menus API's modifier groups nothing references any more)
PAST = {
    CREATE: "created",
    UPDATE: "updated",
    DETACH: "detached",
    ARCHIVE: "archived",
    UNARCHIVE: "unarchived",
    DELETE: "deleted",
}


@dataclass(frozen=True)
class MapEntry:
    """One row of the sync id map, as the differ needs it."""

    wix_id: str
    detached: bool


@dataclass
class Change:
    """One entity's change, with before → after values of the fields that differ.

    `write` holds what the writer sends (keys may be Refs, resolved once created); for a create,
    `post_write` holds what must be set after creation (a variation's price, a new parent's
    children order). `parent` names where a section or dish is created.
    """

    kind: str
    op: str
    key: Key
    name: str
    pos_ref: int | None = None
    before: dict[str, Any] = field(default_factory=dict)
    after: dict[str, Any] = field(default_factory=dict)
    write: dict[str, Any] = field(default_factory=dict)
    post_write: dict[str, Any] = field(default_factory=dict)
    parent: tuple[Key, ...] = ()
    foreign: bool = False
    raw: dict[str, Any] = field(default_factory=dict)

    @property
    def wix_id(self) -> str | None:
        """The Wix id, when the entity already exists."""
        return self.key if isinstance(self.key, str) else None

    @property
    def needs_call(self) -> bool:
        """Whether applying this change writes to Wix (a detach alone is bookkeeping)."""
        return self.op != DETACH or bool(self.write)


@dataclass
class Diff:
    """Everything the next sync would change, plus what the id map must remember afterwards."""

    changes: list[Change] = field(default_factory=list)
    ids: dict[Ref, str] = field(default_factory=dict)  # desired entities that already exist on Wix
    reattached: list[Ref] = field(default_factory=list)  # detached in the map, sold again now
    live_version: str | None = None
    names: dict[Any, str] = field(default_factory=dict)  # key → display name, for rendering
    # The children list each desired menu and section must end with (to repair a parent exactly).
    children: dict[Ref, tuple[Key, ...]] = field(default_factory=dict)
    # Id map rows of kinds outside the neutral model (a target's own, e.g. the Menus API's modifier
    # groups by POS option group): the target matches and plans them itself.
    own: dict[tuple[str, int], MapEntry] = field(default_factory=dict)

    @property
    def needs_writes(self) -> bool:
        """Whether publishing is needed at all."""
        return any(c.needs_call for c in self.changes)

    def counts(self) -> Counts:
        """Changes per kind and op (only non-zero ones): what the preview shows and the summary records."""
        out: Counts = {}
        for change in self.changes:
            per_kind = out.setdefault(change.kind, {})
            per_kind[change.op] = per_kind.get(change.op, 0) + 1
        return out

    def of(self, op: str, kind: str | None = None) -> list[Change]:
        """Changes with this op (and kind)."""
        return [c for c in self.changes if c.op == op and (kind is None or c.kind == kind)]


def compute_diff(
    desired: DesiredCatalog,
    live: LiveCatalog,
    id_map: dict[tuple[str, int], MapEntry],
    ownership: Ownership,
    *,
    appends_created_children: bool = True,
) -> Diff:
    """The changes that turn `live` into `desired` without touching what Wix owns.

    `appends_created_children`: the target appends a created section or dish to its parent's list
    (Catalogs v3 does; the Menus API creates entities unlinked, so parents list them themselves).
    """
    return _Differ(desired, live, id_map, ownership, appends_created_children).run()


class _Differ:
    def __init__(
        self,
        desired: DesiredCatalog,
        live: LiveCatalog,
        id_map: dict[tuple[str, int], MapEntry],
        ownership: Ownership,
        appends_created_children: bool = True,
    ) -> None:
        self.desired = desired
        self.live = live
        self.id_map = id_map
        self.ownership = ownership
        self.appends = appends_created_children
        self.diff = Diff(live_version=live.version)

    # --- which desired entities already exist on Wix -------------------------------------------
    def _match(self) -> None:
        ids = self.diff.ids
        self.diff.own = {key: entry for key, entry in self.id_map.items() if key[0] not in KINDS}
        for kind in (VARIATION, MENU, DISH):
            for ref in self.desired.of(kind):
                entry = self.id_map.get((kind, ref))
                found = self.live.get(kind, entry.wix_id) if entry else None
                # Archived items cannot be updated; an archived menu can be unarchived.
                if entry is not None and found is not None and (kind == MENU or not found.archived):
                    ids[Ref(kind, ref)] = entry.wix_id
        for ref, menu_ref in self.desired.section_menu.items():
            entry = self.id_map.get((SECTION, ref))
            found = self.live.get(SECTION, entry.wix_id) if entry else None
            # A section cannot change menus on Wix: one the POS moved is created in its new menu.
            moved = found is None or found.parent != ids.get(Ref(MENU, menu_ref))
            if entry is not None and found is not None and not found.archived and not moved:
                ids[Ref(SECTION, ref)] = entry.wix_id

    def resolve(self, key: Key) -> Key:
        """A Ref's Wix id when it exists, else the Ref itself."""
        return self.diff.ids.get(key, key) if isinstance(key, Ref) else key

    def _resolved(self, fields: dict[str, Any]) -> dict[str, Any]:
        out = dict(fields)
        if "options" in out:
            out["options"] = tuple(o.with_keys(self.resolve) for o in out["options"])
        for name in ("sections", "items"):
            if name in out:
                out[name] = tuple(self.resolve(k) for k in out[name])
        return out

    # --- the diff ------------------------------------------------------------------------------
    def run(self) -> Diff:
        """Match, then one change per entity that differs, then detaches and foreign menus."""
        self._match()
        self._names()
        created_children = self._created_children()
        for kind in (VARIATION, MENU, SECTION, DISH):
            for ref, entity in self.desired.of(kind).items():
                self._entity(kind, ref, entity, created_children)
        self._detaches()
        self._foreign_menus()
        return self.diff

    def _names(self) -> None:
        names = self.diff.names
        for pool in (self.live.menus, self.live.sections, self.live.items):
            for wix_id, entity in pool.items():
                names[wix_id] = entity.name
        for kind in KINDS:
            for ref, entity in self.desired.of(kind).items():
                names[Ref(kind, ref)] = entity.name
                if Ref(kind, ref) in self.diff.ids:
                    names[self.diff.ids[Ref(kind, ref)]] = entity.name

    def _created_children(self) -> dict[Ref, list[Ref]]:
        # What Wix appends to each parent as the new sections and dishes get created, in order.
        out: dict[Ref, list[Ref]] = {}
        if not self.appends:
            return out
        for section_ref, menu_ref in self.desired.section_menu.items():
            if Ref(SECTION, section_ref) not in self.diff.ids:
                out.setdefault(Ref(MENU, menu_ref), []).append(Ref(SECTION, section_ref))
        for dish_ref, (_menu_ref, section_ref) in self.desired.placement.items():
            if Ref(DISH, dish_ref) not in self.diff.ids:
                out.setdefault(Ref(SECTION, section_ref), []).append(Ref(DISH, dish_ref))
        return out

    def _entity(self, kind: str, ref: int, entity: Entity, created_children: dict[Ref, list[Ref]]) -> None:
        key = Ref(kind, ref)
        target = self._resolved(entity.fields)
        children = CHILDREN.get(kind)
        wix_id = self.diff.ids.get(key)
        live = self.live.pool(kind)[wix_id] if wix_id else None
        if live is None or wix_id is None:
            self._create(kind, ref, entity, target, children, created_children.get(key, []))
            return
        entry = self.id_map.get((kind, ref))
        if entry is not None and entry.detached:
            self.diff.reattached.append(key)
        for name in self.ownership.carried_fields(kind):
            target[name] = live.fields.get(name)
        if kind == DISH and self.ownership.wix_min_max:
            target["options"] = _carry_min_max(target["options"], live.fields.get("options", ()))
        if children:
            wanted = self._children_wanted(live.fields.get(children, ()), target[children])
            self.diff.children[key] = wanted
            predicted = tuple(live.fields.get(children, ())) + tuple(created_children.get(key, []))
            # When Wix's own appending of the new children already yields the wanted list, no update
            # is needed: report the list as unchanged (the creates show what is added).
            target[children] = tuple(live.fields.get(children, ())) if predicted == wanted else wanted
        before = {n: live.fields.get(n) for n, v in target.items() if not _same(live.fields.get(n), v)}
        after = {n: target[n] for n in before}
        if live.archived:
            self.diff.changes.append(Change(kind, UNARCHIVE, wix_id, entity.name, ref, raw=live.raw))
        if before:
            self.diff.changes.append(
                Change(kind, UPDATE, wix_id, entity.name, ref, before, after, write=dict(after), raw=live.raw)
            )

    def _create(
        self,
        kind: str,
        ref: int,
        entity: Entity,
        target: dict[str, Any],
        children: str | None,
        appended: list[Ref],
    ) -> None:
        write = {n: v for n, v in target.items() if n != children}
        post: dict[str, Any] = {}
        if children:
            self.diff.children[Ref(kind, ref)] = tuple(target[children])
            if list(target[children]) != list(appended):
                post[children] = target[children]
        if kind == VARIATION:
            # Wix creates variations by name only; price and stock follow in an items update.
            post.update({n: v for n, v in write.items() if n != "name"})
            write = {"name": write["name"]}
        parent: tuple[Key, ...] = ()
        if kind == SECTION:
            parent = (self.resolve(Ref(MENU, self.desired.section_menu[ref])),)
        elif kind == DISH:
            menu_ref, section_ref = self.desired.placement[ref]
            parent = (self.resolve(Ref(MENU, menu_ref)), self.resolve(Ref(SECTION, section_ref)))
        change = Change(kind, CREATE, Ref(kind, ref), entity.name, ref, after=target, write=write, post_write=post)
        change.parent = parent
        self.diff.changes.append(change)

    def _children_wanted(self, live_list: tuple[Key, ...], wanted: tuple[Key, ...]) -> tuple[Key, ...]:
        if not self.ownership.wix_sorts:
            return tuple(wanted)
        # Wix owns the order: keep live order for what stays, append what is new in POS order.
        keep = set(wanted)
        ordered = [k for k in live_list if k in keep]
        return tuple(ordered + [k for k in wanted if k not in set(ordered)])

    def _detaches(self) -> None:
        for (kind, ref), entry in sorted(self.id_map.items()):
            if kind not in KINDS:
                continue  # a target's own kind: the target plans it (`Diff.own`)
            if ref in self.desired.of(kind) and Ref(kind, ref) in self.diff.ids:
                continue
            if ref in self.desired.of(kind):
                continue  # recreated: the new id replaces the stale one
            if entry.detached:
                continue
            live = self.live.get(kind, entry.wix_id)
            name = live.name if live else f"#{ref}"
            if kind == MENU and live is not None and not live.archived:
                self.diff.changes.append(Change(MENU, ARCHIVE, entry.wix_id, name, ref, raw=live.raw))
            else:
                self.diff.changes.append(Change(kind, DETACH, entry.wix_id, name, ref))

    def _foreign_menus(self) -> None:
        ours = {e.wix_id for (kind, _ref), e in self.id_map.items() if kind == MENU}
        for wix_id, menu in self.live.menus.items():
            if wix_id not in ours and not menu.archived:
                self.diff.changes.append(Change(MENU, ARCHIVE, wix_id, menu.name, None, foreign=True, raw=menu.raw))


def _same(live: Any, wanted: Any) -> bool:
    # Decimal compares by value, so "12.5" on Wix equals 12.50 in the POS.
    if isinstance(live, tuple | list) and isinstance(wanted, tuple | list):
        return len(live) == len(wanted) and all(_same(a, b) for a, b in zip(live, wanted, strict=True))
    return bool(live == wanted)


def _carry_min_max(wanted: tuple[Option, ...], live: tuple[Option, ...]) -> tuple[Option, ...]:
    live_by_name = {(o.name, o.type): o for o in live}
    out = []
    for option in wanted:
        twin = live_by_name.get((option.name, option.type))
        if option.type == "EXTRAS" and twin is not None:
            # Wix's values, clamped so they stay valid if the POS removed choices since.
            count = len(option.choices)
            high = min(twin.max_choices if twin.max_choices is not None else count, count)
            low = min(twin.min_choices or 0, high)
            option = Option(option.name, option.type, option.choices, option.defaults, low, high, option.group)
        out.append(option)
    return tuple(out)
