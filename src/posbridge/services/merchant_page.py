"""What the merchant's POS Locations page shows: Wix's locations beside the POS's, statuses, syncs, orders.

Wix's side is read live with the app's token (server side, never from the browser); statuses
come from the same services that answer Wix (Get Configuration Status, Get Catalog Sync Status).
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select

from posbridge.errors import WixError
from posbridge.services.configurations import configuration_statuses
from posbridge.services.onboarding import AccountState
from posbridge.services.order_flow import set_auto_accept
from posbridge.services.pairing import find_configuration
from posbridge.services.status import Readiness, ReadinessStatus
from posbridge.services.syncing import CatalogSyncStatus, catalog_sync_status
from posbridge.store.db import Database
from posbridge.store.models import (
    Account,
    Configuration,
    ConfigurationMenu,
    Location,
    Menu,
    MenuLocation,
    OrderLine,
    OrderRow,
    Sync,
)
from posbridge.store.statuses import SyncStatus
from posbridge.sync.catalogs_v3 import CatalogsV3Target
from posbridge.sync.menus_api import MenusApiTarget
from posbridge.wix.client import WixClient
from posbridge.wix.connectivity import list_configurations
from posbridge.wix.errors import WixApiError
from posbridge.wix.generation import Generation
from posbridge.wix.locations import list_business_locations, online_ordering_statuses, site_generation

SUGGEST_THRESHOLD = 0.6
RECENT_ORDERS = 25


@dataclass(frozen=True)
class PosMenu:
    """A POS menu sold at a location."""

    pos_id: str
    name: str


@dataclass
class PosLocation:
    """A POS location of the connected account, with the menus it sells."""

    pos_id: str
    name: str
    address: str
    menus: list[PosMenu] = field(default_factory=list)
    paired_with: str | None = None  # Wix configuration id
    auto_accept: bool = False
    prep_minutes: int | None = None


@dataclass
class LocationRow:
    """One Wix location (configuration) and its pairing."""

    configuration_id: str
    wix_name: str
    catalog_id: str | None
    archived: bool
    enabled: bool
    status: str
    reason: str | None
    pos_location: PosLocation | None = None
    menu_ids: list[str] = field(default_factory=list)
    suggested: PosLocation | None = None
    ever_synced: bool = False
    wix_address: str = ""
    wix_ordering: str | None = None  # new generation: the operation's online ordering, in words
    business_location: bool = False  # new generation: its menus live in the Menus API


@dataclass
class RecentOrder:
    """A recent order, in words."""

    pos_order_id: str
    wix_order_id: str
    location: str
    status: str
    total: Decimal
    currency: str
    items: list[str]
    problem: str | None
    created_at: datetime


@dataclass
class PageData:
    """Everything the page renders."""

    rows: list[LocationRow] = field(default_factory=list)
    pos_locations: list[PosLocation] = field(default_factory=list)
    wix_problem: str | None = None
    generation: Generation = Generation.LEGACY


def _address(raw: dict[str, Any] | None) -> str:
    raw = raw or {}
    parts = [raw.get("street"), raw.get("city"), raw.get("zipCode")]
    return ", ".join(str(p) for p in parts if p)


def _words(text: str) -> str:
    return " ".join(re.findall(r"[a-z0-9]+", text.lower()))


def suggest(wix_name: str, candidates: list[PosLocation], wix_address: str = "") -> PosLocation | None:
    """The POS location whose name (or address) reads most like Wix's location name (or address), if close enough."""
    target, place = _words(wix_name), _words(wix_address)
    best: tuple[float, PosLocation] | None = None
    for candidate in candidates:
        score = max(
            difflib.SequenceMatcher(None, target, _words(candidate.name)).ratio(),
            difflib.SequenceMatcher(None, target, _words(candidate.address)).ratio() if candidate.address else 0.0,
            difflib.SequenceMatcher(None, place, _words(candidate.address)).ratio()
            if place and candidate.address
            else 0.0,
        )
        if best is None or score > best[0]:
            best = (score, candidate)
    return best[1] if best is not None and best[0] >= SUGGEST_THRESHOLD else None


def wix_locations(client: WixClient, instance_id: str) -> tuple[Generation, list[dict[str, Any]]]:
    """The site's Wix locations, live: legacy configurations (POS connectivity API), or on a
    new-generation site its business locations (Locations API) in the same row shape."""
    configurations = list_configurations(client, instance_id)
    if configurations or site_generation(client, instance_id) is not Generation.NEWGEN:
        return Generation.LEGACY, configurations
    ordering = _ordering_by_location(client, instance_id)
    return Generation.NEWGEN, [
        {
            "ordering": ordering.get(str(location.get("id"))),
            "id": location.get("id"),
            "location": {"name": location.get("name")},
            "archived": bool(location.get("archived")),
            "enabled": True,
            "catalogId": None,  # its menus live in the Menus API, not in a catalog
            "businessLocation": True,
            "address": _wix_address(location.get("address")),
        }
        for location in list_business_locations(client, instance_id)
    ]


ORDERING_WORDS = {
    "ENABLED": "Online ordering on in Wix",
    "DISABLED": "Online ordering off in Wix",
    "PAUSED_UNTIL": "Online ordering paused in Wix",
}


def _ordering_by_location(client: WixClient, instance_id: str) -> dict[str, str]:
    """Each business location's ordering operation status, in words."""
    return {
        location: ORDERING_WORDS.get(status, "Online ordering: unknown state")
        for location, status in online_ordering_statuses(client, instance_id).items()
    }


def _wix_address(raw: Any) -> str:
    """A Wix address (`formattedAddress`, or street, city and postal code) in one line."""
    if not isinstance(raw, dict):
        return ""
    if raw.get("formattedAddress"):
        return str(raw["formattedAddress"])
    street = raw.get("streetAddress") or {}
    parts = [
        " ".join(str(p) for p in (street.get("number"), street.get("name")) if p),
        raw.get("city"),
        raw.get("postalCode"),
    ]
    return ", ".join(str(p) for p in parts if p)


def generation_of(db: Database, client: WixClient, instance_id: str, configuration_id: str) -> Generation:
    """How a Wix location id is paired: as it was before, else as the site's generation says."""
    with db.transaction(write=False) as session:
        known = session.scalar(
            select(Configuration.generation).where(
                Configuration.instance_id == instance_id, Configuration.wix_id == configuration_id
            )
        )
    return Generation(known) if known else site_generation(client, instance_id)


def wix_problem(exc: WixApiError) -> str:
    """A Wix failure in words for the page."""
    return f"Wix did not answer with your locations ({exc.status or 'no answer'}): try again in a minute."


def pos_locations(db: Database, merchant_pk: int) -> list[PosLocation]:
    """The merchant's active locations and the active menus each sells (two queries)."""
    with db.transaction(write=False) as session:
        locations = list(
            session.scalars(
                select(Location)
                .where(Location.merchant_id == merchant_pk, Location.active.is_(True))
                .order_by(Location.name, Location.pos_id)
            )
        )
        by_pk = {
            loc.id: PosLocation(
                loc.pos_id, loc.name, _address(loc.address), auto_accept=loc.auto_accept, prep_minutes=loc.prep_minutes
            )
            for loc in locations
        }
        rows = session.execute(
            select(MenuLocation.location_id, Menu.pos_id, Menu.name)
            .join(Menu, Menu.id == MenuLocation.menu_id)
            .where(MenuLocation.location_id.in_(list(by_pk)), Menu.active.is_(True))
            .order_by(Menu.position, Menu.id)
        )
        for location_pk, pos_id, name in rows:
            by_pk[location_pk].menus.append(PosMenu(pos_id, name))
        return list(by_pk.values())


def build_rows(
    db: Database,
    state: AccountState,
    instance_id: str,
    configurations: list[dict[str, Any]],
    locations: list[PosLocation],
) -> list[LocationRow]:
    """Each Wix location beside its pairing, its status as Wix reads it and a suggested POS location."""
    account = state.account
    by_pos_id = {loc.pos_id: loc for loc in locations}
    with db.transaction(write=False) as session:
        local = {
            c.wix_id: c for c in session.scalars(select(Configuration).where(Configuration.instance_id == instance_id))
        }
        paired_pos: dict[str, str] = {}
        menus_of: dict[str, list[str]] = {}
        synced: set[int] = set()
        if local:
            location_ids = {
                loc.id: loc.pos_id
                for loc in session.scalars(
                    select(Location).where(Location.id.in_([c.location_id for c in local.values() if c.location_id]))
                )
            }
            wix_of = {conf.id: wix_id for wix_id, conf in local.items()}
            for wix_id, conf in local.items():
                if conf.location_id is not None and conf.location_id in location_ids:
                    paired_pos[wix_id] = location_ids[conf.location_id]
            for configuration_pk, menu_pos_id in session.execute(
                select(ConfigurationMenu.configuration_id, Menu.pos_id)
                .join(Menu, Menu.id == ConfigurationMenu.menu_id)
                .where(ConfigurationMenu.configuration_id.in_(list(wix_of)))
                .order_by(ConfigurationMenu.configuration_id, ConfigurationMenu.position)
            ):
                menus_of.setdefault(wix_of[configuration_pk], []).append(menu_pos_id)
            synced = set(
                session.scalars(
                    select(Sync.configuration_id)
                    .where(Sync.configuration_id.in_([c.id for c in local.values()]), Sync.status == SyncStatus.SYNCED)
                    .group_by(Sync.configuration_id)
                )
            )
    for wix_id, pos_id in paired_pos.items():
        if pos_id in by_pos_id:
            by_pos_id[pos_id].paired_with = wix_id
    wanted = [str(raw.get("id")) for raw in configurations if raw.get("id")]
    statuses = configuration_statuses(db, instance_id, account.account_id, wanted) if account is not None else {}
    rows = []
    for raw in sorted(
        configurations, key=lambda c: (bool(c.get("archived")), str((c.get("location") or {}).get("name") or ""))
    ):
        wix_id = str(raw.get("id") or "")
        if not wix_id:
            continue
        name = str((raw.get("location") or {}).get("name") or wix_id)
        answer = statuses.get(wix_id) or Readiness(
            ReadinessStatus.NOT_STARTED, "No POS account is connected to this site"
        )
        status, reason = answer.status, answer.reason
        known = local.get(wix_id)
        row = LocationRow(
            configuration_id=wix_id,
            wix_name=name,
            catalog_id=raw.get("catalogId"),
            archived=bool(raw.get("archived")),
            enabled=bool(raw.get("enabled", True)),
            status=status,
            reason=reason,
            pos_location=by_pos_id.get(paired_pos.get(wix_id, "")),
            menu_ids=menus_of.get(wix_id, []),
            ever_synced=known is not None and known.id in synced,
            wix_address=str(raw.get("address") or ""),
            wix_ordering=raw.get("ordering"),
            business_location=bool(raw.get("businessLocation")),
        )
        if row.pos_location is None and account is not None:
            row.suggested = suggest(name, [loc for loc in locations if loc.paired_with is None], row.wix_address)
        rows.append(row)
    return rows


def sync_state(db: Database, instance_id: str, configuration_id: str) -> CatalogSyncStatus | None:
    """The sync state Get Catalog Sync Status reports for the paired account, or None when none was ever requested.

    Wix reads "never synced" as PENDING; the page says "never synced" instead, and polls nothing.
    Another instance's (or an unknown) configuration is LOCATION_NOT_FOUND.
    """
    with db.transaction(write=False) as session:
        configuration = find_configuration(session, instance_id, configuration_id)
        account_id = session.scalar(select(Account.account_id).where(Account.id == configuration.account_pk))
        requested = session.scalar(select(Sync.id).where(Sync.configuration_id == configuration.id).limit(1))
    if requested is None or account_id is None:
        return None
    return catalog_sync_status(db, instance_id, account_id, configuration_id)


def set_order_acceptance(
    db: Database, instance_id: str, configuration_id: str, *, auto_accept: bool, prep_minutes: int | None
) -> str:
    """Order acceptance of the POS location paired with this site's configuration; the location's name.

    Only a location paired with one of the instance's own configurations can be changed from its page.
    """
    with db.transaction(write=False) as session:
        configuration = find_configuration(session, instance_id, configuration_id)
        location = session.get(Location, configuration.location_id) if configuration.location_id else None
        if location is None:
            raise WixError.of(
                "ACCOUNT_CONFIGURATION",
                "Pair this Wix location first",
                http_status=409,
                configurationId=configuration_id,
            )
        location_pk, name = location.id, location.name
    set_auto_accept(db, location_pk, enabled=auto_accept, prep_minutes=prep_minutes)
    return name


def ever_synced(db: Database, instance_id: str, configuration_id: str) -> bool:
    """Whether the instance's configuration has had a successful sync (another instance's: LOCATION_NOT_FOUND)."""
    with db.transaction(write=False) as session:
        configuration = find_configuration(session, instance_id, configuration_id)
        return (
            session.scalar(
                select(Sync.id)
                .where(Sync.configuration_id == configuration.id, Sync.status == SyncStatus.SYNCED)
                .limit(1)
            )
            is not None
        )


def recent_orders(db: Database, instance_id: str, limit: int = RECENT_ORDERS) -> list[RecentOrder]:
    """The instance's newest orders, those needing attention first (three indexed queries, columns only)."""
    columns = (
        OrderRow.id,
        OrderRow.pos_order_id,
        OrderRow.wix_order_id,
        Location.name,
        OrderRow.status,
        OrderRow.total,
        OrderRow.currency,
        OrderRow.needs_attention,
        OrderRow.created_at,
    )
    newest = (OrderRow.created_at.desc(), OrderRow.id.desc())
    with db.transaction(write=False) as session:

        def pick(*conditions: Any) -> list[Any]:
            # The newest ids first (the (instance_id, created_at) index), then the join on those few rows.
            ids = (
                select(OrderRow.id)
                .where(OrderRow.instance_id == instance_id, *conditions)
                .order_by(*newest)
                .limit(limit)
            ).subquery()
            query = (
                select(*columns).join(ids, ids.c.id == OrderRow.id).join(Location, Location.id == OrderRow.location_id)
            )
            return list(session.execute(query.order_by(*newest)).all())

        problems = pick(OrderRow.needs_attention.is_not(None))
        found = pick()
        rows = list({row[0]: row for row in [*problems, *found]}.values())
        lines: dict[int, list[str]] = {}
        for order_id, name, quantity in session.execute(
            select(OrderLine.order_id, OrderLine.name, OrderLine.quantity)
            .where(OrderLine.order_id.in_([row[0] for row in rows]))
            .order_by(OrderLine.order_id, OrderLine.position)
        ):
            lines.setdefault(order_id, []).append(f"{quantity} × {name}")
    return [
        RecentOrder(
            pos_order_id=pos_order_id,
            wix_order_id=wix_order_id,
            location=location,
            status=status,
            total=total,
            currency=currency,
            items=lines.get(order_pk, []),
            problem=problem,
            created_at=created_at,
        )
        for order_pk, pos_order_id, wix_order_id, location, status, total, currency, problem, created_at in rows
    ]


def order_count(db: Database, instance_id: str) -> int:
    """How many orders the instance has (for the empty state)."""
    with db.transaction(write=False) as session:
        return int(
            session.scalar(select(func.count()).select_from(OrderRow).where(OrderRow.instance_id == instance_id)) or 0
        )


def existing_wix_menus(client: WixClient, instance_id: str, catalog_id: str) -> list[str]:
    """Names of the menus live on the Wix site for this location (a first sync disables those the POS did not make)."""
    live = CatalogsV3Target(client, instance_id, catalog_id).read_live(sections=False, items=False)
    return [str(menu.fields.get("name") or menu.key) for menu in live.menus.values() if not menu.archived]


def existing_location_menus(client: WixClient, instance_id: str, business_location_id: str) -> list[str]:
    """New generation: names of the Menus API menus shown for this business location (a first sync hides
    those the POS did not make); another site's location is 'not found', as Wix's Locations API says."""
    if not any(str(loc.get("id")) == business_location_id for loc in list_business_locations(client, instance_id)):
        raise WixError.of(
            "LOCATION_NOT_FOUND",
            "This Wix business location is not on your site",
            configurationId=business_location_id,
        )
    menus = MenusApiTarget(client, instance_id, business_location_id).location_menus()
    return [str(menu.get("name") or menu.get("id")) for menu in menus if menu.get("visible") is not False]
