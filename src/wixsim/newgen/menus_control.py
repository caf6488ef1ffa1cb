"""Control API for new-generation menus: play the merchant editing menus and operations in Wix's dashboard.

A merchant's write goes through the same rules as the API (validation, derived locations, revision + 1)
and emits the same events, but its identity is the site owner (`WIX_USER`), not the provider's app.
"""

from __future__ import annotations

import copy
import json
from typing import Any

from fastapi import FastAPI, HTTPException

from wixsim.entities import EntryError
from wixsim.newgen import business_api, writes
from wixsim.newgen.access import newgen_site
from wixsim.newgen.events import event_type, send_all
from wixsim.newgen.menus_api import http_error
from wixsim.newgen.model import ENTITY_KINDS, PLURAL, Entity
from wixsim.runtime import Sim
from wixsim.signer import VARIANTS
from wixsim.spi_caller import owner_identity
from wixsim.webhooks import deliver

KIND_NAMES = {
    **{kind: kind for kind in ENTITY_KINDS},
    **{plural: kind for kind, plural in PLURAL.items()},
    "modifier-groups": "modifierGroup",
}


def _kind(name: str) -> str:
    if name not in KIND_NAMES:
        raise HTTPException(404, f"unknown entity kind {name!r}; one of {', '.join(sorted(KIND_NAMES))}")
    return KIND_NAMES[name]


def register(api: FastAPI, sim: Sim) -> None:
    """Add the merchant's menu routes and the menu event log to the /_sim control app."""

    def merchant_write(instance_id: str, op: Any, as_app: str | None = None) -> dict[str, Any]:
        site = sim.store.site(instance_id)
        state = newgen_site(sim.store, instance_id)
        events: list[writes.MenuEvent] = []
        # Another app installed on the site (not the provider's) writes with its own identity.
        who = {"identityType": "APP", "appId": as_app} if as_app else owner_identity(site)
        try:
            entity = op(state, who, events)
        except EntryError as err:
            raise http_error(err) from err
        send_all(sim, instance_id, events)
        return {"entity": copy.deepcopy(entity), "events": [event_type(e) for e in events]}

    @api.post("/sites/{instance_id}/menus/{kind}", status_code=201, summary="The merchant creates a menu entity")
    async def merchant_create(instance_id: str, kind: str, fields: dict[str, Any]) -> dict:
        entity_kind = _kind(kind)
        return merchant_write(
            instance_id, lambda state, who, events: writes.create(state, entity_kind, fields, who, events)
        )

    @api.patch(
        "/sites/{instance_id}/menus/{kind}/{entity_id}",
        summary="The merchant (or, with asApp, another installed app) edits a menu entity",
    )
    async def merchant_update(
        instance_id: str, kind: str, entity_id: str, fields: dict[str, Any], asApp: str | None = None
    ) -> dict:
        entity_kind = _kind(kind)

        def edit(state: Any, who: Entity, events: list[writes.MenuEvent]) -> Entity:
            # The dashboard always edits the version it shows, i.e. the current one.
            current = writes.existing(state, entity_kind, entity_id)
            data = {**fields, "id": entity_id, "revision": current["revision"]}
            return writes.update(state, entity_kind, data, who, events)

        return merchant_write(instance_id, edit, asApp)

    @api.delete("/sites/{instance_id}/menus/{kind}/{entity_id}", summary="The merchant deletes a menu entity")
    async def merchant_delete(instance_id: str, kind: str, entity_id: str) -> dict:
        entity_kind = _kind(kind)

        def remove(state: Any, who: Entity, events: list[writes.MenuEvent]) -> None:
            writes.delete(state, entity_kind, entity_id, who, events)

        return merchant_write(instance_id, remove)

    @api.patch("/sites/{instance_id}/operations/{operation_id}", summary="The merchant pauses/enables ordering")
    async def merchant_operation(instance_id: str, operation_id: str, fields: dict[str, Any]) -> dict:
        site = sim.store.site(instance_id)
        state = newgen_site(sim.store, instance_id)
        current = state.operations.get(operation_id)
        if current is None:
            raise HTTPException(404, "operation not found")
        patch = business_api.operation_patch(current, fields)
        updated = business_api.apply_operation_update(sim, state, current, patch, owner_identity(site))
        return {"entity": copy.deepcopy(updated), "events": ["wix.restaurants.operations.v1.operation_updated"]}

    @api.get("/menu-events", summary="Menu and operation webhooks sent (oldest first), with delivery results")
    async def menu_events(instanceId: str | None = None, eventType: str | None = None) -> dict:
        return {"events": copy.deepcopy(sim.menu_outbox.query(instanceId, eventType))}

    @api.post(
        "/menu-events/{seq}/redeliver",
        summary="Send a logged menu webhook again (Wix's retries), optionally signed badly or naming another instance",
    )
    async def redeliver(seq: int, body: dict[str, Any] | None = None) -> dict:
        entry = next((e for e in sim.menu_outbox.log if e["seq"] == seq), None)
        if entry is None:
            raise HTTPException(404, "event not found")
        opts = body or {}
        variant = str(opts.get("variant") or "valid")
        if variant not in VARIANTS:
            raise HTTPException(400, f"unknown variant {variant!r}; one of {', '.join(VARIANTS)}")
        payload = copy.deepcopy(entry["payload"])
        if opts.get("instanceId"):
            inner = json.loads(payload["data"])
            inner["instanceId"] = str(opts["instanceId"])
            payload["data"] = json.dumps(inner)
        if not entry["url"]:
            raise HTTPException(409, "the event had no webhook URL")
        result = await deliver(sim.store, entry["url"], payload, variant)
        return {"status": result["status"], "error": result["error"], "response": result["body"]}

    @api.post("/menu-events/drain", summary="Wait until every queued menu/operation webhook was delivered or failed")
    async def drain() -> dict:
        finished = await sim.menu_outbox.drain()
        return {"finished": finished, "events": copy.deepcopy(sim.menu_outbox.query())}
