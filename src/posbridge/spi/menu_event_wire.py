"""Menus API entity events as Wix sends them to `/wix/webhooks`, read into the services' terms at the edge.

A verified `wix.restaurants.menus.v1.<entity>_<action>` event (its layers unwrapped by
`spi/webhooks.open_webhook`) becomes a `menu_events.MenuEvent`: the key it is recorded once by (the
domain event's `id`, Wix's dedupe key, else the signed body's hash), the entity, its order among the
entity's events (`entityEventSequence`), when it happened (`eventTime`, else when it was signed),
which app wrote it, and a snapshot of the entity: the fields a merchant may change, flat and
comparable (wire names, amounts in money's one written form).

The entity is read here and not by the Menus API target (`sync/menus_api.py`): it is what the
webhook carries, not what a sync lists from Wix, and the snapshots the service compares it with are
posbridge's own records of earlier events. Nothing here is refused: an event naming no usable entity
is not one posbridge understands (`None`, which the service answers as not ours), and a field
missing or of the wrong JSON type is left out of the snapshot.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from posbridge.services.lifecycle import AppEvent
from posbridge.services.menu_events import KINDS, MenuEvent, entity_and_action, snapshot_amount

MAX_ENTITY_ID = 128  # the subject column's length
MAX_DOMAIN_ID = 100  # its key, "menus:<id>", fits the event id column


def parse_event(event: AppEvent) -> MenuEvent | None:
    """One Menus API event (`menu_events.is_menu_event`) in the services' terms; None: no entity to read."""
    named = entity_and_action(event.event_type)
    data = event.data
    entity_id = data.get("entityId")
    if named is None or not isinstance(entity_id, str) or not 0 < len(entity_id) <= MAX_ENTITY_ID:
        return None
    domain_id = data.get("id")
    key = f"menus:{domain_id}" if isinstance(domain_id, str) and 0 < len(domain_id) <= MAX_DOMAIN_ID else event.event_id
    try:
        sequence: int | None = int(str(data.get("entityEventSequence")))
    except ValueError:
        sequence = None
    entity, action = named
    body = data.get("createdEvent") if action == "created" else data.get("updatedEvent")
    raw = None
    if isinstance(body, dict):
        raw = body.get("entity") if action == "created" else body.get("currentEntity")
    identity = event.identity
    writer = identity.get("appId") if identity.get("identityType") == "APP" else None
    return MenuEvent(
        key=key,
        event_type=event.event_type,
        instance_id=event.instance_id,
        entity=entity,
        kind=KINDS[entity],
        action=action,
        entity_id=entity_id,
        sequence=sequence,
        fields=snapshot(raw),
        at=_event_time(data.get("eventTime"), event.at),
        writer_app_id=writer if isinstance(writer, str) else None,
        identity=identity,
    )


def _event_time(raw: Any, signed: datetime) -> datetime:
    if isinstance(raw, str):
        try:
            moment = datetime.fromisoformat(raw.replace("Z", "+00:00"))
        except ValueError:
            return signed
        if moment.tzinfo is not None:
            return moment
    return signed


def snapshot(raw: Any) -> dict[str, Any]:
    """The fields of a Menus API entity a merchant may change, flat and comparable (wire names)."""
    if isinstance(raw, str):  # the SDK's EntityUpdatedEvent types the entity as a JSON string
        try:
            raw = json.loads(raw)
        except ValueError:
            return {}
    if not isinstance(raw, dict):
        return {}
    out: dict[str, Any] = {}
    for name in ("name", "description", "visible", "featured", "inStock"):
        if name in raw:
            out[name] = raw[name]
    price = _obj(raw.get("priceInfo")).get("price")
    if price is not None:
        out["price"] = snapshot_amount(price)
    variants = _obj(raw.get("priceVariants")).get("variants")
    if isinstance(variants, list):
        out["priceVariants"] = [
            [
                str(v.get("variantId") or ""),
                snapshot_amount(_obj(v.get("priceInfo")).get("price") or v.get("price")),
            ]
            for v in variants
            if isinstance(v, dict)
        ]
    settings = raw.get("orderSettings")
    if isinstance(settings, dict):
        for name in ("inStock", "acceptSpecialRequests"):
            if name in settings:
                out[name] = settings[name]
    for name, key in (("labels", "id"), ("modifierGroups", "id")):
        if isinstance(raw.get(name), list):
            out[name] = [str(x.get(key) or "") for x in raw[name] if isinstance(x, dict)]
    for name in ("sectionIds", "itemIds"):
        if isinstance(raw.get(name), list):
            out[name] = [str(x) for x in raw[name]]
    rule = raw.get("rule")
    if isinstance(rule, dict):
        out["rule"] = {k: rule[k] for k in ("required", "minSelections", "maxSelections") if k in rule}
    if isinstance(raw.get("modifiers"), list):  # a modifier group's modifiers, its charges, its defaults
        modifiers = [m for m in raw["modifiers"] if isinstance(m, dict)]
        out["modifiers"] = [str(m.get("id") or "") for m in modifiers]
        out["additionalCharges"] = [
            snapshot_amount(_obj(m.get("additionalChargeInfo")).get("additionalCharge") or "0") for m in modifiers
        ]
        out["preSelected"] = [str(m.get("id") or "") for m in modifiers if m.get("preSelected")]
    if isinstance(raw.get("image"), dict):
        out["image"] = str(raw["image"].get("id") or raw["image"].get("url") or "")
    return out


def _obj(value: Any) -> dict[str, Any]:
    """A JSON object of the entity, or an empty one where Wix sent another type (left out, never a 500)."""
    return value if isinstance(value, dict) else {}
