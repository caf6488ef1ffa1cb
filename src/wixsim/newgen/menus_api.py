"""The Menus API (menus, sections, items, variants, modifiers, modifier groups, labels) as Wix's SDK calls it.

One router per entity kind, built from a table of what differs between the seven services (paths, bulk
result keys, list response keys, limits); app.py mounts each under every prefix the SDK maps.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Depends, Request

from wixsim import bulk
from wixsim.entities import EntryError
from wixsim.errors import WixApiError, WixValidationError, json_body
from wixsim.newgen import events as menu_events
from wixsim.newgen import writes
from wixsim.newgen.access import newgen_site
from wixsim.newgen.model import Entity, NewGenSite
from wixsim.newgen.querying import cursor_query, decode_cursor, matches, page
from wixsim.oauth import Caller, caller, store_of
from wixsim.query import query_bool, query_int, query_list

MAX_BULK = 100
MAX_PAGE = 500


@dataclass(frozen=True)
class Service:
    """What one Menus API service looks like on the wire."""

    kind: str  # body key of one entity, e.g. "modifierGroup"
    path: str  # REST collection, e.g. "modifier-groups"
    sdk: str  # SDK module namespace, prefix of the endpoint names
    own_prefix: str  # the service's own base path, e.g. "/restaurants/item-modifier-group"
    api_prefix: str  # its base path on Wix's /_api gateway
    create_meta: str | None  # bulk-create result key of ItemMetadata (None: no bulk create)
    update_meta: str | None  # bulk-update result key (None: no bulk update)
    bulk_path: str  # REST collection in bulk update/delete paths
    bulk_update_fn: str
    bulk_delete_max: int | None  # None: no bulk delete; 0: no declared maximum
    list_meta: str | None  # list response paging key (None: list has no paging)
    only_visible: bool
    count: bool
    query_default_limit: int
    create_result: str  # entity key inside a bulk create result

    @property
    def plural(self) -> str:
        """Body key of many, e.g. "modifierGroups"."""
        return f"{self.kind}s"

    @property
    def name(self) -> str:
        """Singular in SDK method names, e.g. "ModifierGroup"."""
        return self.kind[0].upper() + self.kind[1:]

    @property
    def ids_param(self) -> str:
        """The list call's id filter, e.g. "modifierGroupIds"."""
        return f"{self.kind}Ids"

    @property
    def prefixes(self) -> tuple[str, ...]:
        """Every base path the SDK maps the service under (all share /restaurants/menus)."""
        return (self.own_prefix, "/restaurants/menus", self.api_prefix)


SERVICES = (
    Service(
        "menu", "menus", "menus", "/restaurants/menus-menu", "/_api/restaurants-menus-menu",
        "menuMetadata", "menuMetadata", "menus", "bulkUpdateMenu", None, "pagingMetadata", True, False, 100, "menu",
    ),
    Service(
        "section", "sections", "sections", "/restaurants/menus-section", "/_api/restaurants-menus-section",
        "itemMetadata", "sectionMetadata", "sections", "bulkUpdateSection", 0, "pagingMetadata", True, False, 100,
        "item",
    ),
    Service(
        "item", "items", "items", "/restaurants/menus-item", "/_api/restaurants-menus-item",
        "itemMetadata", "itemMetadata", "items", "bulkUpdateItem", 0, "pagingMetadata", True, True, 500, "item",
    ),
    Service(
        "variant", "variants", "itemVariants", "/restaurants/item-variants", "/_api/restaurants-menus-item-variant",
        "itemMetadata", "itemMetadata", "variants", "bulkUpdateVariants", 200, "metadata", False, True, 500,
        "variant",
    ),
    Service(
        "modifier", "modifiers", "itemModifiers", "/restaurants/item-modifiers",
        "/_api/restaurants-menus-item-modifier",
        "itemMetadata", "itemMetadata", "modifiers", "bulkUpdateModifiers", 200, "metadata", False, True, 500,
        "modifier",
    ),
    Service(
        "modifierGroup", "modifier-groups", "itemModifierGroups", "/restaurants/item-modifier-group",
        "/_api/restaurants-modifier-group",
        "itemMetadata", "itemMetadata", "modifiers-groups", "bulkUpdateModifierGroups", 200, "metadata", False,
        True, 500, "modifierGroup",
    ),
    Service(
        "label", "labels", "itemLabels", "/restaurants/item-labels", "/_api/restaurants-menus-item-labels",
        None, None, "labels", "", 200, None, False, True, 500, "label",
    ),
)  # fmt: skip


def app_identity(request: Request) -> Entity:
    """Who a call through the API is: the provider's app (Wix's WebhookIdentityType APP)."""
    return {"identityType": "APP", "appId": store_of(request).data.app.app_id}


def site_of(request: Request, who: Caller) -> NewGenSite:
    """The caller's new-generation site (428 when the Restaurants (New) apps are not installed)."""
    return newgen_site(store_of(request), who.instance_id)


def single(op: Callable[[], Any]) -> Any:
    """Run one write; an entry error becomes the HTTP error Wix answers a single call with."""
    try:
        return op()
    except EntryError as err:
        raise http_error(err) from err


def http_error(err: EntryError) -> WixApiError:
    """The status and shape of a per-entity error when it fails a whole (single-entity) call."""
    if err.code == "NOT_FOUND":
        return WixApiError(404, "NOT_FOUND", err.description, err.wire()["data"])
    if err.code == "REVISION_MISMATCH":
        return WixApiError(409, "REVISION_MISMATCH", err.description, err.wire()["data"])
    field = err.field or "body"
    # An entry error's description already names its field; the validation error adds it again.
    return WixValidationError(field, err.description.removeprefix(f"{field}: "))


def _bulk_list(body: dict[str, Any], field: str, most: int = MAX_BULK) -> list[Any]:
    value = body.get(field)
    if not isinstance(value, list) or not 1 <= len(value) <= most:
        raise WixValidationError(field, f"must hold 1 to {most} entries", "SIZE")
    return value


def _return_entity(body: dict[str, Any]) -> bool:
    return body.get("returnEntity") is True


def _bulk(
    entries: list[Any],
    meta_key: str,
    entity_key: str | None,
    op: Callable[[Any], Entity | None],
    return_entity: bool,
) -> dict[str, Any]:
    """Apply op to each entry on its own; ItemMetadata per entry and the totals."""
    return bulk.each(entries, lambda _index, entry: op(entry), meta_key, entity_key if return_entity else None)


def _listing(svc: Service, site: NewGenSite, request: Request, who: Caller) -> dict[str, Any]:
    """GET list: `<kind>Ids`, `paging.limit` (≤ 500), `paging.cursor`, `onlyVisible`."""
    pool = site.menus.pool(svc.kind)
    if svc.list_meta is None:
        return {svc.plural: copy.deepcopy(list(pool.values())[:MAX_PAGE])}
    scope = f"list:{svc.kind}"
    cursor = request.query_params.get("paging.cursor")
    if cursor:
        state = decode_cursor(cursor, who.instance_id, scope)
        ids, visible, offset = state.get("ids"), bool(state.get("v")), state["o"]
        if not isinstance(ids, list):
            raise WixValidationError("paging.cursor", "invalid cursor")
        limit = query_int(request, "paging.limit", state["l"])
    else:
        ids = query_list(request, svc.ids_param)
        if len(ids) > MAX_PAGE:
            raise WixValidationError(svc.ids_param, f"at most {MAX_PAGE} ids", "MAX_SIZE")
        visible = svc.only_visible and query_bool(request, "onlyVisible")
        offset, limit = 0, query_int(request, "paging.limit", MAX_PAGE)
    if not 1 <= limit <= MAX_PAGE:
        raise WixValidationError("paging.limit", f"must be 1 to {MAX_PAGE}", "MAX")
    chosen = [e for e in pool.values() if (not ids or e["id"] in ids) and (not visible or e.get("visible", True))]
    chunk, meta = page(chosen, offset, limit, {"i": who.instance_id, "s": scope, "ids": ids, "v": visible})
    return {svc.plural: copy.deepcopy(chunk), svc.list_meta: meta}


def _query(svc: Service, site: NewGenSite, body: dict[str, Any], who: Caller) -> dict[str, Any]:
    """POST query: {query: {filter, sort, cursorPaging{limit ≤ 500, cursor}}}; after page 1 only the cursor."""
    pool = list(site.menus.pool(svc.kind).values())
    scope = f"query:{svc.kind}"
    chunk, meta = cursor_query(body, pool, who.instance_id, scope, svc.query_default_limit, MAX_PAGE)
    return {svc.plural: copy.deepcopy(chunk), "pagingMetadata": meta}


class _Writes:
    """One API call's writes: the site they change, who makes them, the menu events they raise."""

    def __init__(self, request: Request, who: Caller) -> None:
        self.site = site_of(request, who)
        self.identity = app_identity(request)
        self.events: list[writes.MenuEvent] = []


@contextmanager
def _writing(request: Request, who: Caller) -> Iterator[_Writes]:
    """Collect a call's writes; their events go out only when the call succeeds (a refused call raises none)."""
    w = _Writes(request, who)
    yield w
    menu_events.dispatch(request, who.instance_id, w.events)


def build_router(svc: Service) -> APIRouter:
    """The routes of one service, at its proto paths (/v1/...)."""
    router = APIRouter()
    one, many, bulk = f"/v1/{svc.path}", f"/v1/{svc.path}/{{entity_id}}", f"/v1/bulk/{svc.bulk_path}"

    def name(verb: str, plural: bool = False) -> str:
        return f"{svc.sdk}.{verb}{svc.name}{'s' if plural else ''}"

    def entity_of(body: dict[str, Any]) -> Entity:
        data = body.get(svc.kind)
        if not isinstance(data, dict):
            raise WixValidationError(svc.kind, "Required", "REQUIRED_FIELD")
        return data

    async def create(request: Request, who: Caller = Depends(caller)) -> dict:
        with _writing(request, who) as w:
            data = entity_of(await json_body(request))
            entity = single(lambda: writes.create(w.site, svc.kind, data, w.identity, w.events))
            return {svc.kind: copy.deepcopy(entity)}

    router.add_api_route(one, create, methods=["POST"], name=name("create"))

    if svc.create_meta:
        meta_key = svc.create_meta

        async def bulk_create(request: Request, who: Caller = Depends(caller)) -> dict:
            with _writing(request, who) as w:
                body = await json_body(request)

                def add(entry: Any) -> Entity:
                    return writes.create(w.site, svc.kind, entry, w.identity, w.events)

                return _bulk(_bulk_list(body, svc.plural), meta_key, svc.create_result, add, _return_entity(body))

        # Bulk create uses the collection name; bulk update/delete of groups spell it `modifiers-groups`.
        router.add_api_route(
            f"/v1/bulk/{svc.path}/create", bulk_create, methods=["POST"], name=name("bulkCreate", True)
        )

    async def list_entities(request: Request, who: Caller = Depends(caller)) -> dict:
        return _listing(svc, site_of(request, who), request, who)

    router.add_api_route(one, list_entities, methods=["GET"], name=name("list", True))

    async def query_entities(request: Request, who: Caller = Depends(caller)) -> dict:
        return _query(svc, site_of(request, who), await json_body(request), who)

    router.add_api_route(f"{one}/query", query_entities, methods=["POST"], name=name("query", True))

    if svc.count:

        async def count_entities(request: Request, who: Caller = Depends(caller)) -> dict:
            site = site_of(request, who)
            flt = (await json_body(request)).get("filter")
            return {"count": sum(1 for e in site.menus.pool(svc.kind).values() if matches(e, flt))}

        router.add_api_route(f"{one}/count", count_entities, methods=["POST"], name=name("count", True))

    async def get_entity(entity_id: str, request: Request, who: Caller = Depends(caller)) -> dict:
        site = site_of(request, who)
        return {svc.kind: copy.deepcopy(single(lambda: writes.existing(site, svc.kind, entity_id)))}

    router.add_api_route(many, get_entity, methods=["GET"], name=name("get"))

    async def update_entity(entity_id: str, request: Request, who: Caller = Depends(caller)) -> dict:
        with _writing(request, who) as w:
            body = await json_body(request)
            data = entity_of(body)
            if data.get("id", entity_id) != entity_id:
                raise WixValidationError(f"{svc.kind}.id", "must match the id in the path")
            data = {**data, "id": entity_id}
            entity = single(lambda: writes.update(w.site, svc.kind, data, w.identity, w.events, body.get("mask")))
            return {svc.kind: copy.deepcopy(entity)}

    router.add_api_route(many, update_entity, methods=["PATCH"], name=name("update"))

    if svc.update_meta:
        update_meta = svc.update_meta

        async def bulk_update(request: Request, who: Caller = Depends(caller)) -> dict:
            with _writing(request, who) as w:
                body = await json_body(request)

                def change(entry: Any) -> Entity:
                    if not isinstance(entry, dict) or not isinstance(entry.get(svc.kind), dict):
                        raise EntryError("INVALID_ARGUMENT", f"{svc.plural}[].{svc.kind}: is required", svc.kind)
                    return writes.update(w.site, svc.kind, entry[svc.kind], w.identity, w.events, entry.get("mask"))

                return _bulk(_bulk_list(body, svc.plural), update_meta, svc.kind, change, _return_entity(body))

        router.add_api_route(f"{bulk}/update", bulk_update, methods=["POST"], name=f"{svc.sdk}.{svc.bulk_update_fn}")

    async def delete_entity(entity_id: str, request: Request, who: Caller = Depends(caller)) -> dict:
        with _writing(request, who) as w:
            single(lambda: writes.delete(w.site, svc.kind, entity_id, w.identity, w.events))
            return {}

    router.add_api_route(many, delete_entity, methods=["DELETE"], name=name("delete"))

    if svc.bulk_delete_max is not None:
        most = svc.bulk_delete_max or 10_000

        async def bulk_delete(request: Request, who: Caller = Depends(caller)) -> dict:
            with _writing(request, who) as w:
                ids = query_list(request, "ids")
                if not 1 <= len(ids) <= most:
                    raise WixValidationError("ids", f"must hold 1 to {most} ids", "SIZE")

                def remove(entity_id: Any) -> None:
                    writes.delete(w.site, svc.kind, entity_id, w.identity, w.events)

                return _bulk(ids, "itemMetadata", None, remove, False)

        router.add_api_route(f"{bulk}/delete", bulk_delete, methods=["DELETE"], name=name("bulkDelete", True))

    return router


ROUTERS = [(svc, build_router(svc)) for svc in SERVICES]
