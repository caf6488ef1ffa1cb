"""Wix's webhooks: an RS256 JWT whose `data` is layered JSON strings (app events and domain events alike)."""

from __future__ import annotations

import json
from typing import Any

from wixsim import spi_caller
from wixsim.clock import rfc3339
from wixsim.signer import sign
from wixsim.state import Site, Store

EVENT_TYPES = ("AppInstalled", "AppRemoved")


def event_payload(instance_id: str, event_type: str, data: dict[str, Any], identity: dict[str, Any]) -> dict:
    """The decoded JWT payload: {"data": "<JSON of {eventType, instanceId, data: str, identity: str}>"}."""
    inner = {
        "eventType": event_type,
        "instanceId": instance_id,
        "data": json.dumps(data),
        "identity": json.dumps(identity),
    }
    return {"data": json.dumps(inner)}


def webhook_payload(app_id: str, site: Site, event_type: str, data: dict[str, Any] | None = None) -> dict:
    """The payload of an app event; its identity is the site's owner."""
    if data is None:
        data = {"appId": app_id, "originInstanceId": ""} if event_type == "AppInstalled" else {}
    return event_payload(site.instance_id, event_type, data, spi_caller.owner_identity(site))


async def deliver(store: Store, target: str, payload: dict[str, Any], variant: str = "valid") -> dict[str, Any]:
    """Sign a payload and POST it as text/plain; the provider's answer with the JWT sent."""
    app = store.data.app
    token = sign(payload, app.private_key_pem, app_id=None, variant=variant, with_iss=False)
    result = await spi_caller.post(
        target, token.encode(), {"content-type": "text/plain"}, store.data.settings.spi_timeout_seconds
    )
    result.update({"variant": variant, "jwt": token, "payload": payload})
    return result


def apply_event(store: Store, site: Site, event_type: str) -> None:
    """What the event means on Wix's side: install or uninstall (uninstall revokes tokens)."""
    if event_type == "AppRemoved":
        site.installed = False
        site.removed_date = rfc3339()
        for token in [t for t, rec in store.data.tokens.items() if rec.instance_id == site.instance_id]:
            del store.data.tokens[token]
    elif event_type == "AppInstalled":
        site.installed = True
        site.removed_date = None
        site.installed_date = rfc3339()


async def send(
    store: Store,
    site: Site,
    event_type: str,
    *,
    url: str | None = None,
    variant: str = "valid",
    data: dict[str, Any] | None = None,
    apply: bool = True,
) -> dict[str, Any]:
    """Sign and POST one webhook to the site's webhook URL; report the provider's answer."""
    if event_type not in EVENT_TYPES:
        raise ValueError(f"unknown eventType {event_type!r}; one of {', '.join(EVENT_TYPES)}")
    target = url or site.webhook_url or store.data.settings.default_webhook_url
    if not target:
        raise ValueError("no webhook URL: set it per call, per site, or with --webhook-url")
    payload = webhook_payload(store.data.app.app_id, site, event_type, data)
    if apply:
        apply_event(store, site, event_type)
    result = await deliver(store, target, payload, variant)
    result["eventType"] = event_type
    return result
