"""Menu events `wix.restaurants.menus.v1.<entity>_created|_updated|_deleted` as Wix's domain events.

The webhook's inner `data` is a DomainEvent {id, entityFqdn, slug, entityId, createdEvent{entity} |
updatedEvent{currentEntity} | deletedEvent{}, eventTime, triggeredByAnonymizeRequest,
entityEventSequence}; its `identity` says who wrote: the provider's app (`APP`, `appId`) for API
calls, the site owner (`WIX_USER`) for edits made in Wix's dashboard — how a provider tells its own
writes from a merchant's.
"""

from __future__ import annotations

from fastapi import Request

from wixsim.clock import new_id
from wixsim.newgen.model import Entity
from wixsim.newgen.writes import MenuEvent
from wixsim.runtime import Sim
from wixsim.webhooks import event_payload

FQDN = {
    "menu": "wix.restaurants.menus.v1.menu",
    "section": "wix.restaurants.menus.v1.section",
    "item": "wix.restaurants.menus.v1.item",
    "variant": "wix.restaurants.menus.v1.item_variant",
    "modifier": "wix.restaurants.menus.v1.item_modifier",
    "modifierGroup": "wix.restaurants.menus.v1.item_modifier_group",
    "label": "wix.restaurants.menus.v1.item_label",
}


def event_type(event: MenuEvent) -> str:
    """E.g. wix.restaurants.menus.v1.item_modifier_group_updated."""
    return f"{FQDN[event.kind]}_{event.slug}"


def domain_event(event: MenuEvent) -> Entity:
    """The DomainEvent body Wix's SDK `webhooks.process` unpacks into {entity, metadata}."""
    body: Entity = {
        "id": new_id(),
        "entityFqdn": FQDN[event.kind],
        "slug": event.slug,
        "entityId": event.entity_id,
        "eventTime": event.event_time,
        "triggeredByAnonymizeRequest": False,
        "entityEventSequence": str(event.sequence),
    }
    if event.slug == "created":
        body["createdEvent"] = {"entity": event.entity}
    elif event.slug == "updated":
        body["updatedEvent"] = {"currentEntity": event.entity}
    else:
        body["deletedEvent"] = {}
    return body


def send_all(sim: Sim, instance_id: str, events: list[MenuEvent]) -> None:
    """Queue the events for delivery to the site's webhook URL (in order)."""
    for event in events:
        payload = event_payload(instance_id, event_type(event), domain_event(event), event.identity)
        sim.menu_outbox.enqueue(sim.store, instance_id, event_type(event), payload)


def dispatch(request: Request, instance_id: str, events: list[MenuEvent]) -> None:
    """Send the events of an API write (queued now; delivered on the outbox's tasks, so the caller never waits)."""
    send_all(request.app.state.sim, instance_id, events)
