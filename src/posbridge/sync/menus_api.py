"""The Menus API target (new-generation sites): live writes in bulk calls of 100, revisions, shared groups.

New sites keep menus in Wix Restaurants' Menus API (`wix-menus-api.md`). It has no drafts: every
write is live (`Atomicity.LIVE`), so new menus are created hidden and shown by the last step, and
entities are written in dependency order (modifiers, items, sections, menus; links into parents
last). Menus and sections belong to one business location, which is the id space of the sync id
map; items, modifiers and groups are site-wide and shared.

Mapping of the neutral model:
- MENU → Menu (`name`, `description`, `sectionIds`; `businessLocationId` on create). A menu the POS
  does not sell, or one the site has of its own, is hidden (`visible: false`) where Catalogs v3
  archives it; "archived" here reads as "hidden".
- SECTION → Section (`name`, `description`, `itemIds`).
- DISH → Item (`name`, `description`, `priceInfo.price`, `labels` by name → Item Labels, created
  when missing, `orderSettings.inStock` / `acceptSpecialRequests`, `modifierGroups`).
- A size-like option (required, exactly one choice, some choice changes the price; the first such
  option of a dish) → the Item's `priceVariants` instead of a modifier group: one Item Variant per
  choice name (site-wide, found by name, created when missing), priced per item at the dish's price
  plus the choice's charge. The order intake maps a line's `variantId` back through the variant's
  name to the choice of that name in the item's size group. A size 86ed at the location is left
  out of the item's variants (its modifier's `inStock` is linked to nothing Wix sells).
- VARIATION → Item Modifier (`name`, `inStock`); its price is the group's `additionalCharge`.
- A POS option group → one Modifier Group (`rule {required, minSelections, maxSelections}`, modifiers
  with `preSelected` and `additionalChargeInfo.additionalCharge`), shared by every item that offers
  it and kept in the sync id map (kind `MODIFIER_GROUP`, by the option group's id). A change of the
  group (a choice's price, its rule) is one bulk update of the group at its revision, and the items
  pointing at it need no update; a group posbridge created that no item references any more is
  deleted. Groups posbridge did not create (the merchant's) are never written. Should one option
  group read differently on two dishes (Wix-owned min/max), the odd ones are found by content among
  the groups not mapped to an option group, or created unmapped.
- MENU availability windows → the menu's Menu Ordering Settings `availability` (a weekly schedule,
  one range per day, an overnight window split at midnight, an end at midnight written 23:59 since
  TimeOfDay's hours stop at 23; none = `ALWAYS_AVAILABLE`), written after the menu, alone (the
  settings' `onlineOrderingEnabled` and `operationId` are the merchant's).
- Not held (projected away, and counted in the sync's summary `notWritten` with `NOT_HELD`'s reason):
  tax rates, image URLs, fulfilment types (no public Menus API field; fulfilment belongs to the
  location's operation).

Every update carries the entity's current `revision` and a `mask` of the fields sent, so nothing
the POS does not own is overwritten; a stale revision (the merchant edited meanwhile) makes the
sync read and diff again (`LiveChanged`).

A stock change outside a sync (`write_stock`) sets an item's `orderSettings.inStock` (a choice: its
modifier's `inStock`) at the entity's current revision, read first.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Collection, Iterator
from decimal import Decimal
from typing import Any, ClassVar
from urllib.parse import quote

from posbridge.pos.hours import DAYS
from posbridge.store.db import Database
from posbridge.store.models import Configuration
from posbridge.store.types import money_text
from posbridge.sync.catalog import (
    DISH,
    GROUP,
    MENU,
    SECTION,
    VARIATION,
    Entity,
    Key,
    LiveCatalog,
    Option,
    Period,
    Ref,
)
from posbridge.sync.catalog_id import Lookup
from posbridge.sync.desired import DesiredCatalog
from posbridge.sync.diff import ARCHIVE, CREATE, DELETE, UNARCHIVE, UPDATE, Change, Diff
from posbridge.sync.plan import Layout, Step, StepSpec, WriteEntry, hide_until_complete, plan
from posbridge.sync.target import (
    Atomicity,
    BeforeCall,
    Commit,
    Limits,
    LiveChanged,
    RejectedEntities,
    Resolve,
    StockWrite,
)
from posbridge.wix.client import WixClient
from posbridge.wix.errors import WixApiError
from posbridge.wix.generation import Generation

# Wix's limits: 100 entities per bulk call, money with at most three decimals; availability is not
# written here. Our limit on items per location is the legacy one.
MENUS_API_LIMITS = Limits(batch_size=100, max_periods=100, max_items=10_000, max_choices=25, max_scale=3)
PAGE = 500  # list calls return at most 500 per page

# Dependency order: modifiers, groups (which list modifiers), items (which list groups), sections,
# menus; then updates that link children into parents; shown or hidden last; groups no item
# references any more deleted at the very end.
MENUS_API_LAYOUT: Layout = (
    StepSpec(CREATE, VARIATION),
    StepSpec(UPDATE, VARIATION),
    StepSpec(CREATE, GROUP),
    StepSpec(UPDATE, GROUP),
    StepSpec(CREATE, DISH),
    StepSpec(UPDATE, DISH),
    StepSpec(CREATE, SECTION),
    StepSpec(UPDATE, SECTION),
    StepSpec(CREATE, MENU),
    StepSpec(UPDATE, MENU),
    StepSpec(UNARCHIVE, MENU),
    StepSpec(ARCHIVE, MENU),
    StepSpec(DELETE, GROUP),
)


# POS data the public Menus API has no field for (wix-menus-api.md §1; docs/decisions.md): reported by
# every sync that drops it, never silently.
NOT_HELD = {
    f"{DISH}.taxRate": (
        "tax rate: the public Menus API holds no tax on items (Item.orderSettings.taxGroupId is @internal), "
        "sections, menus or business locations; Wix applies the site's own tax settings"
    ),
    f"{DISH}.imageUrl": "image URL: Menus API images are Wix Media images, not URLs",
    f"{MENU}.fulfillmentTypes": (
        "fulfilment types: the public Menus API has no per-menu field (they belong to the location's operation)"
    ),
}


@dataclasses.dataclass(frozen=True)
class _Service:
    """One Menus API service: its prefix under the restaurants base, path segment, and JSON keys."""

    prefix: str
    path: str  # `/v1/<path>` lists, `/v1/bulk/<path>/create` creates
    plural: str
    one: str


_MENUS = _Service("/menus-menu", "menus", "menus", "menu")
_SECTIONS = _Service("/menus-section", "sections", "sections", "section")
_ITEMS = _Service("/menus-item", "items", "items", "item")
_MODIFIERS = _Service("/item-modifiers", "modifiers", "modifiers", "modifier")
_VARIANTS = _Service("/item-variants", "variants", "variants", "variant")
_GROUPS = _Service("/item-modifier-group", "modifier-groups", "modifierGroups", "modifierGroup")
_SERVICE = {MENU: _MENUS, SECTION: _SECTIONS, DISH: _ITEMS, VARIATION: _MODIFIERS}
_NAMES = {
    (CREATE, MENU): "bulkCreateMenus",
    (UPDATE, MENU): "bulkUpdateMenu",
    (CREATE, SECTION): "bulkCreateSections",
    (UPDATE, SECTION): "bulkUpdateSection",
    (CREATE, DISH): "bulkCreateItems",
    (UPDATE, DISH): "bulkUpdateItem",
    (CREATE, VARIATION): "bulkCreateModifiers",
    (UPDATE, VARIATION): "bulkUpdateModifiers",
}
_MENU_FIELDS = ("name", "description", "sections", "availability")
_SETTINGS = "/menu-ordering-settings/v1/menu-ordering-settings"
# The POS's days rotated to start on Sunday, the order Wix lists a week's days in (Catalogs v3 periods
# run SUN..SAT too): availableTimes are written, and read back, in this order.
_WEEK = (DAYS[-1], *DAYS[:-1])
_DISH_FIELDS = ("name", "description", "price", "labels", "inStock", "acceptSpecialRequest", "options", "priceVariants")


class MenusApiTarget:
    """The Menus API for one business location of one site."""

    name: ClassVar[str] = "menus-api"
    limits: ClassVar[Limits] = MENUS_API_LIMITS
    atomicity: ClassVar[Atomicity] = Atomicity.LIVE
    layout: ClassVar[Layout] = MENUS_API_LAYOUT
    missing_id_space: ClassVar[str] = "This location is not paired with a Wix business location"
    appends_created_children: ClassVar[bool] = False
    not_held: ClassVar[dict[str, str]] = NOT_HELD

    @staticmethod
    def id_space(configuration: Configuration) -> str | None:
        """The paired business location."""
        return configuration.wix_id if configuration.generation == Generation.NEWGEN else None

    @staticmethod
    def locate(db: Database, client: WixClient, configuration_pk: int) -> Lookup:
        """Nothing to learn: pairing names the business location."""
        return Lookup(asked=False)

    @staticmethod
    def project(desired: DesiredCatalog) -> DesiredCatalog:
        """The desired catalog with only what the Menus API holds, options in the shape it reads back."""
        out = dataclasses.replace(desired)
        out.menus = [_menu(m) for m in desired.menus]
        names: dict[Key, str] = {Ref(VARIATION, k): e.fields.get("name", "") for k, e in desired.variations.items()}
        out_now: set[Key] = {
            Ref(VARIATION, k) for k, e in desired.variations.items() if e.fields.get("inStock") is False
        }
        out.dishes = {ref: _dish(e, names, out_now) for ref, e in desired.dishes.items()}
        out.variations = {ref: _keep(e, ("name", "inStock")) for ref, e in desired.variations.items()}
        return out

    def __init__(
        self, client: WixClient, instance_id: str, business_location_id: str, *, before_call: BeforeCall | None = None
    ) -> None:
        self.client = client
        self.instance_id = instance_id
        self.business_location_id = business_location_id
        self.calls: Counter[str] = Counter()
        self._before_call = before_call
        self.revisions: dict[str, str] = {}
        self.raw: dict[str, dict[str, Any]] = {}
        self.labels: dict[str, str] = {}  # label name → id (site-wide)
        self.variants: dict[str, str] = {}  # item variant name → id (site-wide)
        self.settings: dict[str, dict[str, Any]] = {}  # menu id → its menu ordering settings
        self.groups: dict[tuple[Any, ...], str] = {}  # group content → id (options not kept as a mapped group)
        self.live_groups: dict[str, Option] = {}  # live modifier group id → its content
        self.item_groups: dict[str, tuple[str, ...]] = {}  # live item id → the group ids it lists
        self.mapped: set[int] = set()  # POS option groups written as their mapped group this sync
        self.item_entries: list[WriteEntry] = []  # every item write the plan holds (see `plan`)

    # --- calls -------------------------------------------------------------------------------
    def _call(
        self, name: str, method: str, path: str, body: dict[str, Any] | None = None, params: Any = None
    ) -> dict[str, Any]:
        if self._before_call is not None:
            self._before_call(name)
        self.calls[name] += 1
        if path.startswith(_SETTINGS):  # Online Orders, not under the restaurants base
            return self.client.call_api(self.instance_id, method, path, json=body, params=params)
        return self.client.call(self.instance_id, method, path, json=body, params=params)

    def _list(self, name: str, service: _Service) -> Iterator[dict[str, Any]]:
        cursor = None
        while True:
            params: dict[str, Any] = {"paging.limit": PAGE}
            if cursor:
                params["paging.cursor"] = cursor
            answer = self._call(name, "GET", f"{service.prefix}/v1/{service.path}", params=params)
            yield from answer.get(service.plural) or []
            paging = answer.get("pagingMetadata") or answer.get("metadata") or {}
            cursor = (paging.get("cursors") or {}).get("next")
            if not paging.get("hasNext") or not cursor:
                return

    # --- reads -------------------------------------------------------------------------------
    def live_version(self) -> str | None:
        """None: the Menus API has no catalog-wide version, so every sync reads (and writes only changes)."""
        return None

    def location_menus(self) -> list[dict[str, Any]]:
        """This business location's menus as Wix has them (the Menus API lists every location's)."""
        return [m for m in self._list("listMenus", _MENUS) if m.get("businessLocationId") == self.business_location_id]

    def read_live(self, *, sections: bool = True, items: bool = True) -> LiveCatalog:
        """Everything the diff may need: this location's menus, and site-wide sections, items, modifiers, groups."""
        live = LiveCatalog()
        menus = self.location_menus()
        parent: dict[str, str] = {}
        if menus:
            self._read_settings()
        for raw in menus:
            self._remember(raw)
            for section_id in raw.get("sectionIds") or []:
                parent.setdefault(section_id, raw["id"])
            live.menus[raw["id"]] = Entity(
                MENU,
                raw["id"],
                {
                    "name": raw.get("name") or "",
                    "description": raw.get("description") or "",
                    "sections": tuple(raw.get("sectionIds") or ()),
                    "availability": _periods_from_wire((self.settings.get(raw["id"]) or {}).get("availability")),
                },
                archived=raw.get("visible") is False,
                raw=raw,
            )
        for raw in self._list("listSections", _SECTIONS):
            self._remember(raw)
            fields = {
                "name": raw.get("name") or "",
                "description": raw.get("description") or "",
                "items": tuple(raw.get("itemIds") or ()),
            }
            live.sections[raw["id"]] = Entity(SECTION, raw["id"], fields, parent=parent.get(raw["id"]), raw=raw)
        answer = self._call("listLabels", "GET", "/item-labels/v1/labels")
        label_names = {}
        for label in answer.get("labels") or []:
            label_names[label["id"]] = label.get("name") or ""
            self.labels.setdefault(label.get("name") or "", label["id"])
        variant_names = {}
        for raw in self._list("listVariants", _VARIANTS):
            variant_names[raw["id"]] = raw.get("name") or ""
            self.variants.setdefault(raw.get("name") or "", raw["id"])
        for raw in self._list("listModifiers", _MODIFIERS):
            self._remember(raw)
            fields = {"name": raw.get("name") or "", "inStock": raw.get("inStock", True) is not False}
            live.items[raw["id"]] = Entity(VARIATION, raw["id"], fields, raw=raw)
        groups: dict[str, Option] = {}
        for raw in self._list("listModifierGroups", _GROUPS):
            self._remember(raw)
            option = _option_from_group(raw)
            groups[raw["id"]] = option
            self.groups.setdefault(_group_key(option), raw["id"])
        self.live_groups = groups
        for raw in self._list("listItems", _ITEMS):
            self._remember(raw)
            self.item_groups[raw["id"]] = tuple(g.get("id", "") for g in raw.get("modifierGroups") or ())
            live.items[raw["id"]] = _item_from_wire(raw, label_names, groups, variant_names)
        return live

    def _read_settings(self) -> None:
        """Menu ordering settings (availability lives there, not on the menu), by menu id."""
        cursor = None
        while True:
            paging: dict[str, Any] = {"cursor": cursor} if cursor else {"limit": 100}
            answer = self._call(
                "queryMenuOrderingSettings", "POST", f"{_SETTINGS}/query", {"query": {"cursorPaging": paging}}
            )
            for raw in answer.get("menuOrderingSettings") or []:
                if raw.get("menuId"):
                    self.settings[raw["menuId"]] = raw
            meta = answer.get("pagingMetadata") or {}
            cursor = (meta.get("cursors") or {}).get("next")
            if not meta.get("hasNext") or not cursor:
                return

    def _write_availability(self, menu_id: str, availability: tuple[Period, ...] | None) -> None:
        """Only `availability`: whether online ordering is on, and through which operation, is the merchant's."""
        body: dict[str, Any] = {"availability": _periods_to_wire(availability)}
        current = self.settings.get(menu_id)
        if current and current.get("id"):
            body["revision"] = current.get("revision")
            answer = self._call(
                "updateMenuOrderingSettings", "PATCH", f"{_SETTINGS}/{current['id']}", {"menuOrderingSettings": body}
            )
        else:
            path = f"{_SETTINGS}/upsert/menu-id/{menu_id}"
            answer = self._call("upsertMenuOrderingSettingsByMenuId", "POST", path, {"menuOrderingSettings": body})
        if isinstance(answer.get("menuOrderingSettings"), dict):
            self.settings[menu_id] = answer["menuOrderingSettings"]

    def _remember(self, raw: dict[str, Any]) -> None:
        self.raw[raw["id"]] = raw
        if raw.get("revision") is not None:
            self.revisions[raw["id"]] = str(raw["revision"])

    # --- writes ------------------------------------------------------------------------------
    def plan(self, diff: Diff) -> list[Step]:
        """Creates carry their whole entity (children exist already: dependency order); new menus hidden.

        Modifier groups are planned here, from the dishes' options (`_plan_groups`): the diff then holds
        their creates, updates and deletes, and no dish update that only a group update already makes.
        """
        self._plan_groups(diff)
        folded = []
        for change in diff.changes:
            if change.op == CREATE and change.post_write:
                change = dataclasses.replace(change, write={**change.write, **change.post_write}, post_write={})
            folded.append(change)
        steps = hide_until_complete(plan(dataclasses.replace(diff, changes=folded), self.layout))
        _availability_with_the_show(steps)
        # Groups and labels the items need are created once, before the first item batch, in full
        # bulk calls (not one call per item batch).
        self.item_entries = [e for step in steps if step.kind == DISH for e in step.entries]
        return steps

    def _plan_groups(self, diff: Diff) -> None:
        """One modifier group per POS option group, by the id map: created, updated in place or deleted."""
        diff.changes[:] = [c for c in diff.changes if c.kind != GROUP]  # planned afresh (idempotent)
        wanted: dict[int, Option] = {}
        split: set[int] = set()
        for change in diff.changes:
            if change.kind == DISH and change.op in (CREATE, UPDATE):
                for option in change.write.get("options") or ():
                    if option.group is None:
                        continue
                    first = wanted.setdefault(option.group, option)
                    if _group_key(first) != _group_key(option):
                        split.add(option.group)  # read differently per dish: content-found groups
        owned = {e.wix_id: ref for (kind, ref), e in diff.own.items() if kind == GROUP and e.wix_id in self.live_groups}
        # Content lookup (for split options) never lands on a group that follows an option group.
        self.groups = {k: v for k, v in self.groups.items() if v not in owned}
        self.mapped = set(wanted) - split
        planned: list[Change] = []
        for ref in sorted(self.mapped):
            option = wanted[ref]
            entry = diff.own.get((GROUP, ref))
            if entry is not None and entry.wix_id in self.live_groups:
                diff.ids[Ref(GROUP, ref)] = entry.wix_id
                live = self.live_groups[entry.wix_id]
                if _group_key(live) != _group_key(option):
                    before, after = {"group": live}, {"group": option}
                    raw = self.raw.get(entry.wix_id) or {}
                    change = Change(GROUP, UPDATE, entry.wix_id, option.name, ref, before, after, dict(after), raw=raw)
                    planned.append(change)
            else:
                diff.ids.pop(Ref(GROUP, ref), None)
                after = {"group": option}
                planned.append(Change(GROUP, CREATE, Ref(GROUP, ref), option.name, ref, after=after, write=after))
        # Dishes whose options differ only in content the group updates already bring: no dish update.
        referenced = {item: groups for item, groups in self.item_groups.items()}
        kept = []
        for change in diff.changes:
            options = change.write.get("options") if change.kind == DISH else None
            if options is not None:
                ids = tuple(self._group_target(o, diff) for o in options)
                if change.op == UPDATE and ids == self.item_groups.get(str(change.key)):
                    change.write.pop("options")
                    change.before.pop("options", None)
                    change.after.pop("options", None)
                    if not change.write:
                        continue
                referenced[str(change.key)] = tuple(str(i) for i in ids)
            kept.append(change)
        in_use = {g for groups in referenced.values() for g in groups}
        for wix_id, ref in sorted(owned.items()):
            if wix_id not in in_use and ref not in self.mapped:
                live = self.live_groups[wix_id]
                planned.append(Change(GROUP, DELETE, wix_id, live.name, ref, before={"group": live}))
        diff.changes[:] = kept + planned

    def _group_target(self, option: Option, diff: Diff) -> Key:
        """The group an option's item lists: its mapped group (a Ref until created), else one found by content."""
        if option.group in self.mapped:
            ref = Ref(GROUP, option.group)
            return diff.ids.get(ref, ref)
        return self.groups.get(_group_key(option), "")

    def begin(self) -> None:
        """Nothing to open: every write is live."""

    def commit(self, last_version: str | None) -> Commit:
        """Nothing to publish: the writes are live (new menus were shown by the last step)."""
        return Commit(None)

    def abort(self) -> None:
        """Nothing to forget: a new menu left behind stays hidden until the next sync completes it."""

    def write_stock(self, kind: str, wix_id: str, in_stock: bool) -> StockWrite:
        """The item's `orderSettings.inStock` (a choice: the modifier's `inStock`), at the entity's current revision.

        The entity is read first (its revision, and the rest of `orderSettings`, which an update
        replaces whole); a merchant's edit in between (409 REVISION_MISMATCH) is read again once.
        """
        service = _MODIFIERS if kind == VARIATION else _ITEMS
        path = f"{service.prefix}/v1/{service.path}/{wix_id}"
        noun = service.one.capitalize()
        retried = False
        try:
            while True:
                entity = self._call(f"get{noun}", "GET", path).get(service.one) or {}
                if kind == VARIATION:
                    if (entity.get("inStock", True) is not False) == in_stock:
                        return StockWrite.ALREADY
                    change: dict[str, Any] = {"inStock": in_stock}
                else:
                    settings = dict(entity.get("orderSettings") or {})
                    if (settings.get("inStock", True) is not False) == in_stock:
                        return StockWrite.ALREADY
                    change = {"orderSettings": {**settings, "inStock": in_stock}}
                body = {service.one: {"id": wix_id, "revision": entity.get("revision"), **change}}
                try:
                    self._call(f"update{noun}", "PATCH", path, body)
                    return StockWrite.WRITTEN
                except WixApiError as exc:
                    if exc.status != 409 or retried:
                        raise
                    retried = True
        except WixApiError as exc:
            if exc.status == 404:
                return StockWrite.GONE
            raise

    def write(self, op: str, kind: str, entries: list[WriteEntry], resolve: Resolve) -> list[str]:
        """One bulk call of up to 100 entries (menus shown or hidden through their update)."""
        assert 1 <= len(entries) <= self.limits.batch_size
        if kind == GROUP:
            return self._write_groups(op, entries, resolve)
        if kind == DISH:
            self._ensure_labels_and_groups(self.item_entries or entries, resolve)
            self.item_entries = []
        if op in (ARCHIVE, UNARCHIVE):
            visible = op == UNARCHIVE
            bodies = [({"id": resolve(e.change.key), "visible": visible}, ["visible"]) for e in entries]
            return self._bulk(UPDATE, MENU, entries, bodies)
        bodies = []
        for entry in entries:
            key = entry.change.key
            body = self._body(kind, entry.fields, resolve, self.raw.get(key) if isinstance(key, str) else None)
            mask = sorted(body)
            if op == CREATE:
                if kind == MENU:
                    body["businessLocationId"] = self.business_location_id
                bodies.append((body, mask))
            else:
                bodies.append(({"id": resolve(entry.change.key), **body}, mask))
        if kind != MENU:
            return self._bulk(op, kind, entries, bodies)
        # A menu's availability is in its ordering settings: a change of only that is no menu update.
        # It is written before the menu's update, which may be the one that shows it (never shown
        # with windows still to come); a create returns its ids first, so none is ever lost.
        if op != CREATE:
            for entry in entries:
                if "availability" in entry.fields:
                    self._write_availability(resolve(entry.change.key), entry.fields["availability"])
        on_menu = [i for i, (_, mask) in enumerate(bodies) if mask or op == CREATE]
        ids = [resolve(e.change.key) if i not in on_menu else "" for i, e in enumerate(entries)]
        if on_menu:
            written = self._bulk(op, kind, [entries[i] for i in on_menu], [bodies[i] for i in on_menu])
            for i, menu_id in zip(on_menu, written, strict=True):
                ids[i] = menu_id
        return ids

    def _bulk(
        self, op: str, kind: str, entries: list[WriteEntry], bodies: list[tuple[dict[str, Any], list[str]]]
    ) -> list[str]:
        service = _SERVICE[kind]
        name = _NAMES[(op, kind)]
        if op == CREATE:
            payload: dict[str, Any] = {service.plural: [b for b, _ in bodies], "returnEntity": True}
        else:
            updates = []
            for body, mask in bodies:
                revision = self.revisions.get(body["id"])
                updates.append({service.one: {**body, "revision": revision}, "mask": ",".join(mask)})
            payload = {service.plural: updates, "returnEntity": True}
        verb = "create" if op == CREATE else "update"
        answer = self._call(name, "POST", f"{service.prefix}/v1/bulk/{service.path}/{verb}", payload)
        return self._results(name, answer, entries, service.one)

    def _write_groups(self, op: str, entries: list[WriteEntry], resolve: Resolve) -> list[str]:
        """Modifier groups mapped to POS option groups: created, updated at their revision, or deleted."""
        if op == DELETE:
            ids = [resolve(e.change.key) for e in entries]
            # Bulk update and delete of groups spell the collection `modifiers-groups` (wix-menus-api.md §2).
            path = f"{_GROUPS.prefix}/v1/bulk/modifiers-groups/delete"
            answer = self._call("bulkDeleteModifierGroups", "DELETE", path, params={"ids": ids})
            self._results("bulkDeleteModifierGroups", answer, entries, _GROUPS.one)
            return ids
        wires = [_group_to_wire(e.fields["group"].with_keys(resolve)) for e in entries]
        if op == CREATE:
            path = f"{_GROUPS.prefix}/v1/bulk/{_GROUPS.path}/create"
            answer = self._call("bulkCreateModifierGroups", "POST", path, {_GROUPS.plural: wires, "returnEntity": True})
            return self._results("bulkCreateModifierGroups", answer, entries, _GROUPS.one)
        updates = []
        for entry, wire in zip(entries, wires, strict=True):
            group_id = resolve(entry.change.key)
            body = {**wire, "id": group_id, "revision": self.revisions.get(group_id)}
            updates.append({_GROUPS.one: body, "mask": ",".join(sorted(wire))})
        path = f"{_GROUPS.prefix}/v1/bulk/modifiers-groups/update"
        answer = self._call("bulkUpdateModifierGroups", "POST", path, {_GROUPS.plural: updates, "returnEntity": True})
        return self._results("bulkUpdateModifierGroups", answer, entries, _GROUPS.one)

    def _results(self, name: str, answer: dict[str, Any], entries: list[WriteEntry], one: str) -> list[str]:
        ids: list[str | None] = [None] * len(entries)
        failures: list[tuple[str, str, str]] = []
        stale = 0
        for result in answer.get("results") or []:
            meta = next((v for k, v in result.items() if k.endswith("Metadata") and isinstance(v, dict)), {})
            index = meta.get("originalIndex")
            if not isinstance(index, int) or not 0 <= index < len(entries):
                continue
            if meta.get("success"):
                ids[index] = meta.get("id")
                entity = result.get(one) or result.get("item")
                if isinstance(entity, dict) and entity.get("id"):
                    self._remember(entity)
            else:
                error = meta.get("error") or {}
                code = str(error.get("code"))
                stale += code in ("REVISION_MISMATCH", "CONFLICT")
                failures.append((entries[index].change.name, code, str(error.get("description"))))
        if stale and stale == len(failures):
            raise LiveChanged(f"{stale} entities of {name} were edited in Wix meanwhile")
        missing = [e.change.name for e, i in zip(entries, ids, strict=True) if i is None]
        if failures or missing:
            raise RejectedEntities(name, failures or [(n, "NO_RESULT", "no result for this entry") for n in missing])
        return [i for i in ids if i is not None]

    def _ensure_labels_and_groups(self, entries: list[WriteEntry], resolve: Resolve) -> None:
        for entry in entries:
            for label in entry.fields.get("labels") or ():
                if label not in self.labels:
                    answer = self._call("createLabel", "POST", "/item-labels/v1/labels", {"label": {"name": label}})
                    self.labels[label] = answer["label"]["id"]
        self._ensure_variants(entries)
        wanted: dict[tuple[Any, ...], Option] = {}
        for entry in entries:
            for option in entry.fields.get("options") or ():
                if option.group in self.mapped:
                    continue  # its own group, written by the group steps before any item
                resolved = option.with_keys(resolve)
                key = _group_key(resolved)
                if key not in self.groups:
                    wanted.setdefault(key, resolved)
        if not wanted:
            return
        keys = list(wanted)
        for start in range(0, len(keys), self.limits.batch_size):
            batch = keys[start : start + self.limits.batch_size]
            body = {_GROUPS.plural: [_group_to_wire(wanted[k]) for k in batch], "returnEntity": True}
            path = f"{_GROUPS.prefix}/v1/bulk/{_GROUPS.path}/create"
            answer = self._call("bulkCreateModifierGroups", "POST", path, body)
            # Results are reported per group; name each by its option for a readable rejection.
            named = [WriteEntry(dataclasses.replace(entries[0].change, name=wanted[k].name), {}) for k in batch]
            created = self._results("bulkCreateModifierGroups", answer, named, _GROUPS.one)
            self.groups.update(zip(batch, created, strict=True))

    def _ensure_variants(self, entries: list[WriteEntry]) -> None:
        """Item Variants the entries' price variants name, created in full bulk calls where missing."""
        wanted = list(
            dict.fromkeys(
                name
                for entry in entries
                for name, _ in entry.fields.get("priceVariants") or ()
                if name not in self.variants
            )
        )
        for start in range(0, len(wanted), self.limits.batch_size):
            batch = wanted[start : start + self.limits.batch_size]
            body = {_VARIANTS.plural: [{"name": n} for n in batch], "returnEntity": True}
            path = f"{_VARIANTS.prefix}/v1/bulk/{_VARIANTS.path}/create"
            answer = self._call("bulkCreateVariants", "POST", path, body)
            named = [WriteEntry(dataclasses.replace(entries[0].change, name=n), {}) for n in batch]
            created = self._results("bulkCreateVariants", answer, named, _VARIANTS.one)
            self.variants.update(zip(batch, created, strict=True))

    def _body(self, kind: str, fields: dict[str, Any], resolve: Resolve, live: dict[str, Any] | None) -> dict[str, Any]:
        out: dict[str, Any] = {k: fields[k] for k in ("name", "description") if k in fields}
        if "visible" in fields:
            out["visible"] = bool(fields["visible"])
        if kind == MENU and "sections" in fields:
            out["sectionIds"] = [resolve(k) for k in fields["sections"]]
        if kind == SECTION and "items" in fields:
            out["itemIds"] = [resolve(k) for k in fields["items"]]
        if kind == VARIATION and "inStock" in fields:
            out["inStock"] = bool(fields["inStock"])
        if kind == DISH:
            if fields.get("priceVariants"):
                # One of priceInfo / priceVariants: Wix drops the other when one is written.
                variants = [
                    {"variantId": self.variants[name], "priceInfo": {"price": money_text(price)}}
                    for name, price in fields["priceVariants"]
                ]
                out["priceVariants"] = {"variants": variants}
            elif "price" in fields or "priceVariants" in fields:
                out["priceInfo"] = {"price": money_text(fields.get("price") or Decimal(0))}
            if "labels" in fields:
                out["labels"] = [{"id": self.labels[name]} for name in fields["labels"]]
            if "options" in fields:
                groups = [
                    resolve(Ref(GROUP, o.group))
                    if o.group in self.mapped
                    else self.groups[_group_key(o.with_keys(resolve))]
                    for o in fields["options"]
                ]
                out["modifierGroups"] = [{"id": g} for g in groups]
            if "inStock" in fields or "acceptSpecialRequest" in fields:
                # One object on Wix: the part not being written is kept as it is live.
                now = (live or {}).get("orderSettings") or {}
                settings = {
                    "inStock": now.get("inStock", True) is not False,
                    "acceptSpecialRequests": now.get("acceptSpecialRequests", True) is not False,
                }
                if "inStock" in fields:
                    settings["inStock"] = bool(fields["inStock"])
                if "acceptSpecialRequest" in fields:
                    settings["acceptSpecialRequests"] = bool(fields["acceptSpecialRequest"])
                out["orderSettings"] = settings
        return out


def read_variant_names(client: WixClient, instance_id: str, variant_ids: Collection[str]) -> dict[str, str]:
    """The Item Variants' names (one call per variant; an order names few), for the eCom hand-over's sized lines.

    A variant gone from the menu is left out (its line is judged without its size); any other failure is
    raised (`WixApiError`: Wix is unwell, and the webhook asks Wix to resend).
    """
    names = {}
    for variant_id in sorted(variant_ids):
        path = f"{_VARIANTS.prefix}/v1/{_VARIANTS.path}/{quote(variant_id, safe='')}"
        try:
            answer = client.call(instance_id, "GET", path)
        except WixApiError as exc:
            if exc.status == 404:
                continue
            raise
        name = (answer.get(_VARIANTS.one) or {}).get("name")
        if isinstance(name, str):
            names[variant_id] = name
    return names


def _availability_with_the_show(steps: list[Step]) -> None:
    """A new menu's windows move from its create to the update that shows it.

    Written with the create, a failure between the menus' create call and its answer reaching the
    runner would lose the new ids (the next sync would create the menus again); written just
    before the show, a failure leaves the menu hidden, and the next sync completes it.
    """
    shows = {id(e.change): e for s in steps if s.op == UPDATE and s.kind == MENU for e in s.entries}
    for step in steps:
        if step.op == CREATE and step.kind == MENU:
            for entry in step.entries:
                show = shows.get(id(entry.change))
                if show is not None and "availability" in entry.fields:
                    fields = dict(entry.fields)
                    show.fields = {**show.fields, "availability": fields.pop("availability")}
                    entry.fields = fields


# --- the neutral model ↔ the Menus API -----------------------------------------------------------


def _keep(entity: Entity, names: tuple[str, ...]) -> Entity:
    return dataclasses.replace(entity, fields={k: v for k, v in entity.fields.items() if k in names})


def _menu(entity: Entity) -> Entity:
    kept = _keep(entity, _MENU_FIELDS)
    kept.fields["availability"] = _held(_per_day(kept.fields.get("availability")))
    return kept


# TimeOfDay holds hours 0–23, so a range cannot end at 24:00; 00:00 as an end would read as an empty
# (or start-of-day) range wherever an end must follow its start. The last minute of the day is the one
# end that means the same in every reading: a window to midnight loses its final minute at Wix.
_DAY_END = "24:00"
_LAST_MINUTE = "23:59"


def _held(periods: tuple[Period, ...] | None) -> tuple[Period, ...] | None:
    """Per-day periods as the Menus API can hold them: an end at midnight is 23:59."""
    if not periods:
        return periods
    return tuple(dataclasses.replace(p, close_time=_LAST_MINUTE) if p.close_time == _DAY_END else p for p in periods)


def _minutes(clock: str) -> int:
    hours, minutes = clock.split(":")
    return int(hours) * 60 + int(minutes)


def _clock(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _per_day(periods: tuple[Period, ...] | None) -> tuple[Period, ...] | None:
    """Periods as Wix's weekly schedule holds them: within one day each (an overnight one split at midnight)."""
    if not periods:
        return None
    out: set[Period] = set()
    for period in periods:
        day, start = _WEEK.index(period.open_day), _minutes(period.open_time)
        end_day, end = _WEEK.index(period.close_day), _minutes(period.close_time)
        span = ((end_day - day) % 7) * 1440 + end - start
        span = span if span > 0 else span + 7 * 1440
        while span > 0:
            length = min(span, 1440 - start)
            out.add(Period(_WEEK[day], _clock(start), _WEEK[day], _clock(start + length)))
            span -= length
            day, start = (day + 1) % 7, 0
    return tuple(sorted(out, key=lambda p: (_WEEK.index(p.open_day), p.open_time, p.close_time)))


def _periods_to_wire(periods: tuple[Period, ...] | None) -> dict[str, Any]:
    if not periods:
        return {"type": "ALWAYS_AVAILABLE"}
    days: dict[str, list[dict[str, Any]]] = {}
    for period in periods:
        start, end = _minutes(period.open_time), min(_minutes(period.close_time), _minutes(_LAST_MINUTE))
        days.setdefault(period.open_day, []).append(
            {
                "startTime": {"hours": start // 60, "minutes": start % 60},
                "endTime": {"hours": end // 60, "minutes": end % 60},
            }
        )
    times = [{"dayOfWeek": day, "timeRanges": ranges} for day, ranges in days.items()]
    return {"type": "WEEKLY_SCHEDULE", "weeklyScheduleOptions": {"availableTimes": times}}


def _periods_from_wire(availability: dict[str, Any] | None) -> tuple[Period, ...] | None:
    """A weekly schedule as per-day periods; anything else (always, timestamp ranges) as None (always)."""
    if not availability or availability.get("type") != "WEEKLY_SCHEDULE":
        return None
    out = []
    for day in (availability.get("weeklyScheduleOptions") or {}).get("availableTimes") or []:
        if day.get("dayOfWeek") not in _WEEK:
            continue
        for window in day.get("timeRanges") or []:
            start = window.get("startTime") or {}
            end = window.get("endTime") or {}
            begin = int(start.get("hours") or 0) * 60 + int(start.get("minutes") or 0)
            close = int(end.get("hours") or 0) * 60 + int(end.get("minutes") or 0)
            # An end of 00:00 (written so before, or by the merchant) is taken as the day's end; it
            # then differs from the 23:59 the POS window projects to, so the next sync rewrites it.
            out.append(Period(day["dayOfWeek"], _clock(begin), day["dayOfWeek"], _clock(close or 1440)))
    return _per_day(tuple(out))


def _dish(entity: Entity, names: dict[Key, str], out_now: set[Key]) -> Entity:
    kept = _keep(entity, _DISH_FIELDS)
    options = [_normal(o) for o in kept.fields.get("options") or ()]
    sized = next((o for o in options if _size_like(o, names)), None)
    kept.fields["priceVariants"] = ()
    if sized is not None:
        base = kept.fields.get("price") or Decimal(0)
        options.remove(sized)
        # A size 86ed at the location is left out of the item's variants: the modifier that carries
        # the choice's stock is linked to nothing, so its `inStock` would not stop Wix selling it.
        # With every size out the item is out itself (its required size group has nothing left) and
        # keeps them all, as Wix needs at least one.
        sizes = [(k, charge) for k, charge in sized.choices if k not in out_now] or list(sized.choices)
        kept.fields["priceVariants"] = tuple((names[k], base + charge) for k, charge in sizes)
        kept.fields["price"] = None  # the price is per variant (Wix holds one or the other)
    kept.fields["options"] = tuple(options)
    return kept


def _size_like(option: Option, names: dict[Key, str]) -> bool:
    """A required single choice whose choices change the price, each with a distinct name: a size."""
    keys = [k for k, _ in option.choices]
    if option.type != "SELECTION" or not keys or not all(k in names and names[k] for k in keys):
        return False
    distinct = len({names[k] for k in keys}) == len(keys)
    return distinct and any(charge != 0 for _, charge in option.choices)


def _normal(option: Option) -> Option:
    """An option in the one shape its modifier group reads back as (a group holds only a rule)."""
    count, group = len(option.choices), option.group
    if option.type == "SELECTION":
        return Option(option.name, "SELECTION", option.choices, option.defaults[:1], group=group)
    if option.type == "DESELECTION":
        return Option(option.name, "DESELECTION", option.choices, group=group)
    low, high = option.min_choices or 0, option.max_choices if option.max_choices is not None else count
    every = tuple(k for k, _ in option.choices)
    if low == 0 and high == count and tuple(option.defaults) == every:
        return Option(option.name, "DESELECTION", option.choices, group=group)
    if low == high == 1:
        return Option(option.name, "SELECTION", option.choices, option.defaults[:1], group=group)
    return Option(option.name, "EXTRAS", option.choices, option.defaults, low, high, group)


def _group_to_wire(option: Option) -> dict[str, Any]:
    count = len(option.choices)
    if option.type == "SELECTION":
        rule = {"required": True, "minSelections": 1, "maxSelections": 1}
        pre = set(option.defaults[:1])
    elif option.type == "DESELECTION":
        rule = {"required": False, "minSelections": 0, "maxSelections": count}
        pre = {k for k, _ in option.choices}
    else:
        low, high = option.min_choices or 0, option.max_choices if option.max_choices is not None else count
        rule = {"required": low > 0, "minSelections": low, "maxSelections": high}
        pre = set(option.defaults)
    modifiers = [
        {"id": key, "preSelected": key in pre, "additionalChargeInfo": {"additionalCharge": money_text(price)}}
        for key, price in option.choices
    ]
    return {"name": option.name, "rule": rule, "modifiers": modifiers}


def _option_from_group(raw: dict[str, Any]) -> Option:
    rule = raw.get("rule") or {}
    modifiers = raw.get("modifiers") or []
    choices = tuple(
        (m.get("id", ""), Decimal(str((m.get("additionalChargeInfo") or {}).get("additionalCharge") or "0")))
        for m in modifiers
    )
    pre = tuple(m.get("id", "") for m in modifiers if m.get("preSelected"))
    low, high = int(rule.get("minSelections") or 0), rule.get("maxSelections")
    high = int(high) if high is not None else len(choices)
    name = raw.get("name") or ""
    if choices and low == 0 and high == len(choices) and len(pre) == len(choices) and not rule.get("required"):
        return Option(name, "DESELECTION", choices)
    if rule.get("required") and low == high == 1:
        return Option(name, "SELECTION", choices, pre[:1])
    return Option(name, "EXTRAS", choices, pre, low, high)


def _group_key(option: Option) -> tuple[Any, ...]:
    # Decimals by value (1.5 and 1.50 are one charge), keys as resolved ids.
    choices = tuple((k, money_text(p)) for k, p in option.choices)
    return (option.name, option.type, choices, tuple(option.defaults), option.min_choices, option.max_choices)


def _item_from_wire(
    raw: dict[str, Any], labels: dict[str, str], groups: dict[str, Option], variants: dict[str, str]
) -> Entity:
    price = (raw.get("priceInfo") or {}).get("price")
    sized = tuple(
        (
            variants.get(v.get("variantId", ""), ""),
            Decimal(str((v.get("priceInfo") or {}).get("price") or v.get("price") or "0")),
        )
        for v in (raw.get("priceVariants") or {}).get("variants") or ()
    )
    settings = raw.get("orderSettings") or {}
    fields = {
        "name": raw.get("name") or "",
        "description": raw.get("description") or "",
        "price": Decimal(str(price)) if price not in (None, "") else None,
        "labels": tuple(labels.get(label.get("id", ""), "") for label in raw.get("labels") or ()),
        "inStock": settings.get("inStock", True) is not False,
        "acceptSpecialRequest": settings.get("acceptSpecialRequests", True) is not False,
        "options": tuple(groups[g["id"]] for g in raw.get("modifierGroups") or () if g.get("id") in groups),
        "priceVariants": sized,
    }
    return Entity(DISH, raw["id"], fields, raw=raw)
