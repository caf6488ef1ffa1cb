"""The built-in POS store as a `PosBackend`: its menus, prices and stock are rows of this database.

Bound to one session (the caller's unit of work). The location and merchant rows it reads are kept
for the session's life: the identity map holds rows weakly, and code that reads them again in the
same transaction (configuration readiness) must find them there rather than query again. The
statements are built once: every Validate and Create Order runs them, and building one costs more
Python than SQLAlchemy's compiled cache saves.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session, joinedload

from posbridge.orders.model import OrderStatus
from posbridge.pos.backend import (
    MenuScope,
    OrderPlacement,
    PlacedOrder,
    PosBackend,
    PosCatalog,
    PosChoice,
    PosItem,
    PosItemChoice,
    PosItemState,
    PosLocation,
    PosMenu,
    PosMerchant,
    PosOptionGroup,
    PosOrderUnknown,
    PosRef,
    PosVariation,
    StatusChange,
    StockLevel,
)
from posbridge.pos.pricing import price_at
from posbridge.pos.stock import decrement, owe_stock_push, stock_rows
from posbridge.store.models import (
    ChoiceStock,
    ConfigurationMenu,
    Item,
    ItemOptionGroup,
    Location,
    Menu,
    MenuLocation,
    Merchant,
    OptionChoice,
    OptionGroup,
    OrderLine,
    OrderRow,
    OrderStatusChange,
    Section,
    SectionItem,
    Stock,
    Variation,
)
from posbridge.store.types import utcnow

_LIVE_MENUS = (
    select(Menu)
    .join(ConfigurationMenu, ConfigurationMenu.menu_id == Menu.id)
    .join(MenuLocation, (MenuLocation.menu_id == Menu.id) & (MenuLocation.location_id == bindparam("location")))
    .where(
        ConfigurationMenu.configuration_id == bindparam("selection"),
        Menu.merchant_id == bindparam("merchant"),
        Menu.active.is_(True),
    )
    .order_by(ConfigurationMenu.position)
)
# Joined, not selectin: an order names a few items, and one statement costs less Python than three.
_ITEMS = (
    select(Item)
    .where(Item.id.in_(bindparam("ids", expanding=True)), Item.merchant_id == bindparam("merchant"))
    .options(joinedload(Item.location_prices), joinedload(Item.option_groups))
)
_GROUPS = (
    select(OptionGroup)
    .where(OptionGroup.id.in_(bindparam("ids", expanding=True)))
    .options(joinedload(OptionGroup.choices))
)
# With each choice's 86 at the location (one statement: the order path counts its round trips).
_VARIATIONS = (
    select(Variation, ChoiceStock)
    .outerjoin(
        ChoiceStock,
        (ChoiceStock.variation_id == Variation.id) & (ChoiceStock.location_id == bindparam("location")),
    )
    .where(Variation.id.in_(bindparam("ids", expanding=True)), Variation.merchant_id == bindparam("merchant"))
)
_ITEM_MENUS = (
    select(SectionItem.item_id, Section.menu_id)
    .join(Section, Section.id == SectionItem.section_id)
    .where(
        SectionItem.item_id.in_(bindparam("items", expanding=True)),
        Section.menu_id.in_(bindparam("menus", expanding=True)),
    )
    .distinct()
)
_LOCATION_BY_POS_IDS = (
    select(Location.id)
    .join(Merchant, Merchant.id == Location.merchant_id)
    .where(Merchant.pos_id == bindparam("merchant"), Location.pos_id == bindparam("location"))
)
_ITEM_STATES = select(Item.id, Item.name, Item.active).where(Item.id.in_(bindparam("ids", expanding=True)))
_ITEM_CHOICES = (
    select(OptionGroup.name, OptionGroup.type, Variation.id, Variation.name, OptionChoice.price)
    .join(ItemOptionGroup, ItemOptionGroup.group_id == OptionGroup.id)
    .join(OptionChoice, OptionChoice.group_id == OptionGroup.id)
    .join(Variation, Variation.id == OptionChoice.variation_id)
    .where(ItemOptionGroup.item_id == bindparam("item"))
    .order_by(ItemOptionGroup.position, OptionChoice.position)
)
_LOCK_LOCATION = select(Location.id).where(Location.id == bindparam("location")).with_for_update()
_BY_POS_ORDER_ID = select(OrderRow).where(OrderRow.pos_order_id == bindparam("pos_order_id"))
# A cancelled order gives its portions back while nothing was cooked for it yet (decisions.md "Stock and 86").
GIVES_BACK = frozenset({OrderStatus.NEW, OrderStatus.ACCEPTED})


def new_pos_order_id() -> str:
    """A fresh POS order id: "po_" + 32 hex digits."""
    return f"po_{uuid.uuid4().hex}"


class BuiltinPos(PosBackend):
    """The built-in store, read and written through the caller's session."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self._rows: list[object] = []  # location and merchant rows kept alive (see the module docstring)
        # (location, item) → its stock row held FOR UPDATE, None when the item's stock is not tracked
        self._held: dict[tuple[PosRef, PosRef], Stock | None] = {}
        self._jobs: list[int] = []

    def merchant(self, merchant_id: PosRef) -> PosMerchant | None:
        row = self.session.get(Merchant, merchant_id)
        if row is None:
            return None
        self._rows.append(row)
        return PosMerchant(row.id, row.name, row.currency)

    def location(self, location_id: PosRef) -> PosLocation | None:
        row = self.session.get(Location, location_id)
        if row is None:
            return None
        self._rows.append(row)
        return PosLocation(
            id=row.id,
            pos_id=row.pos_id,
            name=row.name,
            timezone=row.timezone,
            hours=row.hours or [],
            fulfillment=tuple(str(kind).upper() for kind in row.fulfillment or []),
            delivery_radius_km=row.delivery_radius_km,
            latitude=row.latitude,
            longitude=row.longitude,
            slot_minutes=row.slot_minutes or 15,
            orders_per_slot=row.orders_per_slot,
            require_customer_phone=row.require_customer_phone,
            require_customer_email=row.require_customer_email,
            active=row.active,
            auto_accept=row.auto_accept,
            prep_minutes=row.prep_minutes,
        )

    def find_location(self, merchant_pos_id: str, location_pos_id: str) -> PosLocation | None:
        location_id = self.session.scalar(
            _LOCATION_BY_POS_IDS, {"merchant": merchant_pos_id, "location": location_pos_id}
        )
        return None if location_id is None else self.location(location_id)

    def items(self, item_ids: Iterable[PosRef]) -> dict[PosRef, PosItemState]:
        ids = list(set(item_ids))
        if not ids:
            return {}
        return {
            row.id: PosItemState(row.id, row.name, row.active)
            for row in self.session.execute(_ITEM_STATES, {"ids": ids})
        }

    def item_choices(self, item_id: PosRef) -> list[PosItemChoice]:
        return [PosItemChoice(*row) for row in self.session.execute(_ITEM_CHOICES, {"item": item_id})]

    def menus(self, scope: MenuScope) -> list[PosMenu]:
        params = {"location": scope.location_id, "selection": scope.selection_id, "merchant": scope.merchant_id}
        return [PosMenu(menu.id, menu.name, menu.availability) for menu in self.session.scalars(_LIVE_MENUS, params)]

    def catalog(
        self, scope: MenuScope, item_ids: Iterable[PosRef], variation_ids: Iterable[PosRef], menus: Sequence[PosMenu]
    ) -> PosCatalog:
        merchant = scope.merchant_id
        rows = list(self.session.scalars(_ITEMS, {"ids": list(item_ids), "merchant": merchant}).unique())
        group_ids = {link.group_id for item in rows for link in item.option_groups}
        groups = {
            group.id: PosOptionGroup(
                group.id,
                group.name,
                group.type,
                group.min_choices,
                group.max_choices,
                tuple(PosChoice(choice.variation_id, choice.price) for choice in group.choices),
            )
            for group in self.session.scalars(_GROUPS, {"ids": list(group_ids)}).unique()
        }
        variations: dict[PosRef, PosVariation] = {}
        out: dict[PosRef, StockLevel] = {}
        params = {"ids": list(variation_ids), "merchant": merchant, "location": scope.location_id}
        for v, marked in self.session.execute(_VARIATIONS, params):
            variations[v.id] = PosVariation(v.id, v.name)
            if marked is not None and marked.out_of_stock:
                out[v.id] = StockLevel(v.id, None, marked.out_of_stock, marked.out_until)
        placed = self._item_menus({row.id for row in rows}, menus)
        items = {
            row.id: PosItem(
                row.id,
                row.name,
                row.active,
                price_at(row, scope.location_id),
                tuple(link.group_id for link in row.option_groups),
                tuple(placed.get(row.id, ())),
            )
            for row in rows
        }
        return PosCatalog(items, groups, variations, out)

    def _item_menus(self, item_ids: set[PosRef], menus: Sequence[PosMenu]) -> dict[PosRef, list[PosRef]]:
        """For each item, which of these menus it appears on."""
        placed: dict[PosRef, list[PosRef]] = defaultdict(list)
        if not item_ids or not menus:
            return placed
        rows = self.session.execute(_ITEM_MENUS, {"items": list(item_ids), "menus": [menu.id for menu in menus]})
        for item_id, menu_id in rows:
            placed[item_id].append(menu_id)
        return placed

    def stock(self, location_id: PosRef, item_ids: Iterable[PosRef], *, hold: bool = False) -> dict[PosRef, StockLevel]:
        ids = set(item_ids)
        rows = stock_rows(self.session, location_id, ids, lock=hold)
        if hold:
            self._held.update({(location_id, item_id): rows.get(item_id) for item_id in ids})
        return {
            item_id: StockLevel(item_id, row.quantity, row.out_of_stock, row.out_until) for item_id, row in rows.items()
        }

    def set_auto_accept(self, location_id: PosRef, *, enabled: bool, prep_minutes: int | None) -> bool:
        row = self.session.get(Location, location_id, with_for_update=True)
        if row is None:
            return False
        row.auto_accept, row.prep_minutes = enabled, prep_minutes
        return True

    def hold_location(self, location_id: PosRef) -> None:
        self.session.execute(_LOCK_LOCATION, {"location": location_id})

    def place_order(self, placement: OrderPlacement) -> PlacedOrder:
        """Take the ordered units from tracked stock (the rows `stock(hold=True)` read) and name the order."""
        location = placement.location.id
        missing = [item for item in placement.demand if (location, item) not in self._held]
        if missing:
            self.stock(location, missing, hold=True)
        sold_out = [
            item_id
            for item_id, quantity in placement.demand.items()
            if decrement(self._held.get((location, item_id)), quantity)
        ]
        self._jobs += owe_stock_push(self.session, location, sold_out)
        return PlacedOrder(new_pos_order_id(), confirmed=True)

    def change_status(self, pos_order_id: str, change: StatusChange) -> None:
        """The built-in kitchen's status is the order's record: set it and add a step to its history."""
        order = self.session.scalar(_BY_POS_ORDER_ID, {"pos_order_id": pos_order_id})
        if order is None:
            raise PosOrderUnknown(f"No order '{pos_order_id}' in the built-in POS")
        previous, order.status = order.status, change.status
        if change.status == OrderStatus.CANCELED and previous in GIVES_BACK:
            self._give_back(order)
        self.session.add(
            OrderStatusChange(
                order_id=order.id,
                status=change.status,
                previous_status=previous,
                at=change.at or utcnow(),
                actor=change.actor,
                note=change.reason,
            )
        )

    def owed_jobs(self) -> list[int]:
        jobs, self._jobs = self._jobs, []
        return jobs

    def _give_back(self, order: OrderRow) -> None:
        """Return a cancelled order's units to tracked stock; an item back from zero is pushed to Wix."""
        demand: dict[PosRef, int] = defaultdict(int)
        for line in self.session.scalars(select(OrderLine).where(OrderLine.order_id == order.id)):
            demand[line.item_id] += line.quantity
        rows = stock_rows(self.session, order.location_id, demand, lock=True)
        back = []
        for item_id, row in rows.items():
            if row.quantity is None:
                continue
            if row.quantity <= 0:
                back.append(item_id)
            row.quantity = max(row.quantity, 0) + demand[item_id]
        self._jobs += owe_stock_push(self.session, order.location_id, back)
