"""Wix's Menus API events (`wix.restaurants.menus.v1.<entity>_created|_updated|_deleted`) at /wix/webhooks.

Every write to a new-generation site's menus is announced, including posbridge's own: Wix's advice
is to "ignore webhooks resulting from calls you have triggered" (wix-menus-api.md §6). Who wrote is
the envelope's `identity` (`@wix/sdk` IdentificationData: `identityType` APP with `appId`, WIX_USER
with `wixUserId`, …). Each event is recorded once (keyed by the domain event's `id`, Wix's dedupe
key) with a small snapshot of the entity, and classified:

- OWN: APP identity with our app id: our own sync's write, recorded and otherwise ignored.
- MERCHANT_EDIT: anyone else (the merchant in Wix's dashboard, another app) changed an entity the
  sync id map of a paired business location holds (menus, sections, items, modifiers): a
  `WixMenuEdit` per location with what changed. An updated event carries only the current entity
  (the SDK's EntityUpdatedEvent says the recipient traverses both objects), so the change is the
  difference from the last snapshot seen of that entity, usually our own last write's event.
  Whether the next sync keeps or overwrites each change follows the ownership rules
  (catalogSyncConfiguration, `posbridge.sync.ownership`) and what the Menus API target writes;
  when something will be overwritten, a debounced sync is requested so the POS's values come back
  soon rather than at some later POS change (docs/decisions.md).
- NOT_OURS: an entity no paired location owns (the merchant's own menus and modifier groups, another
  instance's ids, labels and variants, which posbridge shares by name and keeps no id map rows for):
  recorded, nothing shown. Modifier groups posbridge made for a POS option group are in the id map
  (MODIFIER_GROUP), so a merchant's edit of one (name, rule, modifiers, their charges) is shown.
- STALE: an event older (`entityEventSequence`) than one already seen for the entity: recorded only.
- DUPLICATE: seen before: nothing.

The events arrive read at the edge (`spi/menu_event_wire.py`: the event's key, entity, sequence, time,
writer and the entity's snapshot); what is compared here are snapshots, posbridge's own records.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased

from posbridge.errors import WixError
from posbridge.logs import get_logger
from posbridge.services.pairing import find_configuration
from posbridge.services.queries import ApiModel
from posbridge.services.syncing import DEBOUNCE_SECONDS, MAX_WAIT_SECONDS, request_sync
from posbridge.store.db import Database
from posbridge.store.models import (
    Account,
    Configuration,
    Location,
    Merchant,
    Sync,
    SyncIdMap,
    WebhookEvent,
    WixMenuEdit,
)
from posbridge.store.statuses import SyncStatus
from posbridge.store.types import money_text, utcnow
from posbridge.sync.catalog import DISH, GROUP, MENU, SECTION, VARIATION
from posbridge.sync.ownership import Ownership
from posbridge.wix.generation import ID_SPACE, Generation

PREFIX = "wix.restaurants.menus.v1."
# The event's entity name → the sync id map's kind (None: posbridge keeps no id map rows for it).
KINDS: dict[str, str | None] = {
    "menu": MENU,
    "section": SECTION,
    "item": DISH,
    "item_modifier": VARIATION,
    "item_modifier_group": GROUP,
    "item_variant": None,
    "item_label": None,
}
ACTIONS = ("created", "updated", "deleted")
OWN, MERCHANT_EDIT, NOT_OURS, STALE, DUPLICATE = "OWN", "MERCHANT_EDIT", "NOT_OURS", "STALE", "DUPLICATE"
WIX_EDIT = "WIX_EDIT"  # the trigger of the sync a merchant's edit requests
KEEP, OVERWRITE = "KEEP", "OVERWRITE"
log = get_logger("menu_events")


def is_menu_event(event_type: str) -> bool:
    """A Menus API entity event."""
    return entity_and_action(event_type) is not None


def entity_and_action(event_type: str) -> tuple[str, str] | None:
    """(entity name, action) of `wix.restaurants.menus.v1.<entity>_<action>`, else None."""
    if not event_type.startswith(PREFIX):
        return None
    entity, _, action = event_type[len(PREFIX) :].rpartition("_")
    return (entity, action) if entity in KINDS and action in ACTIONS else None


# --- the entity as posbridge compares it -----------------------------------------------------------


def snapshot_amount(value: Any) -> str | None:
    """An amount in money's one written form ("99.50", "100.00"), so snapshots compare by value."""
    try:
        return money_text(Decimal(str(value))) if value is not None else None
    except InvalidOperation:
        return str(value)


def _amounts_rewritten(fields: dict[str, Any]) -> dict[str, Any]:
    """A stored snapshot's amounts in today's written form.

    Snapshots recorded before amounts were written with `money_text` hold "99.5" or "1E+2": an
    unchanged price read against them is then no change.
    """
    out = dict(fields)
    if "price" in out:
        out["price"] = snapshot_amount(out["price"])
    if isinstance(out.get("priceVariants"), list):
        out["priceVariants"] = [
            [v[0], snapshot_amount(v[1])] if isinstance(v, list) and len(v) == 2 else v for v in out["priceVariants"]
        ]
    if isinstance(out.get("additionalCharges"), list):
        out["additionalCharges"] = [snapshot_amount(c) for c in out["additionalCharges"]]
    return out


# Fields the Menus API target writes per kind (`posbridge.sync.menus_api`), and the ownership flag
# that, when WIX, makes the sync carry the live value over instead. Anything else is the merchant's.
_WRITTEN: dict[str, dict[str, str | None]] = {
    MENU: {
        "name": None,
        "description": None,
        "sectionIds": "entitySortingControl",
        "visible": "entityAvailabilityUpdated",
    },
    SECTION: {"name": None, "description": None, "itemIds": "entitySortingControl"},
    DISH: {
        "name": None,
        "description": None,
        "price": None,
        "priceVariants": None,
        "labels": "dishLabelsUpdated",
        "inStock": "dishInStockUpdated",
        "acceptSpecialRequests": None,
        "modifierGroups": None,
    },
    VARIATION: {"name": None, "inStock": "dishInStockUpdated"},
    # The differ carries a live option's min/max over when Wix owns them; `required` follows from min.
    GROUP: {
        "name": None,
        "rule": "dishOptionsMinMaxUpdated",
        "modifiers": None,
        "additionalCharges": None,
        "preSelected": None,
    },
}


def next_sync(kind: str, field: str, ownership: Ownership) -> str:
    """KEEP or OVERWRITE: what the next sync does with a change of `field` made in Wix."""
    written = _WRITTEN.get(kind, {})
    if field not in written:
        return KEEP
    flag = written[field]
    return KEEP if flag is not None and flag in ownership.wix_owned else OVERWRITE


def changes_of(
    kind: str, action: str, before: dict[str, Any] | None, after: dict[str, Any], ownership: Ownership
) -> list[dict[str, Any]]:
    """[{field, before, after, nextSync}] of one event; a deletion is one change the sync undoes."""
    if action == "deleted":
        return [{"field": "deleted", "before": None, "after": None, "nextSync": OVERWRITE}]
    before = None if before is None else _amounts_rewritten(before)
    out = []
    for field in sorted(set(after) | set(before or {})):
        if before is not None and before.get(field) == after.get(field):
            continue
        if before is None and next_sync(kind, field, ownership) == KEEP:
            continue  # nothing seen before: only what the POS owns is worth naming
        if field not in after:
            continue  # a field the event left out is not a change
        out.append(
            {
                "field": field,
                "before": None if before is None else before.get(field),
                "after": after.get(field),
                "nextSync": next_sync(kind, field, ownership),
            }
        )
    return out


# --- applying an event -----------------------------------------------------------------------------


@dataclass(frozen=True)
class MenuEvent:
    """A verified Menus API entity event in the services' terms, read at the edge (`spi/menu_event_wire.py`)."""

    key: str  # the domain event's id (Wix's dedupe key) as `menus:<id>`, else the signed body's hash
    event_type: str
    instance_id: str
    entity: str  # the event's entity name (`item`, `item_modifier_group`, …)
    kind: str | None  # the sync id map's kind for it (None: posbridge keeps no id map rows for it)
    action: str  # created, updated or deleted
    entity_id: str
    sequence: int | None  # the entity's event sequence, when Wix gave a readable one
    fields: dict[str, Any]  # the entity's snapshot: what a merchant may change, flat (wire names)
    at: datetime  # when the change happened (the event's time, else when it was signed)
    writer_app_id: str | None  # the writing app's id when an app wrote it, else None
    identity: dict[str, Any]  # who wrote it, as Wix said, kept with the event's record


def who(identity: dict[str, Any]) -> str:
    """The writer in words: the merchant, another app, or Wix."""
    kind = identity.get("identityType")
    if kind == "WIX_USER":
        return "the merchant"
    if kind == "APP":
        return f"another app ({identity.get('appId') or 'unknown'})"
    return "Wix"


def apply_menu_event(
    db: Database,
    event: MenuEvent | None,
    *,
    app_id: str,
    ownership: Ownership,
    notify: Callable[[int, datetime], None] | None = None,
    debounce_seconds: float = DEBOUNCE_SECONDS,
) -> str:
    """Record and classify one Menus API event; the outcome (OWN, MERCHANT_EDIT, NOT_OURS, STALE, DUPLICATE).

    None is an event the edge found no entity in: not a menu entity event we understand.
    """
    if event is None:
        return NOT_OURS
    try:
        outcome, to_sync = _record(db, event, app_id, ownership)
    except IntegrityError:
        return DUPLICATE  # a concurrent copy of the same event won the key
    for configuration_pk in to_sync:
        _request_sync(db, configuration_pk, notify, debounce_seconds)
    return outcome


def _record(db: Database, event: MenuEvent, app_id: str, ownership: Ownership) -> tuple[str, list[int]]:
    with db.transaction() as session:
        if session.get(WebhookEvent, event.key) is not None:
            return DUPLICATE, []
        before, latest = _previous(session, event.instance_id, event.entity_id)
        identity = event.identity
        own = bool(app_id) and event.writer_app_id == app_id
        stale = event.sequence is not None and latest is not None and event.sequence < latest
        outcome = OWN if own else STALE if stale else NOT_OURS
        owners = [] if own or stale or event.kind is None else _owners(session, event.instance_id, event)
        if owners:
            outcome = MERCHANT_EDIT
        session.add(
            WebhookEvent(
                id=event.key,
                event_type=event.event_type[:64],
                instance_id=event.instance_id,
                subject=event.entity_id,
                event_time=event.at,
                # Lean on purpose: a first sync of thousands of items announces every one of them.
                payload={
                    "outcome": outcome,
                    "sequence": event.sequence,
                    "fields": event.fields,
                    "identity": identity,
                },
            )
        )
        to_sync: list[int] = []
        if not owners:
            return outcome, to_sync
        assert event.kind is not None
        changes = changes_of(event.kind, event.action, before, event.fields, ownership)
        verdict = OVERWRITE if any(c["nextSync"] == OVERWRITE for c in changes) else KEEP
        name = str(event.fields.get("name") or (before or {}).get("name") or event.entity_id)[:255]
        for configuration_pk in owners:
            session.add(
                WixMenuEdit(
                    event_id=event.key,
                    instance_id=event.instance_id,
                    configuration_id=configuration_pk,
                    kind=event.kind,
                    wix_id=event.entity_id,
                    name=name,
                    action=event.action,
                    changes=changes,
                    next_sync=verdict,
                    identity=identity,
                    event_time=event.at,
                    sync_requested=verdict == OVERWRITE,
                )
            )
            if verdict == OVERWRITE:
                to_sync.append(configuration_pk)
        log.info(
            "menu_event.merchant_edit",
            instance_id=event.instance_id,
            entity=event.entity,
            entity_id=event.entity_id,
            action=event.action,
            fields=[c["field"] for c in changes],
            next_sync=verdict,
        )
        return outcome, to_sync


# Events of one entity read back to find its newest snapshot: arrivals are nearly in order, so the
# newest sequence is among the last few received, and an entity synced for years costs the same.
RECENT = 20


def _previous(session: Session, instance_id: str, entity_id: str) -> tuple[dict[str, Any] | None, int | None]:
    """The newest snapshot seen of the entity (by sequence, among its latest arrivals), and its sequence."""
    best: tuple[int, dict[str, Any]] | None = None
    rows = session.scalars(
        select(WebhookEvent.payload)
        .where(
            WebhookEvent.instance_id == instance_id,
            WebhookEvent.subject == entity_id,
            WebhookEvent.event_type.startswith(PREFIX),
        )
        .order_by(WebhookEvent.received_at.desc())
        .limit(RECENT)
    )
    for payload in rows:
        sequence = payload.get("sequence") if isinstance(payload, dict) else None
        if isinstance(sequence, int) and (best is None or sequence > best[0]):
            best = (sequence, payload.get("fields") or {})
    return (best[1], best[0]) if best is not None else (None, None)


def _owners(session: Session, instance_id: str, event: MenuEvent) -> list[int]:
    """The paired new-generation locations of this instance whose id map holds the entity."""
    rows = session.scalars(
        select(Configuration.id)
        .join(
            SyncIdMap,
            (SyncIdMap.instance_id == Configuration.instance_id) & (SyncIdMap.catalog_id == ID_SPACE),
        )
        .where(
            Configuration.instance_id == instance_id,
            Configuration.generation == Generation.NEWGEN,
            SyncIdMap.wix_id == event.entity_id,
            SyncIdMap.kind == event.kind,
            SyncIdMap.detached_at.is_(None),
        )
        .distinct()
    )
    return sorted(rows)


def _request_sync(
    db: Database, configuration_pk: int, notify: Callable[[int, datetime], None] | None, debounce_seconds: float
) -> None:
    """A debounced sync of the location (the edit overwrote what the POS owns); skipped when it cannot sync."""
    with db.transaction(write=False) as session:
        row = session.execute(
            select(Configuration.instance_id, Configuration.wix_id, Account.account_id)
            .join(Account, Account.id == Configuration.account_pk)
            .where(Configuration.id == configuration_pk)
        ).first()
    if row is None:
        return
    try:
        sync = request_sync(
            db,
            row.instance_id,
            row.account_id,
            row.wix_id,
            WIX_EDIT,
            debounce_seconds=debounce_seconds,
            max_wait_seconds=MAX_WAIT_SECONDS,
        )
    except WixError:
        return  # unpaired or disconnected meanwhile: nothing to sync
    if notify is not None:
        try:
            notify(sync.configuration_id, sync.not_before or sync.requested_at)
        except Exception:
            log.exception("sync_wake_up_failed", configuration_pk=sync.configuration_id, sync_id=sync.id)


# --- reading them back -----------------------------------------------------------------------------


_KIND_WORDS = {MENU: "menu", SECTION: "section", DISH: "item", VARIATION: "modifier", GROUP: "modifier group"}
_FIELD_WORDS = {
    "priceVariants": "prices by size",
    "inStock": "in stock",
    "acceptSpecialRequests": "special requests",
    "modifierGroups": "modifier groups",
    "sectionIds": "sections",
    "itemIds": "items",
    "additionalCharges": "charges",
    "preSelected": "pre-selected modifiers",
}


def _value_words(value: Any, money: bool = False, currency: str | None = None) -> str:
    if money and isinstance(value, str):
        try:
            return money_text(Decimal(value), currency)
        except InvalidOperation:
            return value
    if value is None:
        return "nothing"
    if value == "":
        return "empty"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, dict) and {"minSelections", "maxSelections"} & set(value):
        required = "required" if value.get("required") else "optional"
        return f"{required}, {value.get('minSelections', 0)} to {value.get('maxSelections', 'any')}"
    if isinstance(value, list) and money:
        return ", ".join(_value_words(v, True, currency) for v in value) or "none"
    if isinstance(value, list):
        return f"{len(value)} entries"
    return str(value)


def edit_words(kind: str, name: str, action: str, changes: list[dict[str, Any]], currency: str | None = None) -> str:
    """E.g. `item "Margherita" price changed from 12.50 to 14.00`; amounts in `currency`'s decimals when known."""
    what = f'{_KIND_WORDS.get(kind, kind.lower())} "{name}"'
    if action == "deleted":
        return f"{what} deleted"
    parts = []
    for change in changes:
        field = _FIELD_WORDS.get(change["field"], change["field"])
        money = change["field"] in ("price", "additionalCharges")
        before = _value_words(change.get("before"), money, currency)
        after = _value_words(change.get("after"), money, currency)
        if change.get("before") is None:
            parts.append(f"{field} set to {after}")
        else:
            parts.append(f"{field} changed from {before} to {after}")
    return f"{what} {', '.join(parts) if parts else 'saved with no change posbridge syncs'}"


class WixEditView(ApiModel):
    """One edit made in Wix to an entity posbridge syncs."""

    kind: str
    wix_id: str
    name: str
    action: str
    changes: list[dict[str, Any]]
    next_sync: str
    by: str
    identity: dict[str, Any]
    words: str
    event_time: datetime
    received_at: datetime
    sync_requested: bool
    synced_at: datetime | None = None  # when a sync started after the edit ended: it was kept or overwritten then


def recent_edits(db: Database, instance_id: str, configuration_id: str, *, limit: int = 5) -> list[WixEditView]:
    """The location's latest edits made in Wix, newest first; another instance's location is 'not found'."""
    with db.transaction(write=False) as session:
        configuration = find_configuration(session, instance_id, configuration_id)
        rows = list(
            session.scalars(
                select(WixMenuEdit)
                .where(WixMenuEdit.configuration_id == configuration.id)
                .order_by(WixMenuEdit.event_time.desc(), WixMenuEdit.id.desc())
                .limit(limit)
            )
        )
        oldest = min((row.received_at for row in rows), default=None)
        # The POS merchant's currency: Wix's amounts carry none, and a yen price has no decimals.
        currency = session.scalar(
            select(Merchant.currency)
            .join(Location, Location.merchant_id == Merchant.id)
            .where(Location.id == configuration.location_id)
        )
        # Successful syncs that started after an edit arrived read it and applied the ownership rules.
        synced = list(
            session.execute(
                select(Sync.started_at, Sync.ended_at)
                .where(
                    Sync.configuration_id == configuration.id,
                    Sync.status == SyncStatus.SYNCED,
                    Sync.started_at > oldest,
                )
                .order_by(Sync.started_at)
            )
            if oldest is not None
            else []
        )

        def applied(received: datetime) -> datetime | None:
            return next((ended for started, ended in synced if started is not None and started > received), None)

        return [
            WixEditView(
                kind=row.kind,
                wix_id=row.wix_id,
                name=row.name,
                action=row.action,
                changes=list(row.changes or []),
                next_sync=row.next_sync,
                by=who(row.identity or {}),
                identity=dict(row.identity or {}),
                words=edit_words(row.kind, row.name, row.action, list(row.changes or []), currency),
                event_time=row.event_time,
                received_at=row.received_at,
                sync_requested=row.sync_requested,
                synced_at=applied(row.received_at),
            )
            for row in rows
        ]


# --- keeping the record small -----------------------------------------------------------------------

# Wix resends an unacknowledged event for about three days; a week covers every repeat.
KEEP_DAYS = 7
PRUNE_BATCH = 1000


def prune_menu_events(db: Database, *, now: datetime | None = None, keep_days: int = KEEP_DAYS) -> int:
    """Forget Menus API events older than `keep_days`, except each entity's newest (its last snapshot).

    Every sync write is announced, so without this the record grows by the catalog's size per first
    sync and by every change after; the edits themselves (`wix_menu_edits`) are kept. Deletes in
    short batches; how many went.
    """
    cutoff = (now or utcnow()) - timedelta(days=keep_days)
    newer = aliased(WebhookEvent)
    has_newer = (
        select(newer.id)
        .where(
            newer.instance_id == WebhookEvent.instance_id,
            newer.subject == WebhookEvent.subject,
            newer.event_type.startswith(PREFIX),
            newer.received_at > WebhookEvent.received_at,
        )
        .exists()
    )
    gone = 0
    while True:
        with db.transaction() as session:
            ids = list(
                session.scalars(
                    select(WebhookEvent.id)
                    .where(WebhookEvent.event_type.startswith(PREFIX), WebhookEvent.received_at < cutoff, has_newer)
                    .limit(PRUNE_BATCH)
                )
            )
            if ids:
                session.execute(delete(WebhookEvent).where(WebhookEvent.id.in_(ids)))
        gone += len(ids)
        if len(ids) < PRUNE_BATCH:
            break
    if gone:
        log.info("menu_events.pruned", events=gone, older_than=cutoff.isoformat())
    return gone
