"""Stock of the built-in POS: tracked quantities and manual 86 (optionally until a time)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from posbridge.store.models import (
    ChoiceStock,
    Configuration,
    ItemOptionGroup,
    OptionChoice,
    OptionGroup,
    OutboundJob,
    Stock,
    SyncIdMap,
)
from posbridge.store.statuses import OutboundJobStatus
from posbridge.store.types import utcnow
from posbridge.wix.generation import ID_SPACE

# Built once: every Validate and Create Order reads stock, and building a statement costs more than running it.
_ROWS = (
    select(Stock)
    .where(Stock.location_id == bindparam("location"), Stock.item_id.in_(bindparam("items", expanding=True)))
    .order_by(Stock.item_id)
)
# Locked rows must carry the committed quantities, not ones this session read before the lock.
_LOCKED_ROWS = _ROWS.with_for_update().execution_options(populate_existing=True)


_CHOICE_ROWS = select(ChoiceStock).where(
    ChoiceStock.location_id == bindparam("location"),
    ChoiceStock.variation_id.in_(bindparam("variations", expanding=True)),
)
# The required option groups of items (a SELECTION, or EXTRAS with a minimum) and their choices.
_REQUIRED_CHOICES = (
    select(ItemOptionGroup.item_id, OptionChoice.group_id, OptionChoice.variation_id)
    .join(OptionGroup, OptionGroup.id == ItemOptionGroup.group_id)
    .join(OptionChoice, OptionChoice.group_id == OptionGroup.id)
    .where(
        ItemOptionGroup.item_id.in_(bindparam("items", expanding=True)),
        (OptionGroup.type == "SELECTION") | ((OptionGroup.type == "EXTRAS") & (OptionGroup.min_choices > 0)),
    )
)
# The items offering a choice in a required group (a choice's 86 may take them out too).
_ITEMS_REQUIRING = (
    select(ItemOptionGroup.item_id)
    .join(OptionGroup, OptionGroup.id == ItemOptionGroup.group_id)
    .join(OptionChoice, OptionChoice.group_id == OptionGroup.id)
    .where(
        OptionChoice.variation_id == bindparam("variation"),
        (OptionGroup.type == "SELECTION") | ((OptionGroup.type == "EXTRAS") & (OptionGroup.min_choices > 0)),
    )
    .distinct()
)


def is_86ed(stock: Stock | ChoiceStock | None, at: datetime) -> bool:
    """Whether the kitchen marked the item out at `at` (an 86 with `out_until` lapses by itself)."""
    if stock is None or not stock.out_of_stock:
        return False
    return stock.out_until is None or at < stock.out_until


def available_quantity(stock: Stock | None, at: datetime) -> int | None:
    """How many can be sold at `at`: None when not tracked (unlimited), 0 when 86'd or sold out."""
    if is_86ed(stock, at):
        return 0
    if stock is None or stock.quantity is None:
        return None
    return max(stock.quantity, 0)


def stock_rows(session: Session, location_id: int, item_ids: Iterable[int], *, lock: bool = False) -> dict[int, Stock]:
    """Stock rows of these items at a location, by item id; `lock` holds them (FOR UPDATE) until commit."""
    ids = sorted(set(item_ids))  # a fixed lock order, so two writers never deadlock
    if not ids:
        return {}
    query = _LOCKED_ROWS if lock else _ROWS
    return {row.item_id: row for row in session.scalars(query, {"location": location_id, "items": ids})}


def choice_rows(session: Session, location_id: int, variation_ids: Iterable[int]) -> dict[int, ChoiceStock]:
    """Choices marked out (or once marked) at a location, by variation id."""
    ids = sorted(set(variation_ids))
    if not ids:
        return {}
    return {
        row.variation_id: row for row in session.scalars(_CHOICE_ROWS, {"location": location_id, "variations": ids})
    }


def blocked_items(session: Session, location_id: int, item_ids: Iterable[int], at: datetime) -> set[int]:
    """Items that cannot be ordered at `at` because every choice of one of their required groups is 86ed."""
    ids = sorted(set(item_ids))
    if not ids:
        return set()
    rows = session.execute(_REQUIRED_CHOICES, {"items": ids}).all()
    out = {v for v, row in choice_rows(session, location_id, {r[2] for r in rows}).items() if is_86ed(row, at)}
    if not out:
        return set()
    groups: dict[tuple[int, int], list[int]] = {}
    for item_id, group_id, variation_id in rows:
        groups.setdefault((item_id, group_id), []).append(variation_id)
    return {item for (item, _), choices in groups.items() if all(v in out for v in choices)}


def is_required(group_type: str, min_choices: int) -> bool:
    """Whether an order must pick from this option group (a SELECTION, or EXTRAS with a minimum)."""
    return group_type == "SELECTION" or (group_type == "EXTRAS" and min_choices > 0)


def items_requiring(session: Session, variation_id: int) -> list[int]:
    """Items that offer this choice in a required group."""
    return list(session.scalars(_ITEMS_REQUIRING, {"variation": variation_id}))


def decrement(stock: Stock | None, quantity: int) -> bool:
    """Take `quantity` from tracked stock; True when this sale sold it out (untracked stock never runs out)."""
    if stock is None or stock.quantity is None:
        return False
    before = stock.quantity
    stock.quantity = max(before - quantity, 0)
    return before > 0 and stock.quantity == 0


# --- Owing Wix a stock push -------------------------------------------------------------------------

STOCK_PUSH = "STOCK"
# At most one write per item per second to each catalog: a burst of changes coalesces into the next one.
PUSH_SPACING_SECONDS = 1.0


# The paired catalogs that sell an item at a location: the configuration is paired to the location and
# a sync has put the item there, in the pairing's id space (an item not synced yet goes with the next
# full sync).
_SELLERS = (
    select(Configuration.id, Configuration.instance_id, SyncIdMap.pos_ref)
    .join(SyncIdMap, SyncIdMap.catalog_id == ID_SPACE)
    .where(
        Configuration.location_id == bindparam("location"),
        Configuration.account_pk.is_not(None),
        Configuration.enabled.is_(True),
        SyncIdMap.instance_id == Configuration.instance_id,
        SyncIdMap.kind == bindparam("kind"),
        SyncIdMap.pos_ref.in_(bindparam("items", expanding=True)),
        SyncIdMap.detached_at.is_(None),
    )
)


def push_key(configuration_pk: int, item_id: int, kind: str = "DISH") -> str:
    """The ordering key of an item's (or a choice's) stock pushes to one catalog (one write at a time)."""
    return f"stock-{configuration_pk}-{'v' if kind == 'VARIATION' else ''}{item_id}"


def is_push_key(key: str) -> bool:
    """Whether an ordering key is an item's stock pushes (`push_key`)."""
    return key.startswith("stock-")


def owe_stock_push(
    session: Session,
    location_id: int,
    item_ids: Iterable[int],
    *,
    at: datetime | None = None,
    now: datetime | None = None,
    kind: str = "DISH",
) -> list[int]:
    """Owe every paired catalog selling these items at the location a push of their stock; the new jobs' ids.

    Called in the transaction that changed the stock. The push reads the stock when it runs, so a job
    still waiting covers every later change (no new job); a new one waits until a second after the
    key's last write. `at`: not before this time (a timed 86's end); `now`: the clock (tests).
    """
    ids = sorted(set(item_ids))
    if not ids:
        return []
    now = now or utcnow()
    new: list[int] = []
    for configuration_pk, instance_id, item_id in session.execute(
        _SELLERS, {"location": location_id, "items": ids, "kind": kind}
    ):
        key = push_key(configuration_pk, item_id, kind)
        due = max(at or now, now)
        jobs = session.scalars(
            select(OutboundJob).where(OutboundJob.ordering_key == key).order_by(OutboundJob.id.desc()).limit(20)
        ).all()
        ran = [
            j.updated_at if j.status == OutboundJobStatus.DONE else j.next_attempt_at
            for j in jobs
            if j.next_attempt_at <= now
        ]
        if ran:
            due = max(due, max(ran) + timedelta(seconds=PUSH_SPACING_SECONDS))
        # A job not yet due is not running: it reads this change too, if it runs once the change holds
        # (a timed 86's end) and no later than this push would (a later one: an end still to come).
        effective = max(at or now, now)
        if any(
            j.status == OutboundJobStatus.PENDING and j.attempts == 0 and effective <= j.next_attempt_at <= due
            for j in jobs
            if now < j.next_attempt_at
        ):
            continue
        job = OutboundJob(
            kind=STOCK_PUSH,
            instance_id=instance_id,
            ordering_key=key,
            # A timed 86's end: the push tells Wix the stock as of then.
            payload={"configuration": configuration_pk, "location": location_id, "item": item_id, "kind": kind}
            | ({"at": at.isoformat()} if at is not None else {}),
            next_attempt_at=due,
        )
        session.add(job)
        session.flush()
        new.append(job.id)
    return new
