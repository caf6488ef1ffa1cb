"""The app's life on a Wix site: AppInstalled records or reactivates the instance, AppRemoved deactivates it.

A removed instance keeps its accounts, pairings, orders and history; every SPI call for it then
answers ACCOUNT_NOT_CONNECTED (product.md §3 steps 1 and 9). Wix may repeat events and deliver
them out of order, so each event is applied once (recorded by id) and never over a newer one:
an install applies unless a later removal is known, a removal unless a later install is. Times
are compared to the second (the event's time is its token's `iat`); on a tie the later arrival wins.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.exc import IntegrityError

from posbridge.services.tenancy import is_instance_id
from posbridge.store.db import Database
from posbridge.store.models import Instance, WebhookEvent
from posbridge.store.statuses import InstanceStatus

APP_INSTALLED, APP_REMOVED = "AppInstalled", "AppRemoved"
# Outcomes, for logs and tests.
INSTALLED, UNINSTALLED, STALE, DUPLICATE, IGNORED = "INSTALLED", "REMOVED", "STALE", "DUPLICATE", "IGNORED"


@dataclass(frozen=True)
class AppEvent:
    """A verified app webhook, its layers unwrapped."""

    event_id: str
    event_type: str
    instance_id: str
    at: datetime
    data: dict[str, Any] = field(default_factory=dict)
    identity: dict[str, Any] = field(default_factory=dict)


def apply_app_event(db: Database, event: AppEvent) -> str:
    """Record the event once and apply it to its instance unless it is stale; the outcome."""
    try:
        return _apply(db, event)
    except IntegrityError:
        # A concurrent copy of this event, or an SPI call recording the instance, won a unique key:
        # ours rolled back whole, and a second pass sees what it committed.
        return _apply(db, event)


def _apply(db: Database, event: AppEvent) -> str:
    with db.transaction() as session:
        if session.get(WebhookEvent, event.event_id) is not None:
            return DUPLICATE
        session.add(
            WebhookEvent(
                id=event.event_id,
                event_type=event.event_type[:64],
                instance_id=event.instance_id,
                event_time=event.at,
                payload={"data": event.data, "identity": event.identity},
            )
        )
        if event.event_type not in (APP_INSTALLED, APP_REMOVED):
            return IGNORED
        instance = session.get(Instance, event.instance_id, with_for_update=True)
        if instance is None:
            instance = Instance(id=event.instance_id, status=InstanceStatus.ACTIVE, installed_at=event.at)
            session.add(instance)
        at = _second(event.at)
        if event.event_type == APP_INSTALLED:
            if instance.removed_at is not None and at < _second(instance.removed_at):
                return STALE  # removed after this install was sent
            instance.status, instance.removed_at = InstanceStatus.ACTIVE, None
            instance.installed_at = max(instance.installed_at, event.at)
            origin = event.data.get("originInstanceId")
            if is_instance_id(origin):  # informational: a site copied from another; anything else is no id
                instance.origin_instance_id = origin
            return INSTALLED
        if at < _second(instance.installed_at):
            return STALE  # installed again after this removal was sent
        instance.status = InstanceStatus.REMOVED
        instance.removed_at = event.at if instance.removed_at is None else max(instance.removed_at, event.at)
        return UNINSTALLED


def _second(moment: datetime) -> datetime:
    return moment.replace(microsecond=0)
