"""The desired catalog of a configuration: what Wix should show, built from the POS database.

`load_scope` reads everything one configuration sells (its location, the selected menus that are
active and sold there, their sections, items, option groups and variations) in a fixed number of
queries; `build_desired` maps it onto the target-neutral model of `posbridge.sync.catalog`,
keyed by POS refs. Validation (`posbridge.sync.validate`) runs on the same scope first.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from posbridge.pos.hours import DAYS, parse_clock
from posbridge.pos.pricing import price_at
from posbridge.pos.stock import available_quantity, choice_rows, is_86ed, is_required, stock_rows
from posbridge.store.models import (
    Account,
    Configuration,
    Item,
    Location,
    Menu,
    MenuLocation,
    Merchant,
    OptionGroup,
    Section,
    SectionItem,
    Stock,
    Variation,
)
from posbridge.sync.catalog import DISH, MENU, SECTION, VARIATION, Entity, Option, Period, Ref, content_hash
from posbridge.sync.ownership import Ownership

# POS fulfillment types → Wix's two visibility fulfillment types.
FULFILLMENT = {"PICKUP": "PICKUP_OR_DINE_IN", "DINE_IN": "PICKUP_OR_DINE_IN", "DELIVERY": "DELIVERY"}


@dataclass
class PosScope:
    """Everything one configuration sells, read from the POS database in one transaction."""

    configuration: Configuration
    account: Account | None
    location: Location | None
    merchant: Merchant | None
    menus: list[Menu]  # selected, active and sold at the location, in the merchant's chosen order
    skipped_menus: list[tuple[Menu, str]]  # selected but not sellable here, with why
    sections: dict[int, list[Section]]  # by menu id, in display order
    entries: dict[int, list[int]]  # section id → item ids in display order
    items: dict[int, Item]
    stock: dict[int, Stock]
    groups: dict[int, OptionGroup]
    variations: dict[int, Variation]
    now: datetime
    choices_out: set[int] = field(default_factory=set)  # variation ids 86ed at the location now

    def blocked(self, item: Item) -> bool:
        """Every choice of one of the item's required option groups is 86ed: it cannot be ordered."""
        for link in item.option_groups:
            group = self.groups.get(link.group_id)
            if group is None or not group.choices or not is_required(group.type, group.min_choices):
                continue
            if all(c.variation_id in self.choices_out for c in group.choices):
                return True
        return False

    def active_items(self, section_id: int) -> list[Item]:
        """The section's items that the POS still sells, once each, in display order."""
        seen: set[int] = set()
        out = []
        for item_id in self.entries.get(section_id, []):
            item = self.items.get(item_id)
            if item is not None and item.active and item_id not in seen:
                seen.add(item_id)
                out.append(item)
        return out


def load_scope(session: Session, configuration_pk: int, now: datetime) -> PosScope:
    """Read a configuration's sellable POS menus (about ten queries whatever the menu size)."""
    configuration = session.get(Configuration, configuration_pk)
    if configuration is None:
        raise LookupError(f"configuration {configuration_pk} does not exist")
    account = session.get(Account, configuration.account_pk) if configuration.account_pk else None
    location = session.get(Location, configuration.location_id) if configuration.location_id else None
    merchant = session.get(Merchant, location.merchant_id) if location else None
    menus: list[Menu] = []
    skipped: list[tuple[Menu, str]] = []
    if location is not None:
        selected = [cm.menu_id for cm in configuration.selected_menus]
        by_id = {m.id: m for m in session.scalars(select(Menu).where(Menu.id.in_(selected)))} if selected else {}
        sold_here = set(
            session.scalars(
                select(MenuLocation.menu_id).where(
                    MenuLocation.location_id == location.id, MenuLocation.menu_id.in_(selected or [-1])
                )
            )
        )
        for menu_id in selected:
            menu = by_id.get(menu_id)
            if menu is None or menu.merchant_id != location.merchant_id:
                continue
            if not menu.active:
                skipped.append((menu, "the menu is inactive in the POS"))
            elif menu.id not in sold_here:
                skipped.append((menu, f"the menu is not sold at {location.name}"))
            else:
                menus.append(menu)
    menu_ids = [m.id for m in menus]
    sections: dict[int, list[Section]] = {m: [] for m in menu_ids}
    for section in session.scalars(
        select(Section).where(Section.menu_id.in_(menu_ids or [-1])).order_by(Section.position, Section.id)
    ):
        sections[section.menu_id].append(section)
    section_ids = [s.id for group in sections.values() for s in group]
    entries: dict[int, list[int]] = {s: [] for s in section_ids}
    for row in session.scalars(
        select(SectionItem)
        .where(SectionItem.section_id.in_(section_ids or [-1]))
        .order_by(SectionItem.position, SectionItem.item_id)
    ):
        entries[row.section_id].append(row.item_id)
    item_ids = sorted({i for ids in entries.values() for i in ids})
    items = {
        item.id: item
        for item in session.scalars(
            select(Item)
            .where(Item.id.in_(item_ids or [-1]))
            .options(selectinload(Item.location_prices), selectinload(Item.option_groups))
        )
    }
    group_ids = sorted({link.group_id for item in items.values() for link in item.option_groups})
    groups = {
        g.id: g
        for g in session.scalars(
            select(OptionGroup).where(OptionGroup.id.in_(group_ids or [-1])).options(selectinload(OptionGroup.choices))
        )
    }
    variation_ids = sorted({c.variation_id for g in groups.values() for c in g.choices})
    variations = {v.id: v for v in session.scalars(select(Variation).where(Variation.id.in_(variation_ids or [-1])))}
    stock = stock_rows(session, location.id, item_ids) if location else {}
    choice_stock = choice_rows(session, location.id, variation_ids) if location else {}
    return PosScope(
        configuration=configuration,
        account=account,
        location=location,
        merchant=merchant,
        menus=menus,
        skipped_menus=skipped,
        sections=sections,
        entries=entries,
        items=items,
        stock=stock,
        groups=groups,
        variations=variations,
        now=now,
        choices_out={v for v, row in choice_stock.items() if is_86ed(row, now)},
    )


@dataclass
class DesiredCatalog:
    """The catalog a configuration should have, keyed by POS refs, in display order."""

    menus: list[Entity] = field(default_factory=list)
    sections: dict[int, Entity] = field(default_factory=dict)
    dishes: dict[int, Entity] = field(default_factory=dict)
    variations: dict[int, Entity] = field(default_factory=dict)
    section_menu: dict[int, int] = field(default_factory=dict)  # section ref → menu ref
    placement: dict[int, tuple[int, int]] = field(default_factory=dict)  # dish ref → first (menu, section)

    def of(self, kind: str) -> dict[int, Entity]:
        """Entities of one kind by POS ref."""
        if kind == MENU:
            return {_ref(e): e for e in self.menus}
        return {SECTION: self.sections, DISH: self.dishes, VARIATION: self.variations}[kind]

    def hashes(self) -> dict[tuple[str, int], str]:
        """Content hash of every entity, by (kind, POS ref)."""
        return {
            (kind, ref): content_hash(kind, entity.fields)
            for kind in (MENU, SECTION, DISH, VARIATION)
            for ref, entity in self.of(kind).items()
        }

    def fingerprint(self, ownership: Ownership) -> str:
        """One hash of the whole catalog and the ownership rules it was built under."""
        digest = hashlib.sha256()
        for (kind, ref), value in sorted(self.hashes().items()):
            digest.update(f"{kind}:{ref}:{value};".encode())
        digest.update(repr(sorted(ownership.wix_owned)).encode())
        return digest.hexdigest()

    def count(self) -> int:
        """How many entities the catalog holds."""
        return len(self.menus) + len(self.sections) + len(self.dishes) + len(self.variations)


def _ref(entity: Entity) -> int:
    assert isinstance(entity.key, Ref)
    return entity.key.pos_ref


def build_desired(scope: PosScope) -> DesiredCatalog:
    """Map a validated scope onto the neutral catalog model."""
    assert scope.location is not None
    desired = DesiredCatalog()
    fulfillment = tuple(sorted({FULFILLMENT[f] for f in scope.location.fulfillment if f in FULFILLMENT}))
    used_groups: dict[int, OptionGroup] = {}
    for menu in scope.menus:
        section_keys = []
        for section in scope.sections.get(menu.id, []):
            section_keys.append(Ref(SECTION, section.id))
            dish_keys = []
            for item in scope.active_items(section.id):
                dish_keys.append(Ref(DISH, item.id))
                if item.id not in desired.dishes:
                    desired.dishes[item.id] = _dish(scope, item)
                    desired.placement[item.id] = (menu.id, section.id)
                    for link in item.option_groups:
                        used_groups[link.group_id] = scope.groups[link.group_id]
            desired.sections[section.id] = Entity(
                SECTION,
                Ref(SECTION, section.id),
                {"name": section.name.strip(), "description": section.description or "", "items": tuple(dish_keys)},
            )
            desired.section_menu[section.id] = menu.id
        desired.menus.append(
            Entity(
                MENU,
                Ref(MENU, menu.id),
                {
                    "name": menu.name.strip(),
                    "description": menu.description or "",
                    "visible": True,
                    "availability": periods(menu.availability),
                    "fulfillmentTypes": fulfillment,
                    "sections": tuple(section_keys),
                },
            )
        )
    for variation_id, price in _variation_prices(used_groups).items():
        desired.variations[variation_id] = Entity(
            VARIATION,
            Ref(VARIATION, variation_id),
            {
                "name": scope.variations[variation_id].name.strip(),
                "price": price,
                "inStock": variation_id not in scope.choices_out,
            },
        )
    return desired


def _dish(scope: PosScope, item: Item) -> Entity:
    assert scope.location is not None
    options = []
    for link in item.option_groups:
        group = scope.groups[link.group_id]
        choices = tuple((Ref(VARIATION, c.variation_id), c.price) for c in group.choices)
        defaults = tuple(Ref(VARIATION, c.variation_id) for c in group.choices if c.is_default)
        name = group.name.strip()
        if group.type == "SELECTION":
            options.append(Option(name, "SELECTION", choices, defaults[:1], group=group.id))
        elif group.type == "EXTRAS":
            options.append(
                Option(name, "EXTRAS", choices, defaults, group.min_choices, group.max_choices, group=group.id)
            )
        else:
            options.append(Option(name, "DESELECTION", choices, group=group.id))
    quantity = available_quantity(scope.stock.get(item.id), scope.now)
    fields: dict[str, Any] = {
        "name": item.name.strip(),
        "description": item.description or "",
        "price": price_at(item, scope.location.id),
        "taxRate": item.tax_rate,
        "labels": tuple(str(label) for label in item.labels or ()),
        "imageUrl": item.image_url or None,
        "inStock": quantity != 0 and not scope.blocked(item),
        "acceptSpecialRequest": bool(item.accept_special_request),
        "options": tuple(options),
    }
    return Entity(DISH, Ref(DISH, item.id), fields)


def _variation_prices(groups: dict[int, OptionGroup]) -> dict[int, Decimal]:
    # A variation is priced at the lowest price any group offers it for; the price a customer
    # pays is the choice's price on each dish, which Wix keeps in the dish's options.
    prices: dict[int, Decimal] = {}
    for group in groups.values():
        for choice in group.choices:
            known = prices.get(choice.variation_id)
            prices[choice.variation_id] = choice.price if known is None else min(known, choice.price)
    return dict(sorted(prices.items()))


def periods(availability: list[Any] | None) -> tuple[Period, ...] | None:
    """Menu availability windows as Wix periods; a window that ends at or before its start runs overnight."""
    if not availability:
        return None
    out: list[Period] = []
    for window in availability:
        start, end = str(window["from"]), str(window["to"])
        overnight = parse_clock(end, allow_24=True) <= parse_clock(start)
        for day in window.get("days", []):
            day = str(day).upper()[:3]
            close_day = DAYS[(DAYS.index(day) + 1) % 7] if overnight else day
            period = Period(day, start, close_day, end)
            if period not in out:
                out.append(period)
    return tuple(out)
