"""Restaurants Orders v3 webhooks: `wix.restaurants.v3.order_<slug>` when an order's status changes at Wix.

Shapes from Wix's orders SDK (`@wix/auto_sdk_restaurants_orders` 1.0.60, its event definitions;
wix-apis.md §5): the inner `data` is a domain event `{id, entityFqdn: "wix.restaurants.v3.order",
slug, entityId, eventTime, triggeredByAnonymizeRequest, ...}` whose body is `createdEvent: {entity:
<Order>}` for `order_created` and `actionEvent: {body: {order: <Order>}}` for `order_new_order`,
`order_accepted`, `order_canceled` and `order_fulfilled`. The identity says who changed the order:
the provider's app (a call of the Orders API) or the site owner (Wix's dashboard, the control API).
Events leave through the simulator's order outbox, one instance's strictly in the order they were made.
"""

from __future__ import annotations

import copy
from typing import Any

from wixsim.clock import new_id, rfc3339
from wixsim.runtime import Sim
from wixsim.state import OrderRecord
from wixsim.webhooks import event_payload

FQDN = "wix.restaurants.v3.order"
# The event a move to each status raises (PENDING is Wix's own and raises none).
SLUG_OF_STATUS = {"NEW": "new_order", "ACCEPTED": "accepted", "CANCELED": "canceled", "FULFILLED": "fulfilled"}
EVENT_TYPES = tuple(f"{FQDN}_{slug}" for slug in ("created", *SLUG_OF_STATUS.values()))


def app_identity(app_id: str) -> dict[str, Any]:
    """A change made through Wix's APIs by the provider's app."""
    return {"identityType": "APP", "appId": app_id}


def domain_event(rec: OrderRecord, slug: str) -> dict[str, Any]:
    """The domain event of `slug` about the order as it is now."""
    order = copy.deepcopy(rec.order)
    body = {"createdEvent": {"entity": order}} if slug == "created" else {"actionEvent": {"body": {"order": order}}}
    return {
        "id": new_id(),
        "entityFqdn": FQDN,
        "slug": slug,
        "entityId": rec.id,
        "eventTime": rfc3339(),
        "triggeredByAnonymizeRequest": False,
        **body,
    }


def emit(sim: Sim, rec: OrderRecord, slug: str, identity: dict[str, Any]) -> dict[str, Any]:
    """Queue the event for the site's webhook URL; its outbox entry."""
    event_type = f"{FQDN}_{slug}"
    payload = event_payload(rec.instance_id, event_type, domain_event(rec, slug), identity)
    return sim.order_outbox.enqueue(sim.store, rec.instance_id, event_type, payload)


def emit_status(sim: Sim, rec: OrderRecord, identity: dict[str, Any]) -> dict[str, Any] | None:
    """Queue the event the order's current status raises (none for PENDING)."""
    slug = SLUG_OF_STATUS.get(str(rec.order.get("status")))
    return emit(sim, rec, slug, identity) if slug else None
