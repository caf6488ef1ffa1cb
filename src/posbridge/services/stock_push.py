"""Pushing an item's stock to its live Wix item (product.md §3 step 8): the outbound handler of `STOCK` jobs.

A job names a paired catalog and a POS item; the push reads the stock as it stands when it runs
(the same truth the next full sync's desired catalog reads, so the two never disagree) and has the
pairing's catalog target write only the in-stock flag on the live item (`CatalogTarget.write_stock`:
Catalogs v3's single-item PATCH, the Menus API's `orderSettings.inStock` at the item's revision) —
never a sync. Jobs of the same key that are due and not yet run are covered by this read and end
with it, so a burst of changes makes one write; `pos.stock.owe_stock_push` spaces a key's writes a
second apart (and the push itself waits out the rest of that second, by the queue's clock, when it
was woken while the last write ran), and every call spends the instance's rate budget and is
retried like every Wix call.

When Wix owns stock (catalogSyncConfiguration's `dishInStockUpdated` is `WIX`) nothing is pushed:
the merchant sets stock in Wix, and posbridge's 86 only guards Validate and Create Order.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from posbridge.config import Settings
from posbridge.logs import get_logger
from posbridge.pos.stock import (
    PUSH_SPACING_SECONDS,
    STOCK_PUSH,
    available_quantity,
    blocked_items,
    choice_rows,
    is_86ed,
    push_key,
)
from posbridge.services import attention, outbound
from posbridge.services.outbound import GiveUp, Job, TryLater
from posbridge.store.db import Database
from posbridge.store.models import Configuration, OutboundJob, Stock, SyncIdMap
from posbridge.store.statuses import OutboundJobStatus
from posbridge.sync.catalog import DISH, VARIATION
from posbridge.sync.ownership import Ownership, OwnershipError
from posbridge.sync.target import StockWrite, TargetKind
from posbridge.sync.targets import target_for
from posbridge.wix.client import WixClient
from posbridge.wix.errors import WixApiError
from posbridge.wix.generation import Generation

log = get_logger("stock_push")

WIX_OWNS_STOCK = "Wix owns stock on this site (catalogSyncConfiguration.dishInStockUpdated is WIX): nothing is pushed"


def wix_owns_stock(settings: Settings) -> bool:
    """Whether the provider registered Wix as the owner of stock (an invalid configuration owns nothing)."""
    try:
        return "dishInStockUpdated" in Ownership.parse(settings.catalog_sync_configuration).wix_owned
    except OwnershipError:
        return False


def push_stock(
    db: Database, settings: Settings, job: Job, client: WixClient, *, target: TargetKind | None = None
) -> None:
    """Write the item's current stock to its live Wix item; raises TryLater or GiveUp.

    `target`: the catalog target to write through (default: the pairing's, by its generation).
    """
    if wix_owns_stock(settings):
        log.info("stock_push.skipped", job_id=job.id, reason=WIX_OWNS_STOCK)
        return
    configuration_pk, item_id = int(job.payload["configuration"]), int(job.payload["item"])
    kind = str(job.payload.get("kind") or DISH)
    now = job.clock()
    at = max(now, datetime.fromisoformat(job.payload["at"])) if job.payload.get("at") else now
    with db.transaction() as session:
        configuration = session.get(Configuration, configuration_pk)
        if configuration is None or configuration.location_id is None:
            return  # unpaired since: nothing of ours is live there any more
        target_kind = target or target_for(Generation(configuration.generation))
        id_space = target_kind.id_space(configuration)
        if id_space is None:
            return
        # Later wake-ups of this key that are due are answered by the stock read below.
        session.execute(
            update(OutboundJob)
            .where(
                OutboundJob.ordering_key == push_key(configuration_pk, item_id, kind),
                OutboundJob.status == OutboundJobStatus.PENDING,
                OutboundJob.id > job.id,
                OutboundJob.next_attempt_at <= now,
            )
            .values(status=OutboundJobStatus.DONE, last_error="coalesced")
        )
        wix_id = session.scalar(
            select(SyncIdMap.wix_id).where(
                SyncIdMap.catalog_id == id_space,
                SyncIdMap.instance_id == configuration.instance_id,
                SyncIdMap.kind == kind,
                SyncIdMap.pos_ref == item_id,
            )
        )
        # The last write of this key may have ended less than a second ago (a job woken while it ran).
        last = session.scalar(
            select(func.max(OutboundJob.updated_at)).where(
                OutboundJob.ordering_key == push_key(configuration_pk, item_id, kind),
                OutboundJob.status == OutboundJobStatus.DONE,
                OutboundJob.last_error.is_(None),
                OutboundJob.id != job.id,
            )
        )
        in_stock = _in_stock(session, kind, item_id, configuration.location_id, at)
        instance_id = configuration.instance_id
    if wix_id is None:
        return  # never synced: the next full sync writes it with this stock
    if last is not None and (wait := (last - job.clock()).total_seconds() + PUSH_SPACING_SECONDS) > 0:
        job.sleep(min(wait, PUSH_SPACING_SECONDS))  # at most one write per item per second, whatever woke us
    try:
        outcome = target_kind(client, instance_id, id_space).write_stock(kind, wix_id, in_stock)
    except WixApiError as exc:
        if exc.retryable:
            raise TryLater(f"Wix did not take the stock change: {exc}") from exc
        raise GiveUp(f"Wix refused the stock change: {exc}") from exc
    if outcome is StockWrite.GONE:
        return  # gone from the live catalog; the next full sync puts back what we sell, stock included
    log.info("stock_push.done", instance_id=instance_id, item=item_id, wix_item=wix_id, in_stock=in_stock)


outbound.register(STOCK_PUSH, push_stock, attention_kind=attention.STATUS_PUSH_FAILED)


def _in_stock(session: Session, kind: str, ref: int, location_id: int, at: datetime) -> bool:
    """Whether Wix should show the dish (or choice) in stock at `at`: the truth the desired catalog reads too."""
    if kind == VARIATION:
        return not is_86ed(choice_rows(session, location_id, [ref]).get(ref), at)
    if available_quantity(session.get(Stock, (ref, location_id)), at) == 0:
        return False
    return ref not in blocked_items(session, location_id, [ref], at)
