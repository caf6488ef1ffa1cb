"""The Catalogs v3 target (legacy sites): live reads, Draft Catalogs bulk writes, publish, and the wire mapping.

Legacy sites keep their menus in one Catalogs v3 catalog per location; a sync writes a draft of
it in bulk calls of 20 and publishes the draft at once (`Atomicity.DRAFT`). The catalog id is
the id space of the sync id map, learnt from Wix's POS connectivity API on the first sync
(`posbridge.sync.catalog_id`). Dishes and variations are both Items, updated through one call.
A stock change bypasses the draft: the single-item PATCH of the live catalog sets only `inStock`.
A 404 about the catalog (or its draft) means Wix no longer has it: `IdSpaceGone`.
"""

from __future__ import annotations

import copy
from collections import Counter
from decimal import Decimal
from typing import Any, ClassVar

from posbridge.store.db import Database
from posbridge.store.models import Configuration
from posbridge.store.types import money_text
from posbridge.sync.catalog import (
    DISH,
    MENU,
    SECTION,
    VARIATION,
    Entity,
    LiveCatalog,
    Option,
    Period,
    rate_text,
)
from posbridge.sync.catalog_id import Lookup, learn_catalog_id
from posbridge.sync.desired import DesiredCatalog
from posbridge.sync.diff import ARCHIVE, CREATE, UNARCHIVE, UPDATE, Diff
from posbridge.sync.plan import Layout, Step, StepSpec, WriteEntry, plan
from posbridge.sync.target import (
    Atomicity,
    BeforeCall,
    Commit,
    IdSpaceGone,
    Limits,
    RejectedEntities,
    Resolve,
    StockWrite,
)
from posbridge.wix.client import WixClient
from posbridge.wix.errors import WixApiError

OPTION_KEYS = {"SELECTION": "selection", "EXTRAS": "extras", "DESELECTION": "deselection"}
ITEM = "ITEM"  # the step kind of dishes and variations, which share one update endpoint

# Wix's limits: 20 entities per bulk call, 100 availability periods per entity, money and tax
# rates with at most three decimals. Decision: at most 10,000 dishes and 100 choices per option
# group per catalog, beyond which a catalog is reported as OVERLOADED_MENU rather than half-written.
CATALOGS_V3_LIMITS = Limits(batch_size=20, max_periods=100, max_items=10_000, max_choices=100, max_scale=3)

# Variations first (dishes' options point at them), menus unarchived and created, sections in
# their menus, dishes in their sections; then one items update carries new variations' prices
# and stock with every dish/variation update; sections and menus last get their children lists.
CATALOGS_V3_LAYOUT: Layout = (
    StepSpec(CREATE, VARIATION),
    StepSpec(UNARCHIVE, MENU),
    StepSpec(CREATE, MENU),
    StepSpec(CREATE, SECTION),
    StepSpec(CREATE, DISH),
    StepSpec(UPDATE, ITEM, (VARIATION, DISH)),
    StepSpec(UPDATE, SECTION),
    StepSpec(UPDATE, MENU),
    StepSpec(ARCHIVE, MENU),
)


class CatalogsV3Target:
    """Catalogs v3 live reads and Draft Catalogs bulk writes (20 entries per call) through WixClient."""

    name: ClassVar[str] = "catalogs-v3"
    limits: ClassVar[Limits] = CATALOGS_V3_LIMITS
    atomicity: ClassVar[Atomicity] = Atomicity.DRAFT
    layout: ClassVar[Layout] = CATALOGS_V3_LAYOUT
    missing_id_space: ClassVar[str] = "Wix has not given this location a catalog yet"
    appends_created_children: ClassVar[bool] = True
    not_held: ClassVar[dict[str, str]] = {}

    @staticmethod
    def project(desired: DesiredCatalog) -> DesiredCatalog:
        """Catalogs v3 holds every field of the neutral model."""
        return desired

    @staticmethod
    def id_space(configuration: Configuration) -> str | None:
        """The configuration's catalog id."""
        return configuration.catalog_id

    @staticmethod
    def locate(db: Database, client: WixClient, configuration_pk: int) -> Lookup:
        """Ask Wix for the catalog id of a configuration paired without one (one call, then stored)."""
        return learn_catalog_id(db, client, configuration_pk)

    def __init__(
        self,
        client: WixClient,
        instance_id: str,
        catalog_id: str,
        *,
        before_call: BeforeCall | None = None,
    ) -> None:
        self.client = client
        self.instance_id = instance_id
        self.catalog_id = catalog_id
        self.calls: Counter[str] = Counter()
        self._before_call = before_call
        self._live = f"/v3/catalogs/{catalog_id}"
        self._draft = f"/v3/draft-catalogs/{catalog_id}"

    def _call(
        self,
        name: str,
        method: str,
        path: str,
        body: dict[str, Any] | None = None,
        params: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        if self._before_call is not None:
            self._before_call(name)
        self.calls[name] += 1
        try:
            return self.client.call(self.instance_id, method, path, json=body, params=params)
        except WixApiError as exc:
            # Wix names what is missing in the code (CATALOG_NOT_FOUND, DRAFT_CATALOG_NOT_FOUND):
            # the catalog this location's menus live in is gone, as opposed to one entity in it.
            if exc.status == 404 and "CATALOG" in exc.code:
                raise IdSpaceGone.of(exc) from exc
            raise

    # --- reads -------------------------------------------------------------------------------
    def live_version(self) -> str | None:
        """The catalog's draftPublishedDate (one list call)."""
        answer = self._call("listCatalogs", "GET", "/v3/catalogs", params={"paging.limit": 1000, "archived": "true"})
        for catalog in answer.get("catalogs", []):
            if catalog.get("id") == self.catalog_id:
                return catalog.get("draftPublishedDate")
        return None

    def read_live(self, *, sections: bool = True, items: bool = True) -> LiveCatalog:
        """Menus, and unless skipped sections and items, of the live catalog (one call each)."""
        params = {"archived": "true"}
        live = LiveCatalog()
        for raw in self._call("listMenus", "GET", f"{self._live}/menus", params=params).get("menus", []):
            live.menus[raw["id"]] = menu_from_wire(raw)
        if sections:
            for raw in self._call("listSections", "GET", f"{self._live}/sections", params=params).get("sections", []):
                live.sections[raw["id"]] = section_from_wire(raw)
        if items:
            for raw in self._call("listItems", "GET", f"{self._live}/items", params=params).get("items", []):
                live.items[raw["id"]] = item_from_wire(raw)
        return live

    def plan(self, diff: Diff) -> list[Step]:
        """The diff in Catalogs v3's steps."""
        return plan(diff, self.layout)

    # --- the draft ---------------------------------------------------------------------------
    def begin(self) -> None:
        """Create the draft; a 409 means a leftover draft, which is discarded first."""
        try:
            self._call("createDraftCatalog", "POST", f"{self._draft}/create", {})
        except WixApiError as exc:
            if exc.status != 409:
                raise
            self.abort()
            self._call("createDraftCatalog", "POST", f"{self._draft}/create", {})

    def commit(self, last_version: str | None) -> Commit:
        """Publish the draft; the catalog's new draftPublishedDate.

        A retried publish that finds no draft (404) may follow a first publish that went through
        with its answer lost: then the live version moved on since `last_version`, and that is it.
        """
        try:
            answer = self._call("publishDraftCatalog", "POST", f"{self._draft}/publish", {})
        except WixApiError as exc:
            if exc.status != 404:
                raise
            version = self.live_version()
            if version is None or version == last_version:
                raise
            return Commit(version, confirmed=True)
        return Commit((answer.get("catalog") or {}).get("draftPublishedDate"))

    def abort(self) -> None:
        """Discard the draft; a missing draft is fine."""
        try:
            self._call("discardDraftCatalog", "DELETE", f"{self._draft}/discard")
        except WixApiError as exc:
            if exc.status != 404:
                raise

    def write(self, op: str, kind: str, entries: list[WriteEntry], resolve: Resolve) -> list[str]:
        """One bulk call for up to 20 entries of a step."""
        assert 1 <= len(entries) <= self.limits.batch_size
        name, path, field, payload = self._request(op, kind, entries, resolve)
        answer = self._call(name, "POST", f"{self._draft}/bulk/{path}", {field: payload, "returnFullEntity": False})
        return _bulk_ids(name, answer, entries)

    def write_stock(self, kind: str, wix_id: str, in_stock: bool) -> StockWrite:
        """The single-item PATCH of the live catalog, only `inStock` (dishes and variations are both Items)."""
        body = {"item": {"id": wix_id, "inStock": in_stock}}
        try:
            self._call("updateItem", "PATCH", f"{self._live}/items/{wix_id}", body)
        except WixApiError as exc:
            if exc.status == 404:
                return StockWrite.GONE
            raise
        return StockWrite.WRITTEN

    def _request(
        self, op: str, kind: str, entries: list[WriteEntry], resolve: Resolve
    ) -> tuple[str, str, str, list[Any]]:
        if op == CREATE and kind == VARIATION:
            return (
                "bulkCreateVariations",
                "variations/create",
                "variations",
                [{"name": e.fields["name"]} for e in entries],
            )
        if op == CREATE and kind == MENU:
            return "bulkCreateMenus", "menus/create", "menus", [menu_to_wire(e.fields, {}, resolve) for e in entries]
        if op == CREATE and kind == SECTION:
            body = [{"menuId": resolve(e.parent[0]), "section": section_to_wire(e.fields, resolve)} for e in entries]
            return "bulkCreateSections", "sections/create", "createSectionRequests", body
        if op == CREATE and kind == DISH:
            body = [
                {
                    "menuId": resolve(e.parent[0]),
                    "sectionId": resolve(e.parent[1]),
                    "dish": item_to_wire(e.fields, resolve),
                }
                for e in entries
            ]
            return "bulkCreateDishes", "dishes/create", "createDishRequests", body
        if op == UPDATE and kind == ITEM:
            body = [{"id": resolve(e.change.key), **item_to_wire(e.fields, resolve)} for e in entries]
            return "bulkUpdateItems", "items/update", "items", body
        if op == UPDATE and kind == SECTION:
            body = [
                {
                    "menuId": resolve(e.parent[0]),
                    "section": {"id": resolve(e.change.key), **section_to_wire(e.fields, resolve)},
                }
                for e in entries
            ]
            return "bulkUpdateSections", "sections/update", "updateSectionsRequests", body
        if op == UPDATE and kind == MENU:
            body = [{"id": resolve(e.change.key), **menu_to_wire(e.fields, e.change.raw, resolve)} for e in entries]
            return "bulkUpdateMenus", "menus/update", "menus", body
        if op in (ARCHIVE, UNARCHIVE) and kind == MENU:
            verb = "archive" if op == ARCHIVE else "unarchive"
            name = "bulkArchiveMenus" if op == ARCHIVE else "bulkUnarchiveMenus"
            return name, f"menus/{verb}", "ids", [resolve(e.change.key) for e in entries]
        raise ValueError(f"no Catalogs v3 call for {op} {kind}")


def _bulk_ids(name: str, answer: dict[str, Any], entries: list[WriteEntry]) -> list[str]:
    ids: list[str | None] = [None] * len(entries)
    failures = []
    for result in answer.get("results", []):
        meta = result.get("entityMetadata") or {}
        index = meta.get("originalIndex")
        if not isinstance(index, int) or not 0 <= index < len(entries):
            continue
        if meta.get("success"):
            ids[index] = meta.get("id")
        else:
            error = meta.get("error") or {}
            failures.append((entries[index].change.name, str(error.get("code")), str(error.get("description"))))
    missing = [e.change.name for e, i in zip(entries, ids, strict=True) if i is None]
    if failures or missing:
        raise RejectedEntities(name, failures or [(n, "NO_RESULT", "no result for this entry") for n in missing])
    return [i for i in ids if i is not None]


# --- wire mapping (Catalogs v3 REST shapes) ------------------------------------------------------


def _visibility(fields: dict[str, Any], raw: dict[str, Any]) -> dict[str, Any] | None:
    # Wix keeps visible, fulfillment types and availability in one object: start from the live one
    # so parts posbridge does not manage (platforms, special hours) survive an update.
    parts = ("visible", "fulfillmentTypes", "availability")
    if not any(p in fields for p in parts):
        return None
    vc = copy.deepcopy(raw.get("visibilityCriteria") or {})
    if "visible" in fields:
        vc["visible"] = bool(fields["visible"])
    if "fulfillmentTypes" in fields:
        if fields["fulfillmentTypes"]:
            vc["fulfillmentTypes"] = list(fields["fulfillmentTypes"])
        else:
            vc.pop("fulfillmentTypes", None)
    if "availability" in fields:
        special = (vc.get("availability") or {}).get("specialHourPeriods")
        periods = fields["availability"]
        if periods:
            vc["availability"] = {"periods": [_period_wire(p) for p in periods]}
            if special:
                vc["availability"]["specialHourPeriods"] = special
        elif special:
            vc["availability"] = {"specialHourPeriods": special}
        else:
            vc.pop("availability", None)
    return vc


def _period_wire(p: Period) -> dict[str, str]:
    return {"openDay": p.open_day, "openTime": p.open_time, "closeDay": p.close_day, "closeTime": p.close_time}


def menu_to_wire(fields: dict[str, Any], raw: dict[str, Any], resolve: Resolve) -> dict[str, Any]:
    """A Menu body (only the fields given)."""
    out: dict[str, Any] = {k: fields[k] for k in ("name", "description") if k in fields}
    vc = _visibility(fields, raw)
    if vc is not None:
        out["visibilityCriteria"] = vc
    if "sections" in fields:
        out["sectionIds"] = {"values": [resolve(k) for k in fields["sections"]]}
    return out


def section_to_wire(fields: dict[str, Any], resolve: Resolve) -> dict[str, Any]:
    """A Section body (only the fields given)."""
    out: dict[str, Any] = {k: fields[k] for k in ("name", "description") if k in fields}
    if "items" in fields:
        out["itemIds"] = {"values": [resolve(k) for k in fields["items"]]}
    return out


def item_to_wire(fields: dict[str, Any], resolve: Resolve) -> dict[str, Any]:
    """An Item body (dish or variation; only the fields given, None clears a field)."""
    out: dict[str, Any] = {}
    for name, value in fields.items():
        if name in ("name", "description", "inStock", "acceptSpecialRequest", "imageUrl"):
            out[name] = value
        elif name == "price":
            out["price"] = {"value": money_text(value)} if value is not None else None
        elif name == "taxRate":
            out["taxRate"] = rate_text(value) if value is not None else None
        elif name == "labels":
            out["labels"] = {"values": list(value)}
        elif name == "options":
            out["dishOptions"] = {"values": [_option_wire(o, resolve) for o in value]}
    return out


def _option_wire(option: Option, resolve: Resolve) -> dict[str, Any]:
    choices = [{"itemId": resolve(k), "price": {"value": money_text(p)}} for k, p in option.choices]
    body: dict[str, Any] = {"availableChoices": choices}
    if option.type == "SELECTION" and option.defaults:
        body["defaultChoice"] = resolve(option.defaults[0])
    elif option.type == "EXTRAS":
        body["defaultChoices"] = [resolve(k) for k in option.defaults]
        body["minChoices"] = option.min_choices
        body["maxChoices"] = option.max_choices
    return {"name": option.name, OPTION_KEYS[option.type]: body}


def _periods(vc: dict[str, Any]) -> tuple[Period, ...] | None:
    raw = (vc.get("availability") or {}).get("periods") or []
    if not raw:
        return None
    return tuple(
        Period(p.get("openDay", ""), p.get("openTime", ""), p.get("closeDay", ""), p.get("closeTime", "")) for p in raw
    )


def menu_from_wire(raw: dict[str, Any]) -> Entity:
    """A live Menu in the neutral model."""
    vc = raw.get("visibilityCriteria") or {}
    fields = {
        "name": raw.get("name") or "",
        "description": raw.get("description") or "",
        "visible": vc.get("visible", True) is not False,
        "availability": _periods(vc),
        "fulfillmentTypes": tuple(sorted(vc.get("fulfillmentTypes") or ())),
        "sections": tuple((raw.get("sectionIds") or {}).get("values") or ()),
    }
    return Entity(MENU, raw["id"], fields, archived=bool(raw.get("archived")), raw=raw)


def section_from_wire(raw: dict[str, Any]) -> Entity:
    """A live Section in the neutral model."""
    fields = {
        "name": raw.get("name") or "",
        "description": raw.get("description") or "",
        "items": tuple((raw.get("itemIds") or {}).get("values") or ()),
    }
    return Entity(SECTION, raw["id"], fields, archived=bool(raw.get("archived")), parent=raw.get("menuId"), raw=raw)


def _decimal(value: Any) -> Decimal | None:
    return None if value in (None, "") else Decimal(str(value))


def _option_from_wire(raw: dict[str, Any]) -> Option:
    kind = next((k for k in ("selection", "extras", "deselection") if raw.get(k) is not None), "extras")
    body = raw.get(kind) or {}
    choices = tuple(
        (c.get("itemId", ""), _decimal((c.get("price") or {}).get("value")) or Decimal(0))
        for c in body.get("availableChoices") or ()
    )
    if kind == "selection":
        default = body.get("defaultChoice")
        return Option(raw.get("name") or "", "SELECTION", choices, (default,) if default else ())
    if kind == "extras":
        return Option(
            raw.get("name") or "",
            "EXTRAS",
            choices,
            tuple(body.get("defaultChoices") or ()),
            body.get("minChoices"),
            body.get("maxChoices"),
        )
    return Option(raw.get("name") or "", "DESELECTION", choices)


def item_from_wire(raw: dict[str, Any]) -> Entity:
    """A live Item (dish or variation) in the neutral model."""
    kind = VARIATION if raw.get("type") == "VARIATION" else DISH
    price = _decimal((raw.get("price") or {}).get("value"))
    fields: dict[str, Any]
    if kind == VARIATION:
        fields = {"name": raw.get("name") or "", "price": price, "inStock": raw.get("inStock", True) is not False}
    else:
        fields = {
            "name": raw.get("name") or "",
            "description": raw.get("description") or "",
            "price": price,
            "taxRate": _decimal(raw.get("taxRate")),
            "labels": tuple((raw.get("labels") or {}).get("values") or ()),
            "imageUrl": raw.get("imageUrl") or None,
            "inStock": raw.get("inStock", True) is not False,
            "acceptSpecialRequest": raw.get("acceptSpecialRequest", True) is not False,
            "options": tuple(_option_from_wire(o) for o in (raw.get("dishOptions") or {}).get("values") or ()),
        }
    return Entity(kind, raw["id"], fields, archived=bool(raw.get("archived")), raw=raw)
