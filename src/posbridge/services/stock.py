"""Stock and 86 by hand (product.md §3 step 8): what the CLI, the admin API, the dashboard and the POS's
inbound API call.

Items and locations are named by their POS ids (a location's id is unique within its merchant; name
the merchant when two merchants share one). `instance_id` scopes a call to one Wix site: the location
must be paired with one of its configurations, else nothing is found (no tenant touches another's
stock). Every change is written with the pushes it owes Wix (`pos.stock.owe_stock_push`) in one
transaction; the caller wakes the returned jobs once it is committed. Validate and Create Order read
the same rows, so they agree with an 86 at once, whether the push has landed or not.

An 86 "until" a time ends by itself: the order checks stop counting it at that instant, and a push
due then (an outbound job in the database, so a restart loses nothing; the queue's sweep runs it
when no scheduled wake-up does) tells Wix.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from sqlalchemy import and_, case, exists, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from posbridge.config import Settings
from posbridge.errors import WixError
from posbridge.pos.stock import available_quantity, is_86ed, items_requiring, owe_stock_push
from posbridge.services.queries import ApiModel
from posbridge.services.stock_push import WIX_OWNS_STOCK, wix_owns_stock
from posbridge.store.db import Database
from posbridge.store.models import ChoiceStock, Configuration, Item, Location, Merchant, Stock, Variation
from posbridge.store.types import utcnow

Notify = Callable[[int], None]
_Row = TypeVar("_Row", Stock, ChoiceStock)
MAX_COUNT = 2**31 - 1  # the column is a 32-bit integer on PostgreSQL
MAX_86_DAYS = 366  # "until" further out than this is a typo, not a plan
_DURATION = re.compile(r"^(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$")


class StockView(ApiModel):
    """An item's stock at a location as the kitchen sees it now."""

    merchant_id: str
    location_id: str
    item_id: str
    item_name: str
    quantity: int | None  # None: not tracked
    eighty_sixed: bool  # marked out by hand, now
    out_until: datetime | None  # when the 86 ends by itself (None: until restored)
    available: int | None  # how many can be sold now (None: unlimited)
    in_stock: bool
    wix_push: str | None = None  # why nothing is pushed to Wix, when nothing is


@dataclass(frozen=True)
class StockChange:
    """A change made: the item's stock after it, and the outbound jobs to wake once committed."""

    view: StockView
    jobs: tuple[int, ...]


def parse_duration(text: str) -> timedelta:
    """ "2h", "90m", "1h30m", "45s", "1d": a positive span; anything else is a 400."""
    match = _DURATION.match(text.strip().lower())
    if not text.strip() or match is None:
        raise WixError.of("INVALID_DURATION", f"'{text}' is not a duration like 2h, 90m or 1h30m", http_status=400)
    days, hours, minutes, seconds = (int(part or 0) for part in match.groups())
    return timedelta(days=days, hours=hours, minutes=minutes, seconds=seconds)


def parse_time(text: str) -> datetime:
    """An ISO 8601 time ("2026-11-30T22:00", "…+01:00", "…Z"); without a zone it is the location's."""
    try:
        return datetime.fromisoformat(text.strip())
    except ValueError:
        raise WixError.of(
            "INVALID_UNTIL", f"'{text}' is not an ISO time like 2026-11-30T22:00", http_status=400
        ) from None


def eighty_six(
    db: Database,
    item: str,
    location: str,
    *,
    merchant: str | None = None,
    instance_id: str | None = None,
    until: datetime | None = None,
    for_: timedelta | None = None,
    settings: Settings | None = None,
    now: datetime | None = None,
    notify: Notify | None = None,
    choice: bool = False,
) -> StockChange:
    """Mark the item (`choice`: a choice, by its POS variation id) out at the location, for good (until
    restored) or until a time; pushes it to Wix."""
    moment = now or utcnow()
    if until is not None and for_ is not None:
        raise WixError.of("INVALID_ARGUMENT", "Give an end time or a duration, not both", http_status=400)

    def change(session: Session, row: Stock | ChoiceStock, place: Location) -> datetime | None:
        end = _end_time(until, for_, place, moment)
        row.out_of_stock, row.out_until = True, end
        return end

    return _change(db, item, location, merchant, instance_id, change, settings, moment, notify, choice=choice)


def restore(
    db: Database,
    item: str,
    location: str,
    *,
    merchant: str | None = None,
    instance_id: str | None = None,
    settings: Settings | None = None,
    now: datetime | None = None,
    notify: Notify | None = None,
    choice: bool = False,
) -> StockChange:
    """End the item's 86 at the location now (its tracked count, if any, is left as it is)."""

    def change(session: Session, row: Stock | ChoiceStock, place: Location) -> datetime | None:
        row.out_of_stock, row.out_until = False, None
        return None

    moment = now or utcnow()
    return _change(db, item, location, merchant, instance_id, change, settings, moment, notify, choice=choice)


def set_count(
    db: Database,
    item: str,
    location: str,
    count: int | None,
    *,
    merchant: str | None = None,
    instance_id: str | None = None,
    settings: Settings | None = None,
    now: datetime | None = None,
    notify: Notify | None = None,
) -> StockChange:
    """Set the tracked count (None: stop tracking, the item is unlimited); an 86 stays as it is."""
    if count is not None and not 0 <= count <= MAX_COUNT:
        raise WixError.of("INVALID_COUNT", f"The count must be between 0 and {MAX_COUNT}", http_status=400)

    def change(session: Session, row: Stock | ChoiceStock, place: Location) -> datetime | None:
        assert isinstance(row, Stock)  # a choice has no count, only an 86
        row.quantity = count
        return None

    return _change(db, item, location, merchant, instance_id, change, settings, now or utcnow(), notify)


def paired_locations(db: Database, instance_id: str) -> list[tuple[str, str]]:
    """(POS id, name) of the POS locations paired with this site, by name."""
    with db.transaction(write=False) as session:
        rows = session.execute(
            select(Location.pos_id, Location.name)
            .join(Configuration, Configuration.location_id == Location.id)
            .where(Configuration.instance_id == instance_id, Configuration.account_pk.is_not(None))
            .distinct()
            .order_by(Location.name, Location.pos_id)
        )
        return [(pos_id, name) for pos_id, name in rows]


def list_stock(
    db: Database,
    location: str,
    *,
    merchant: str | None = None,
    instance_id: str | None = None,
    search: str | None = None,
    only_out: bool = False,
    settings: Settings | None = None,
    now: datetime | None = None,
) -> list[StockView]:
    """The merchant's active items at the location with their stock, by name (`search`: a part of the name)."""
    moment = now or utcnow()
    with db.transaction(write=False) as session:
        place = _location(session, location, merchant, instance_id)
        query = select(Item).where(
            Item.merchant_id == place.merchant_id, Item.active.is_(True), *_matching(Item, search)
        )
        items = list(session.scalars(query.order_by(Item.name, Item.pos_id)))
        rows = {
            row.item_id: row
            for row in session.scalars(
                select(Stock).where(Stock.location_id == place.id, Stock.item_id.in_([i.id for i in items]))
            )
        }
        merchant_id = _merchant_pos_id(session, place)
        views = [_view(merchant_id, place, item, rows.get(item.id), moment, settings) for item in items]
    return [view for view in views if view.in_stock is False] if only_out else views


CARD_LIMIT = 50  # rows of each kind the merchant's page shows at once (a search finds the others)


@dataclass(frozen=True)
class StockPage:
    """A bounded view of a location's stock for the merchant's page: what is out first, then by name."""

    dishes: list[StockView]
    choices: list[StockView]  # sizes, extras (POS variations): `item_id` is the choice's POS id
    dish_count: int  # how many dishes match in all
    choice_count: int


def stock_page(
    db: Database,
    location: str,
    *,
    instance_id: str,
    search: str | None = None,
    limit: int = CARD_LIMIT,
    settings: Settings | None = None,
    now: datetime | None = None,
) -> StockPage:
    """The site's paired location's dishes and choices matching `search` (a part of the name or id): at most
    `limit` of each, those out now (86ed, or a tracked count at zero) first, then by name; the counts by SQL."""
    moment = now or utcnow()
    with db.transaction(write=False) as session:
        place = _location(session, location, None, instance_id)
        owner = _merchant_pos_id(session, place)
        out_now = and_(Stock.out_of_stock.is_(True), or_(Stock.out_until.is_(None), Stock.out_until > moment))
        dish_where = [Item.merchant_id == place.merchant_id, Item.active.is_(True), *_matching(Item, search)]
        dishes = session.execute(
            select(Item, Stock)
            .outerjoin(Stock, and_(Stock.item_id == Item.id, Stock.location_id == place.id))
            .where(*dish_where)
            .order_by(case((or_(out_now, Stock.quantity <= 0), 0), else_=1), Item.name, Item.pos_id)
            .limit(limit)
        ).all()
        choice_out = and_(
            ChoiceStock.out_of_stock.is_(True), or_(ChoiceStock.out_until.is_(None), ChoiceStock.out_until > moment)
        )
        choice_where = [Variation.merchant_id == place.merchant_id, *_matching(Variation, search)]
        choices = session.execute(
            select(Variation, ChoiceStock)
            .outerjoin(ChoiceStock, and_(ChoiceStock.variation_id == Variation.id, ChoiceStock.location_id == place.id))
            .where(*choice_where)
            .order_by(case((choice_out, 0), else_=1), Variation.name, Variation.pos_id)
            .limit(limit)
        ).all()
        return StockPage(
            dishes=[_view(owner, place, item, row, moment, settings) for item, row in dishes],
            choices=[_choice_view(owner, place, choice, row, moment, settings) for choice, row in choices],
            dish_count=int(session.scalar(select(func.count()).select_from(Item).where(*dish_where)) or 0),
            choice_count=int(session.scalar(select(func.count()).select_from(Variation).where(*choice_where)) or 0),
        )


def _matching(entity: type[Item] | type[Variation], search: str | None) -> list[Any]:
    """The condition for a search over names and POS ids (none for an empty search)."""
    if not search or not search.strip():
        return []
    needle = f"%{search.strip().lower()}%"
    return [or_(entity.name.ilike(needle), entity.pos_id.ilike(needle))]


def _change(
    db: Database,
    item: str,
    location: str,
    merchant: str | None,
    instance_id: str | None,
    change: Callable[[Session, Stock | ChoiceStock, Location], datetime | None],
    settings: Settings | None,
    moment: datetime,
    notify: Notify | None,
    *,
    choice: bool = False,
) -> StockChange:
    for attempt in (1, 2):
        try:
            with db.transaction() as session:
                place = _location(session, location, merchant, instance_id)
                if choice:
                    view, jobs = _change_choice(session, place, item, change, settings, moment)
                else:
                    view, jobs = _change_item(session, place, item, change, settings, moment)
            break
        except IntegrityError:
            # Another writer created the stock row first: take theirs and change it.
            if attempt == 2:
                raise
    if notify is not None:
        for job in jobs:
            notify(job)
    return StockChange(view, tuple(jobs))


def _change_item(
    session: Session,
    place: Location,
    item: str,
    change: Callable[[Session, Stock | ChoiceStock, Location], datetime | None],
    settings: Settings | None,
    moment: datetime,
) -> tuple[StockView, list[int]]:
    row_item = _item(session, place, item)
    row, end = _apply(
        session,
        place,
        Stock,
        row_item.id,
        lambda: Stock(item_id=row_item.id, location_id=place.id, quantity=None, out_of_stock=False),
        change,
    )
    jobs = _owe(session, place, [row_item.id], end, moment)
    return _view(_merchant_pos_id(session, place), place, row_item, row, moment, settings), jobs


def _change_choice(
    session: Session,
    place: Location,
    variation: str,
    change: Callable[[Session, Stock | ChoiceStock, Location], datetime | None],
    settings: Settings | None,
    moment: datetime,
) -> tuple[StockView, list[int]]:
    """A choice's 86: pushed itself, and so are the dishes that need it (a required group may be all out now)."""
    found = session.scalar(
        select(Variation).where(Variation.merchant_id == place.merchant_id, Variation.pos_id == variation)
    )
    if found is None:
        raise WixError.of(
            "ITEM_NOT_FOUND", f"No choice '{variation}' at location '{place.pos_id}'", http_status=404, itemId=variation
        )
    row, end = _apply(
        session,
        place,
        ChoiceStock,
        found.id,
        lambda: ChoiceStock(variation_id=found.id, location_id=place.id, out_of_stock=False),
        change,
    )
    jobs = _owe(session, place, [found.id], end, moment, kind="VARIATION")
    jobs += _owe(session, place, items_requiring(session, found.id), end, moment)
    return _choice_view(_merchant_pos_id(session, place), place, found, row, moment, settings), jobs


def _apply(
    session: Session,
    place: Location,
    row_type: type[_Row],
    ref: int,
    fresh: Callable[[], _Row],
    change: Callable[[Session, Stock | ChoiceStock, Location], datetime | None],
) -> tuple[_Row, datetime | None]:
    """Run `change` on the stock row of `ref` (a dish's or a choice's id) at the place, locked, made from
    `fresh` when there is none yet, and flushed; the row and the 86's end `change` gave."""
    row = session.get(row_type, (ref, place.id), with_for_update=True)
    if row is None:
        row = fresh()
        session.add(row)
    end = change(session, row, place)
    session.flush()
    return row, end


def _merchant_pos_id(session: Session, place: Location) -> str:
    """The POS id of the merchant who owns the location."""
    owner = session.get(Merchant, place.merchant_id)
    assert owner is not None
    return owner.pos_id


def _choice_view(
    merchant: str,
    place: Location,
    variation: Variation,
    row: ChoiceStock | None,
    moment: datetime,
    settings: Settings | None,
) -> StockView:
    """A choice's stock: 86ed (until a time) or not; a choice has no count."""
    out = is_86ed(row, moment)
    return StockView(
        merchant_id=merchant,
        location_id=place.pos_id,
        item_id=variation.pos_id,
        item_name=variation.name,
        quantity=None,
        eighty_sixed=out,
        out_until=row.out_until if out and row is not None else None,
        available=0 if out else None,
        in_stock=not out,
        wix_push=WIX_OWNS_STOCK if settings is not None and wix_owns_stock(settings) else None,
    )


def _owe(
    session: Session, place: Location, refs: list[int], end: datetime | None, moment: datetime, kind: str = "DISH"
) -> list[int]:
    """Pushes now, and at the 86's end when it has one."""
    jobs = owe_stock_push(session, place.id, refs, now=moment, kind=kind)
    if end is not None:
        jobs += owe_stock_push(session, place.id, refs, at=end, now=moment, kind=kind)
    return jobs


def _location(session: Session, location: str, merchant: str | None, instance_id: str | None) -> Location:
    query = select(Location).where(Location.pos_id == location)
    if merchant is not None:
        query = query.join(Merchant, Merchant.id == Location.merchant_id).where(Merchant.pos_id == merchant)
    if instance_id is not None:
        paired = exists().where(Configuration.location_id == Location.id, Configuration.instance_id == instance_id)
        query = query.where(paired)
    found = list(session.scalars(query.limit(2)))
    if not found:
        raise WixError.of("LOCATION_NOT_FOUND", f"No POS location '{location}'", http_status=404, locationId=location)
    if len(found) > 1:
        raise WixError.of(
            "LOCATION_AMBIGUOUS",
            f"Several merchants have a location '{location}': name the merchant",
            http_status=409,
            locationId=location,
        )
    return found[0]


def _item(session: Session, place: Location, item: str) -> Item:
    found = session.scalar(select(Item).where(Item.merchant_id == place.merchant_id, Item.pos_id == item))
    if found is None:
        raise WixError.of(
            "ITEM_NOT_FOUND", f"No item '{item}' at location '{place.pos_id}'", http_status=404, itemId=item
        )
    return found


def _end_time(until: datetime | None, for_: timedelta | None, place: Location, moment: datetime) -> datetime | None:
    """When an 86 ends: an end time (without a zone: the location's) or now plus a duration; None: never."""
    if until is None and for_ is None:
        return None
    if for_ is not None:
        end = moment + for_
    else:
        assert until is not None
        end = until if until.tzinfo is not None else until.replace(tzinfo=ZoneInfo(place.timezone))
    if end <= moment:
        raise WixError.of("INVALID_UNTIL", "The 86 must end in the future", http_status=400, until=end.isoformat())
    if end > moment + timedelta(days=MAX_86_DAYS):
        raise WixError.of(
            "INVALID_UNTIL", f"The 86 must end within {MAX_86_DAYS} days", http_status=400, until=end.isoformat()
        )
    return end


def _view(
    merchant: str, place: Location, item: Item, row: Stock | None, moment: datetime, settings: Settings | None
) -> StockView:
    available = available_quantity(row, moment)
    out = is_86ed(row, moment)
    return StockView(
        merchant_id=merchant,
        location_id=place.pos_id,
        item_id=item.pos_id,
        item_name=item.name,
        quantity=None if row is None else row.quantity,
        eighty_sixed=out,
        out_until=row.out_until if out and row is not None else None,
        available=available,
        in_stock=available != 0,
        wix_push=WIX_OWNS_STOCK if settings is not None and wix_owns_stock(settings) else None,
    )
