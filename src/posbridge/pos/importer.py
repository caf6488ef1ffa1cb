"""Load a `posbridge.menu/1` document into the built-in POS store, all or nothing.

POS ids are the identity: a re-import of the same document writes nothing, a changed one updates
rows in place (surrogate keys stay, so the sync id map stays valid). Stock in a document is a
restock level: it is applied when it differs from the level the previous import set (or on
`reset_stock`), never merely because orders consumed some since, so re-importing an unchanged
menu cannot oversell. What the document no longer
lists is deactivated (locations, menus, items), kept (option groups and variations, which past
orders reference) or deleted (sections, and links such as section membership and prices).
Each kind is loaded with one query and matched in memory, so a 2,000-item menu takes well
under a second of database work.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, TypeVar

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from posbridge.pos.menu_format import MenuDocument, parse_document
from posbridge.store.db import Database
from posbridge.store.models import (
    Base,
    Item,
    ItemLocationPrice,
    ItemOptionGroup,
    Location,
    Menu,
    MenuLocation,
    Merchant,
    OptionChoice,
    OptionGroup,
    Section,
    SectionItem,
    Stock,
    Variation,
)

# Coordinates and radii are stored with the Money type's four decimals; compare at that precision
# so an unchanged document never looks changed.
_FOUR_PLACES = Decimal("0.0001")
KINDS = (
    "merchant",
    "locations",
    "variations",
    "optionGroups",
    "items",
    "menus",
    "sections",
    "menuLocations",
    "sectionItems",
    "locationPrices",
    "stock",
    "choices",
    "itemOptionGroups",
)

M = TypeVar("M", bound=Base)


@dataclass
class Changes:
    """What an import did to one kind of row."""

    created: int = 0
    updated: int = 0
    removed: int = 0  # deactivated, deleted, or (stock) no longer tracked
    unchanged: int = 0

    @property
    def changed(self) -> int:
        """Rows written."""
        return self.created + self.updated + self.removed


@dataclass
class ImportReport:
    """The outcome of one import: per kind, how many rows were created, updated, removed, left alone."""

    merchant_id: str
    kinds: dict[str, Changes] = field(default_factory=lambda: {kind: Changes() for kind in KINDS})

    @property
    def changed(self) -> int:
        """Rows written in total (0 for a re-import of the same document)."""
        return sum(c.changed for c in self.kinds.values())

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (camelCase kinds, as in the document)."""
        return {
            "merchantId": self.merchant_id,
            "changed": self.changed,
            "kinds": {
                kind: {"created": c.created, "updated": c.updated, "removed": c.removed, "unchanged": c.unchanged}
                for kind, c in self.kinds.items()
            },
        }


def import_menu(db: Database, document: Any, *, reset_stock: bool = False) -> ImportReport:
    """Validate and import a whole document in one transaction; raises `InvalidMenuDocument`.

    `reset_stock` sets every tracked stock to the document's level, even where it did not change.
    """
    parsed = parse_document(document)
    try:
        with db.transaction() as session:
            return _Import(session, parsed, reset_stock=reset_stock).run()
    except IntegrityError:
        # Two first imports of one merchant raced (PostgreSQL); the loser retries against the winner's rows.
        with db.transaction() as session:
            return _Import(session, parsed, reset_stock=reset_stock).run()


def _quantized(value: Decimal | None) -> Decimal | None:
    return None if value is None else value.quantize(_FOUR_PLACES)


def _assign(row: Any, values: Mapping[str, Any]) -> bool:
    """Set only the attributes that differ, so unchanged rows are never written (nor timestamped)."""
    changed = False
    for name, value in values.items():
        if getattr(row, name) != value:
            setattr(row, name, value)
            changed = True
    return changed


class _Import:
    """One import run inside one session."""

    def __init__(self, session: Session, doc: MenuDocument, *, reset_stock: bool = False) -> None:
        self.session = session
        self.doc = doc
        self.reset_stock = reset_stock
        self.report = ImportReport(merchant_id=doc.merchant.id)
        self.merchant_pk = 0  # set by run() once the merchant row exists

    def run(self) -> ImportReport:
        doc = self.doc
        mid = self.merchant_pk = self.merchant().id
        locations = self.upsert(
            "locations",
            Location,
            mid,
            {
                loc.id: {
                    "name": loc.name,
                    "timezone": loc.timezone,
                    "address": loc.address,
                    "latitude": _quantized(loc.latitude),
                    "longitude": _quantized(loc.longitude),
                    "hours": loc.stored_hours(),
                    "fulfillment": loc.fulfillment,
                    "delivery_radius_km": _quantized(loc.delivery_radius_km),
                    "slot_minutes": loc.slot_minutes,
                    "orders_per_slot": loc.orders_per_slot,
                    "require_customer_phone": loc.require_customer_phone,
                    "require_customer_email": loc.require_customer_email,
                    "active": True,
                }
                for loc in doc.locations
            },
        )
        variations = self.upsert("variations", Variation, mid, {v.id: {"name": v.name} for v in doc.variations})
        groups = self.upsert(
            "optionGroups",
            OptionGroup,
            mid,
            {
                g.id: {"name": g.name, "type": g.type, "min_choices": g.min, "max_choices": g.max}
                for g in doc.option_groups
            },
        )
        items = self.upsert(
            "items",
            Item,
            mid,
            {
                it.id: {
                    "name": it.name,
                    "description": it.description,
                    "price": it.price,
                    "tax_rate": it.tax_rate,
                    "labels": it.labels,
                    "image_url": it.image_url,
                    "accept_special_request": it.accept_special_request,
                    "active": True,
                }
                for it in doc.items
            },
        )
        menus = self.upsert(
            "menus",
            Menu,
            mid,
            {
                m.id: {
                    "name": m.name,
                    "description": m.description,
                    "availability": m.stored_availability(),
                    "position": position,
                    "active": True,
                }
                for position, m in enumerate(doc.menus)
            },
        )
        self.session.flush()  # surrogate ids of new rows, needed by sections and links
        sections = self.upsert(
            "sections",
            Section,
            mid,
            {
                s.id: {
                    "menu_id": menus[m.id].id,
                    "name": s.name,
                    "description": s.description,
                    "position": position,
                }
                for m in doc.menus
                for position, s in enumerate(m.sections)
            },
        )
        self.session.flush()
        loc_ids = {pos_id: row.id for pos_id, row in locations.items()}
        item_ids = {pos_id: row.id for pos_id, row in items.items()}
        group_ids = {pos_id: row.id for pos_id, row in groups.items()}
        self.links(
            "menuLocations",
            MenuLocation,
            ("menu_id", "location_id"),
            Menu,
            {(menus[m.id].id, loc_ids[loc]): {} for m in doc.menus for loc in m.locations},
        )
        self.links(
            "sectionItems",
            SectionItem,
            ("section_id", "item_id"),
            Section,
            {
                (sections[s.id].id, item_ids[it]): {"position": position}
                for m in doc.menus
                for s in m.sections
                for position, it in enumerate(s.items)
            },
        )
        self.links(
            "locationPrices",
            ItemLocationPrice,
            ("item_id", "location_id"),
            Item,
            {
                (item_ids[it.id], loc_ids[loc]): {"price": price}
                for it in doc.items
                for loc, price in it.location_prices.items()
            },
        )
        self.links(
            "stock",
            Stock,
            ("item_id", "location_id"),
            Item,
            {
                (item_ids[it.id], loc_ids[loc]): {"quantity": qty, "imported_quantity": qty}
                for it in doc.items
                for loc, qty in it.stock.items()
                if qty is not None
            },
            # A stock row also holds a manual 86; untracking clears the count, never the 86.
            on_removed={"quantity": None, "imported_quantity": None},
            update=self.restock,
        )
        self.links(
            "choices",
            OptionChoice,
            ("group_id", "variation_id"),
            OptionGroup,
            {
                (group_ids[g.id], variations[c.variation].id): {
                    "price": c.price,
                    "is_default": c.variation in g.defaults,
                    "position": position,
                }
                for g in doc.option_groups
                for position, c in enumerate(g.choices)
            },
        )
        self.links(
            "itemOptionGroups",
            ItemOptionGroup,
            ("item_id", "group_id"),
            Item,
            {
                (item_ids[it.id], group_ids[g]): {"position": position}
                for it in doc.items
                for position, g in enumerate(it.option_groups)
            },
        )
        self.session.flush()
        self.delete_absent_sections(sections)
        return self.report

    def merchant(self) -> Merchant:
        """The merchant row, locked for the import so concurrent imports of it queue."""
        doc = self.doc.merchant
        counts = self.report.kinds["merchant"]
        merchant = self.session.scalar(select(Merchant).where(Merchant.pos_id == doc.id).with_for_update())
        if merchant is None:
            merchant = Merchant(pos_id=doc.id, name=doc.name, currency=doc.currency)
            self.session.add(merchant)
            self.session.flush()
            counts.created += 1
        elif _assign(merchant, {"name": doc.name, "currency": doc.currency}):
            counts.updated += 1
        else:
            counts.unchanged += 1
        return merchant

    def upsert(self, kind: str, model: type[M], merchant_id: int, desired: dict[str, dict[str, Any]]) -> dict[str, M]:
        """Create or update the merchant's rows of one kind by POS id; every row of the kind, by POS id."""
        counts = self.report.kinds[kind]
        rows: dict[str, M] = {
            row.pos_id: row  # type: ignore[attr-defined]
            for row in self.session.scalars(select(model).where(model.merchant_id == merchant_id))  # type: ignore[attr-defined]
        }
        self.merge(
            counts, rows, desired, lambda pos_id, values: model(merchant_id=merchant_id, pos_id=pos_id, **values)
        )
        for pos_id, row in rows.items():
            if pos_id in desired:
                continue
            if getattr(row, "active", False):
                row.active = False  # type: ignore[attr-defined]
                counts.removed += 1
            elif model is Section:
                counts.removed += 1  # deleted once its links are gone (delete_absent_sections)
        return rows

    def links(
        self,
        kind: str,
        model: type[M],
        key: tuple[str, str],
        owner: type[Base],
        desired: dict[tuple[int, int], dict[str, Any]],
        *,
        on_removed: dict[str, Any] | None = None,
        update: Callable[[M, dict[str, Any]], dict[str, Any]] | None = None,
    ) -> None:
        """Make one link table match the document: insert, update in place, and delete (or reset) the rest.

        `owner` is the merchant-scoped model the link's first key column points at; `update` picks
        which of the document's values an existing row takes (all of them by default).
        """
        query = (
            select(model)
            .join(owner, owner.id == getattr(model, key[0]))  # type: ignore[attr-defined]
            .where(owner.merchant_id == self.merchant_pk)  # type: ignore[attr-defined]
        )
        existing: dict[tuple[int, int], M] = {
            (getattr(row, key[0]), getattr(row, key[1])): row for row in self.session.scalars(query)
        }
        counts = self.report.kinds[kind]
        stale = [row for pair, row in existing.items() if pair not in desired]
        self.merge(
            counts,
            existing,
            desired,
            lambda pair, values: model(**{key[0]: pair[0], key[1]: pair[1]}, **values),
            update,
        )
        for row in stale:
            if on_removed is None:
                self.session.delete(row)
                counts.removed += 1
            elif _assign(row, on_removed):
                counts.removed += 1

    def merge(
        self,
        counts: Changes,
        rows: dict[Any, M],
        desired: Mapping[Any, dict[str, Any]],
        make: Callable[[Any, dict[str, Any]], M],
        update: Callable[[M, dict[str, Any]], dict[str, Any]] | None = None,
    ) -> None:
        """Create missing rows (added to `rows` and the session) and update the differing ones in place."""
        fresh: list[M] = []
        for key, values in desired.items():
            row = rows.get(key)
            if row is None:
                rows[key] = row = make(key, values)
                fresh.append(row)
                counts.created += 1
            elif _assign(row, values if update is None else update(row, values)):
                counts.updated += 1
            else:
                counts.unchanged += 1
        self.session.add_all(fresh)

    def restock(self, row: Stock, values: dict[str, Any]) -> dict[str, Any]:
        """A document's stock level applies when it changed since the last import, or on reset_stock.

        Otherwise the row keeps its quantity: orders consumed it since, and giving it back oversells.
        """
        if self.reset_stock or row.imported_quantity != values["imported_quantity"] or row.quantity is None:
            return values
        return {}

    def delete_absent_sections(self, sections: dict[str, Section]) -> None:
        """Drop sections the document no longer has (their items were unlinked above)."""
        keep = {s.id for m in self.doc.menus for s in m.sections}
        gone = [row for pos_id, row in sections.items() if pos_id not in keep]
        if not gone:
            return
        for row in gone:
            self.session.expunge(row)
        # A Core delete: the ORM cascade would lazy-load each section's (already emptied) entries.
        self.session.execute(
            delete(Section).where(Section.id.in_([row.id for row in gone])).execution_options(synchronize_session=False)
        )
