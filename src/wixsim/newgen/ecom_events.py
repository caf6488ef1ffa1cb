"""eCom webhooks (wix.ecom.v1.order_*, fulfillments_updated) in the envelope Wix's `webhooks.process` reads.

The JWT payload is `{"data": "<JSON string>"}`; that string is `{eventType, instanceId, data, identity}`
where `data` is the JSON string of a domain event (`id, entityFqdn, slug, entityId, eventTime,
entityEventSequence` plus one of createdEvent/updatedEvent/actionEvent). Events leave through an
outbox, one at a time in the order they happened, so a provider never sees `approved` before `created`.
"""

from __future__ import annotations

import asyncio
import copy
import json
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from wixsim import spi_caller
from wixsim.clock import new_id, rfc3339
from wixsim.newgen.ecom_state import EcomOrderRecord, Entity
from wixsim.outbox import InFlight
from wixsim.signer import sign
from wixsim.state import Store

ORDER_FQDN = "wix.ecom.v1.order"
FULFILLMENTS_FQDN = "wix.ecom.v1.fulfillments"
EVENT_TYPES = (
    "wix.ecom.v1.order_created",
    "wix.ecom.v1.order_approved",
    "wix.ecom.v1.order_canceled",
    "wix.ecom.v1.order_updated",
    "wix.ecom.v1.order_payment_status_updated",
    "wix.ecom.v1.order_fulfilled",
    "wix.ecom.v1.fulfillments_updated",
)
DELIVERY_LOG_CAPACITY = 2000


def app_identity(app_id: str) -> Entity:
    """The provider's app (a call through the Wix APIs)."""
    return {"identityType": "APP", "appId": app_id}


def owner_identity(owner_user_id: str) -> Entity:
    """The site owner (an action in Wix's dashboard)."""
    return {"identityType": "WIX_USER", "wixUserId": owner_user_id}


def domain_event(rec: EcomOrderRecord, fqdn: str, slug: str, body: Entity) -> Entity:
    """A domain event about the order (or its fulfillments); `body` is {createdEvent|updatedEvent|actionEvent}."""
    rec.event_sequence += 1
    return {
        "id": new_id(),
        "entityFqdn": fqdn,
        "slug": slug,
        "entityId": rec.id,
        "eventTime": rfc3339(),
        "triggeredByAnonymizeRequest": False,
        "entityEventSequence": str(rec.event_sequence),
        **body,
    }


def order_created(rec: EcomOrderRecord) -> tuple[str, Entity]:
    """order_created: a created event whose entity is the order."""
    return "wix.ecom.v1.order_created", domain_event(
        rec, ORDER_FQDN, "created", {"createdEvent": {"entity": copy.deepcopy(rec.order)}}
    )


def order_updated(rec: EcomOrderRecord) -> tuple[str, Entity]:
    """order_updated: an updated event whose currentEntity is the order."""
    return "wix.ecom.v1.order_updated", domain_event(
        rec, ORDER_FQDN, "updated", {"updatedEvent": {"currentEntity": copy.deepcopy(rec.order)}}
    )


def order_action(rec: EcomOrderRecord, slug: str, extra: Entity | None = None) -> tuple[str, Entity]:
    """An action event (approved, canceled, payment_status_updated, fulfilled): body {order, ...extra}."""
    body = {"order": copy.deepcopy(rec.order), **(extra or {})}
    return f"wix.ecom.v1.order_{slug}", domain_event(rec, ORDER_FQDN, slug, {"actionEvent": {"body": body}})


def fulfillments_updated(rec: EcomOrderRecord) -> tuple[str, Entity]:
    """fulfillments_updated: an updated event whose currentEntity is {orderId, fulfillments}."""
    entity = {"orderId": rec.id, "fulfillments": copy.deepcopy(rec.fulfillments)}
    return "wix.ecom.v1.fulfillments_updated", domain_event(
        rec, FULFILLMENTS_FQDN, "updated", {"updatedEvent": {"currentEntity": entity}}
    )


def webhook_jwt(store: Store, instance_id: str, event_type: str, event: Entity, identity: Entity) -> str:
    """The signed body: data, event data and identity are JSON strings, as Wix layers them."""
    inner = {
        "eventType": event_type,
        "instanceId": instance_id,
        "data": json.dumps(event),
        "identity": json.dumps(identity),
    }
    app = store.data.app
    return sign({"data": json.dumps(inner)}, app.private_key_pem, app_id=None, with_iss=False)


def webhook_url(store: Store, instance_id: str) -> str | None:
    """Where the site's webhooks go: its own URL, else the emulator's default."""
    site = store.data.sites.get(instance_id)
    return (site.webhook_url if site else None) or store.data.settings.default_webhook_url


@dataclass
class Pending:
    """One event waiting in the outbox."""

    instance_id: str
    order_id: str
    event_type: str
    event: Entity
    identity: Entity
    url: str | None
    token: str | None = None  # signed at the first delivery; a redelivery resends the same body


@dataclass
class EventOutbox:
    """Delivers events in the order they were raised, one at a time, in the background."""

    pending: deque[Pending] = field(default_factory=deque)
    delivered: deque[Entity] = field(default_factory=lambda: deque(maxlen=DELIVERY_LOG_CAPACITY))
    # What was sent, by event id, so Wix's retries can send it again (bounded like the log).
    sent: dict[str, Pending] = field(default_factory=dict)
    _lock: asyncio.Lock | None = None
    _tasks: set[asyncio.Task[list[Entity]]] = field(default_factory=set)
    _in_flight: InFlight = field(default_factory=InFlight)
    # Bumped by stop(): a delivery of an older epoch that ends after the reset is not logged in the new one.
    _epoch: int = 0

    def raise_events(
        self, store: Store, rec: EcomOrderRecord, events: list[tuple[str, Entity]], identity: Entity
    ) -> list[str]:
        """Queue events for the site's webhook URL (recorded on the order, sent in the background); their ids."""
        url = webhook_url(store, rec.instance_id)
        for event_type, event in events:
            rec.events.append({"eventType": event_type, "eventId": event["id"], "at": event["eventTime"]})
            self.pending.append(Pending(rec.instance_id, rec.id, event_type, event, identity, url))
        task = asyncio.get_running_loop().create_task(self.drain(store))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return [event["id"] for _type, event in events]

    async def drain(self, store: Store, event_ids: list[str] | None = None) -> list[Entity]:
        """Send everything queued, in order; the deliveries of `event_ids` (all made so far when None)."""
        if self._lock is None:
            self._lock = asyncio.Lock()
        async with self._lock:
            while self.pending:
                await self._deliver(store, self.pending.popleft())
        if event_ids is None:
            return list(self.delivered)
        wanted = set(event_ids)
        return [d for d in self.delivered if d["eventId"] in wanted]

    async def redeliver(self, store: Store, event_id: str) -> Entity | None:
        """Send a delivered event again, the same signed body, as Wix's retries do; None if unknown.

        It goes to the site's webhook URL as it is now (the app's endpoint may have been fixed since),
        after whatever is queued, so a resent `order_approved` can land after later events.
        """
        item = self.sent.get(event_id)
        if item is None:
            return None
        item.url = webhook_url(store, item.instance_id)
        self.pending.append(item)
        delivered = await self.drain(store, [event_id])
        return delivered[-1]

    async def _deliver(self, store: Store, item: Pending) -> Entity:
        result: Entity = {
            "eventType": item.event_type,
            "eventId": item.event["id"],
            "instanceId": item.instance_id,
            "orderId": item.order_id,
            "url": item.url,
            "status": None,
            "error": None,
            "time": rfc3339(),
        }
        if item.url is None:
            result["error"] = "no webhook URL"
        else:
            if item.token is None:
                item.token = webhook_jwt(store, item.instance_id, item.event_type, item.event, item.identity)
            epoch = self._epoch
            answer = await self._in_flight.run(
                spi_caller.post(
                    item.url,
                    item.token.encode(),
                    {"content-type": "text/plain"},
                    store.data.settings.spi_timeout_seconds,
                )
            )
            if answer is None:
                result["error"] = "cut by a reset"
            else:
                result.update(status=answer["status"], error=answer["error"], elapsedMs=answer["elapsedMs"])
            if epoch != self._epoch:
                return result
        rec = store.data.ecom_orders.get(item.order_id)
        if rec is not None:
            for logged in rec.events:
                if logged["eventId"] == item.event["id"]:
                    logged.update(status=result["status"], error=result["error"])
        self.delivered.append(result)
        self.sent[item.event["id"]] = item
        while len(self.sent) > DELIVERY_LOG_CAPACITY:
            del self.sent[next(iter(self.sent))]
        return result

    async def stop(self, bound: float) -> None:
        """Drop queued events and let the one in flight land (cut after `bound` seconds), so that nothing
        from before a reset reaches the provider after it (see outbox.InFlight)."""
        self.pending.clear()
        self._epoch += 1
        await self._in_flight.settle(bound)

    def clear(self) -> None:
        """Forget queued and delivered events."""
        self.pending.clear()
        self.delivered.clear()
        self.sent.clear()

    def log(self, instance_id: str | None = None, event_type: str | None = None) -> list[Any]:
        """Deliveries made, oldest first."""
        return [
            d for d in self.delivered if instance_id in (None, d["instanceId"]) and event_type in (None, d["eventType"])
        ]
