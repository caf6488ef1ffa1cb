"""Wix's app webhooks (AppInstalled, AppRemoved): an RS256 JWT whose `data` is layered JSON strings."""

from __future__ import annotations

import json
from typing import Any

from wixsim import spi_caller
from wixsim.clock import rfc3339
from wixsim.signer import sign
from wixsim.state import Site, Store

EVENT_TYPES = ("AppInstalled", "AppRemoved")


def webhook_payload(app_id: str, site: Site, event_type: str, data: dict[str, Any] | None = None) -> dict:
    """The decoded JWT payload: {"data": "<JSON of {eventType, instanceId, data: str, identity: str}>"}."""
    if data is None:
        data = {"appId": app_id, "originInstanceId": ""} if event_type == "AppInstalled" else {}
    identity = {"identityType": "WIX_USER", "wixUserId": site.owner_user_id}
    inner = {
        "eventType": event_type,
        "instanceId": site.instance_id,
        "data": json.dumps(data),
        "identity": json.dumps(identity),
    }
    return {"data": json.dumps(inner)}


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
    app = store.data.app
    payload = webhook_payload(app.app_id, site, event_type, data)
    token = sign(payload, app.private_key_pem, app_id=None, variant=variant, with_iss=False)
    if apply:
        apply_event(store, site, event_type)
    result = await spi_caller.post(
        target, token.encode(), {"content-type": "text/plain"}, store.data.settings.spi_timeout_seconds
    )
    result.update({"eventType": event_type, "variant": variant, "jwt": token, "payload": payload})
    return result
