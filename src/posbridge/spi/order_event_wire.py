"""Restaurants Orders v3 events as Wix sends them to `/wix/webhooks`, read into the services' terms at the edge.

The legacy generation's counterpart of `spi/ecom_wire.py`: a verified `wix.restaurants.v3.order_*`
event (its layers unwrapped by `spi/webhooks.open_webhook`) becomes an `order_events.OrderEvent`:
the key it is recorded once by (the domain event's `id`, else the signed body's hash), the Wix
order it is about (`entityId`, else the id of the order the event carries: `createdEvent.entity` or
`actionEvent.body.order`) and the message of that order's latest activity (a cancel's reason as the
merchant wrote it). Nothing here is refused: a part missing, too long or of the wrong JSON type is
read as absent (no usable id: keyed by the token; no order id: recorded and noted), as the service
always answered such events with a 200, so Wix never resends them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from posbridge.services.lifecycle import AppEvent
from posbridge.services.order_events import MAX_ID, MAX_MESSAGE, OrderEvent

EVENT_KEY = "event:"


def parse_event(event: AppEvent) -> OrderEvent:
    """One Orders v3 event (`order_events.is_order_event`) in the services' terms."""
    data = event.data
    return OrderEvent(
        event_id=_event_key(data.get("id"), event.event_id),
        event_type=event.event_type,
        instance_id=event.instance_id,
        at=event.at,
        wix_order_id=_order_id(data),
        message=_latest_message(_action_order(data)),
        received={"data": data, "identity": event.identity},
    )


def _event_key(domain_id: Any, token_id: str) -> str:
    """The domain event's id when it is usable as a key (Wix's dedupe key), else the token's hash."""
    if isinstance(domain_id, str) and 0 < len(domain_id) <= MAX_ID - len(EVENT_KEY):
        return EVENT_KEY + domain_id
    return token_id


def _order_id(data: Mapping[str, Any]) -> str | None:
    """The order the event is about (`entityId`, else the order in its body)."""
    value = data.get("entityId")
    if not isinstance(value, str) or not value:
        value = (_order(data) or {}).get("id")
    return value if isinstance(value, str) and 0 < len(value) <= MAX_ID else None


def _order(data: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """The order as Wix holds it after the change, when the event carries it."""
    created = data.get("createdEvent")
    if isinstance(created, dict) and isinstance(created.get("entity"), dict):
        entity: Mapping[str, Any] = created["entity"]
        return entity
    return _action_order(data)


def _action_order(data: Mapping[str, Any]) -> Mapping[str, Any] | None:
    action = data.get("actionEvent")
    body = action.get("body") if isinstance(action, dict) else None
    order = body.get("order") if isinstance(body, dict) else None
    return order if isinstance(order, dict) else None


def _latest_message(order: Mapping[str, Any] | None) -> str | None:
    """The message of the order's latest activity, when it wrote one."""
    activities = order.get("activities") if order is not None else None
    if isinstance(activities, list) and activities and isinstance(activities[-1], dict):
        text = activities[-1].get("message")
        if isinstance(text, str) and text.strip():
            return text.strip()[:MAX_MESSAGE]
    return None
