"""Every check of an order against the POS (product.md §3 step 5), in order, all failures together.

`check_order` either returns an `OrderPlan` (the order resolved against the POS: items, option
groups, choices, stock, slot) or raises one `WixError` listing every failure in check order.
Tenancy and readiness failures stop at once: without a READY pairing nothing else can be judged.

In observe mode (`OrderPolicy.mode`, or the instance's own setting) every check still runs, but
only the checks that protect the kitchen (unknown item, out of stock, closed, capacity, a
fulfillment the location does not do, quantities and amounts beyond the limits) refuse the order;
the others come back in `OrderPlan.observed` for the caller to log and record.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session

from posbridge.config import Settings
from posbridge.errors import ErrorDetail, WixError
from posbridge.orders.model import FulfillmentType, Order, OrderLine, OrderStatus, all_choices
from posbridge.pos import geo, hours
from posbridge.pos.backend import (
    MenuScope,
    PosBackend,
    PosCatalog,
    PosItem,
    PosLocation,
    PosMenu,
    PosMerchant,
    PosOptionGroup,
    PosVariation,
    StockLevel,
)
from posbridge.services.order_totals import (
    CHOICES_ADDED,
    Reading,
    choices_amount,
    line_amount,
    mismatch,
    payments_error,
    service_fees_of,
    tolerance_for,
    totals_errors,
)
from posbridge.store.models import Configuration, Instance, OrderRow, SyncIdMap
from posbridge.store.types import MONEY_MAX, money_text

DISH, VARIATION = "DISH", "VARIATION"


class CheckMode(StrEnum):
    """How the checks judge (`POSBRIDGE_ORDER_CHECKS`, or an instance's own `order_checks`)."""

    ENFORCE = "enforce"  # every failure refuses the order
    OBSERVE = "observe"  # only the kitchen's refuse; the rest are logged and recorded


ENFORCE, OBSERVE = CheckMode.ENFORCE, CheckMode.OBSERVE


@dataclass(frozen=True)
class OrderPolicy:
    """How strictly orders are judged (settings `POSBRIDGE_ORDER_*`; docs/decisions.md "Order intake")."""

    mode: CheckMode = ENFORCE  # an instance's own setting wins
    max_quantity: int = 999  # units per line or choice
    tolerance: Decimal = Decimal("0.01")  # rounding allowed per line on the order's sums
    promised_time_grace: timedelta = timedelta(minutes=10)  # how far past a scheduled time may lie

    @classmethod
    def from_settings(cls, settings: Settings) -> OrderPolicy:
        """The policy the settings describe."""
        return cls(
            mode=CheckMode(settings.order_checks),
            max_quantity=settings.order_max_quantity,
            tolerance=settings.order_total_tolerance,
            promised_time_grace=timedelta(seconds=settings.order_promised_time_grace_seconds),
        )


# The statements of every Validate and Create Order call that read posbridge's own records (the POS
# is read through its backend), built once: building a statement costs more Python than
# SQLAlchemy's compiled cache saves, so only parameters change per call.
_ID_MAP = select(SyncIdMap).where(
    SyncIdMap.instance_id == bindparam("instance"),
    SyncIdMap.catalog_id == bindparam("catalog"),
    SyncIdMap.wix_id.in_(bindparam("wix_ids", expanding=True)),
)
_PAIRED_LOCATION = select(Configuration.location_id).where(
    Configuration.instance_id == bindparam("instance"), Configuration.wix_id == bindparam("configuration")
)
_SLOT_ORDERS = select(func.count(OrderRow.id)).where(
    OrderRow.location_id == bindparam("location"),
    OrderRow.slot_start == bindparam("slot"),
    OrderRow.status != OrderStatus.CANCELED,
)


@dataclass
class ResolvedChoice:
    """A selected choice mapped to the POS: its option group and variation (None when it does not map)."""

    option_name: str
    option_type: str
    choice: OrderLine
    group: PosOptionGroup | None
    variation: PosVariation | None
    children: list[ResolvedChoice] = field(default_factory=list)


@dataclass
class ResolvedLine:
    """An order line mapped to the POS item it sells."""

    position: int
    line: OrderLine
    item: PosItem | None
    choices: list[ResolvedChoice] = field(default_factory=list)


@dataclass(frozen=True)
class Pairing:
    """Where an order lands, as its channel resolved it; the checks and the order write read only this.

    Each generation resolves it its own way behind one interface (`services.order_pairing.PairingKey`):
    a legacy order from the SPI call's account and configuration (`LegacyPairingKey`), a new-generation
    order from the eCommerce order's business location (`BusinessLocationKey`). Either way the
    pairing is usable: the location is active, its time zone known, ordering switched on.
    """

    instance_id: str
    merchant: PosMerchant
    location: PosLocation
    menu_selection: int  # which menus are online (legacy: the configuration's selected menus)
    catalog_id: str | None  # the Wix catalog the order's item refs come from (the sync id map's space)
    configuration_id: int  # the pairing row the order is recorded under (configurations.id)

    @property
    def scope(self) -> MenuScope:
        """The menus an order may come from."""
        return MenuScope(self.merchant.id, self.location.id, self.menu_selection)


@dataclass
class OrderPlan:
    """A valid order resolved against the POS: what Create Order writes."""

    pairing: Pairing
    at: datetime
    slot_start: datetime
    lines: list[ResolvedLine]
    demand: dict[int, int]  # item id → units ordered
    stock: dict[int, StockLevel]
    reading: Reading = field(default_factory=lambda: Reading(CHOICES_ADDED, True))  # how the figures add up
    observed: list[ErrorDetail] = field(default_factory=list)  # failures observe mode let through


def lock_location(session: Session, pos: PosBackend, instance_id: str, configuration_id: str) -> None:
    """Hold the paired location until commit (PostgreSQL), so slot counts and stock see no race."""
    location_id = session.scalar(_PAIRED_LOCATION, {"instance": instance_id, "configuration": configuration_id})
    if location_id is not None:
        pos.hold_location(location_id)


def check_order(
    session: Session,
    pos: PosBackend,
    pairing: Pairing,
    order: Order,
    *,
    now: datetime,
    policy: OrderPolicy = OrderPolicy(),
    payment_due: bool = False,
) -> OrderPlan:
    """Run every check in order; return the resolved plan or raise one WixError with all failures.

    `session` holds posbridge's own records (the sync id map, orders); the POS is read through `pos`.
    A currency other than the merchant's stops the checks at once. `payment_due`: Create Order
    without the POS's own gateway, where the order must arrive paid.
    """
    merchant = pairing.merchant
    if order.currency and order.currency.upper() != merchant.currency.upper():
        # Prices and totals in another currency cannot be compared with the POS's.
        raise WixError.of(
            "ORDER_REJECTED",
            f"The order is in {order.currency} but {merchant.name} sells in {merchant.currency}",
            orderCurrency=order.currency,
            posCurrency=merchant.currency,
        )
    return _Checker(session, pos, pairing, order, now, policy=policy).run(payment_due=payment_due)


def recheck_locked(
    session: Session,
    pos: PosBackend,
    plan: OrderPlan,
    order: Order,
    now: datetime,
    policy: OrderPolicy = OrderPolicy(),
) -> OrderPlan:
    """Re-judge a checked plan's stock and slot capacity after `lock_location`; the plan with held stock."""
    return _Checker(session, pos, plan.pairing, order, now, policy=policy).recheck(plan)


def effective_mode(session: Session, instance_id: str, policy: OrderPolicy) -> CheckMode:
    """The instance's own enforce/observe setting, else the policy's."""
    instance = session.get(Instance, instance_id)
    own = instance.order_checks if instance is not None else None
    return CheckMode(own) if own in (ENFORCE, OBSERVE) else policy.mode


class _Checker:
    """One run of the checks for one order; each stage appends to its own list of failures."""

    def __init__(
        self,
        session: Session,
        pos: PosBackend,
        pairing: Pairing,
        order: Order,
        now: datetime,
        *,
        policy: OrderPolicy,
    ) -> None:
        self.session = session
        self.pos = pos
        self.pairing = pairing
        self.merchant = pairing.merchant
        self.location = location = pairing.location
        self.order = order
        self.now = now
        self.at = order.fulfillment.at(now)
        self.tz = location.timezone
        self.policy = policy
        self.mode = effective_mode(session, pairing.instance_id, policy)
        self.errors: list[ErrorDetail] = []
        self.kitchen: list[bool] = []  # per error: does it protect the kitchen (refuses even in observe mode)
        # Filled by _resolve_lines: the order's Wix ids in the sync id map, and what they reach in the POS.
        self.id_map: dict[str, SyncIdMap] = {}
        self.catalog = PosCatalog()
        self.live_menus: list[PosMenu] = []

    def fail(self, code: str, message: str, *, kitchen: bool = False, **params: object) -> None:
        """Record one failure (params as strings, as Wix wants them); `kitchen` ones refuse in observe mode too."""
        self.add(ErrorDetail(code, message, {k: str(v) for k, v in params.items()}), kitchen=kitchen)

    def add(self, detail: ErrorDetail, *, kitchen: bool = False) -> None:
        """Record one ready-made failure."""
        self.errors.append(detail)
        self.kitchen.append(kitchen)

    def verdict(self) -> list[ErrorDetail]:
        """Raise with the failures that refuse the order; return those observe mode lets through."""
        if self.mode == OBSERVE:
            refusing = [error for error, kitchen in zip(self.errors, self.kitchen, strict=True) if kitchen]
        else:
            refusing = self.errors
        if refusing:
            raise WixError(refusing)
        return list(self.errors)

    def run(self, *, payment_due: bool = False) -> OrderPlan:
        """All stages in product.md's order; raise if any failed."""
        live_menus = self.live_menus = self._live_menus()
        self._require_readable_schedules(live_menus)
        self._check_promised_time()
        closed = self._check_open(live_menus)
        self._check_fulfillment()
        lines = self._resolve_lines()
        demand, stock = self._check_items(lines, closed)
        self._check_options(lines)
        slot = hours.slot_start(self.at, self.tz, self.location.slot_minutes)
        self._check_capacity(slot)
        reading = self._check_totals()
        self._check_payments(payment_due)
        self._check_storable(reading)
        self._check_contact()
        observed = self.verdict()
        return OrderPlan(self.pairing, self.at, slot, lines, demand, stock, reading, observed)

    # --- when and how ----------------------------------------------------------------------

    def _require_readable_schedules(self, live_menus: list[PosMenu]) -> None:
        """Stop with ACCOUNT_CONFIGURATION when hours or menu windows cannot be read (nothing can be timed)."""
        try:
            hours.hours_windows(self.location.hours)
            for menu in live_menus:
                hours.availability_windows(menu.availability or [])
        except (KeyError, TypeError, ValueError) as exc:
            raise WixError.of(
                "ACCOUNT_CONFIGURATION",
                f"The opening hours or menu times of {self.location.name} cannot be read ({exc})",
            ) from None

    def _live_menus(self) -> list[PosMenu]:
        """Menus selected for this configuration that are active and sold at the paired location."""
        return self.pos.menus(self.pairing.scope)

    def _check_open(self, live_menus: list[PosMenu]) -> bool:
        """CLOSED when the location is shut at the fulfilment time, or no menu is offered then."""
        when = hours.clock_text(self.at, self.tz)
        if not hours.is_open(self.location.hours, self.tz, self.at):
            self.fail("CLOSED", f"{self.location.name} is closed at {when}", kitchen=True, time=self.at.isoformat())
            return True
        if live_menus and not any(hours.menu_available(m.availability, self.tz, self.at) for m in live_menus):
            names = ", ".join(m.name for m in live_menus)
            self.fail("CLOSED", f"No menu is served at {when} (menus: {names})", kitchen=True, time=self.at.isoformat())
            return True
        return False

    def _check_promised_time(self) -> None:
        """ORDER_REJECTED when a scheduled order's time has passed (beyond the grace for Wix's own delays)."""
        fulfillment = self.order.fulfillment
        promised = fulfillment.promised_time
        if fulfillment.asap or promised is None or promised >= self.now - self.policy.promised_time_grace:
            return
        self.fail(
            "ORDER_REJECTED",
            f"The order is scheduled for {hours.clock_text(promised, self.tz)}, which has already passed",
            promisedTime=promised.isoformat(),
        )

    def _check_fulfillment(self) -> None:
        """The fulfillment type is offered; a restaurant delivery lands inside the delivery radius."""
        fulfillment = self.order.fulfillment
        offered = self.location.fulfillment
        if fulfillment.type == FulfillmentType.UNSPECIFIED:
            self.fail(
                "ORDER_REJECTED",
                "The order does not say how it is fulfilled",
                kitchen=True,
                fulfillmentType=fulfillment.type,
            )
            return
        if fulfillment.type not in offered:
            self.fail(
                "ORDER_REJECTED",
                f"{self.location.name} does not offer {fulfillment.type.lower().replace('_', '-')} orders",
                kitchen=True,
                fulfillmentType=fulfillment.type,
            )
            return
        if fulfillment.type != FulfillmentType.DELIVERY or self.location.delivery_radius_km is None:
            return
        if fulfillment.external_courier:
            return  # an external courier's own service area applies, not the restaurant's radius
        if self.location.latitude is None or self.location.longitude is None:
            return  # a radius without a centre cannot be applied; the menu import requires both
        point = fulfillment.address_point
        radius = format(self.location.delivery_radius_km.normalize(), "f")
        if point is None:
            self.fail(
                "OUT_OF_SERVICE_AREA",
                "The delivery address has no coordinates, so it cannot be placed in the delivery area",
                radiusKm=radius,
            )
            return
        distance = geo.haversine_km(self.location.latitude, self.location.longitude, point.latitude, point.longitude)
        if distance > float(self.location.delivery_radius_km):
            self.fail(
                "OUT_OF_SERVICE_AREA",
                f"The delivery address is {distance:.1f} km away; {self.location.name} delivers within {radius} km",
                kitchen=True,
                distanceKm=f"{distance:.2f}",
                radiusKm=radius,
            )

    # --- the catalog -----------------------------------------------------------------------

    def _resolve_lines(self) -> list[ResolvedLine]:
        """Map every line and choice through the sync id map to POS items and variations (no judging yet)."""
        wix_ids = {line.item_ref for line in self.order.lines if line.item_ref}
        wix_ids |= {c.item_ref for line in self.order.lines for c in all_choices(line) if c.item_ref}
        catalog_id = self.pairing.catalog_id
        rows: list[SyncIdMap] = []
        if wix_ids and catalog_id:
            params = {"instance": self.pairing.instance_id, "catalog": catalog_id, "wix_ids": list(wix_ids)}
            rows = list(self.session.scalars(_ID_MAP, params))
        self.id_map = {row.wix_id: row for row in rows}
        item_refs = {row.pos_ref for row in rows if row.kind == DISH}
        variation_refs = {row.pos_ref for row in rows if row.kind == VARIATION}
        self.catalog = self.pos.catalog(self.pairing.scope, item_refs, variation_refs, self.live_menus)
        resolved = []
        for position, line in enumerate(self.order.lines):
            row = self.id_map.get(line.item_ref or "")
            item = self.catalog.items.get(row.pos_ref) if row is not None and row.kind == DISH else None
            resolved.append(ResolvedLine(position, line, item, self._resolve_choices(line, item)))
        return resolved

    def _resolve_choices(self, line: OrderLine, item: PosItem | None) -> list[ResolvedChoice]:
        groups = [self.catalog.groups[group_id] for group_id in item.group_ids] if item is not None else []
        by_name = {_norm(group.name): group for group in groups}
        resolved = []
        for option in line.options:
            group = by_name.get(_norm(option.name))
            for choice in option.selected:
                row = self.id_map.get(choice.item_ref or "")
                variation = (
                    self.catalog.variations.get(row.pos_ref) if row is not None and row.kind == VARIATION else None
                )
                children = [
                    ResolvedChoice(sub_option.name, sub_option.type, sub_choice, None, None)
                    for sub_option in choice.options
                    for sub_choice in sub_option.selected
                ]
                resolved.append(ResolvedChoice(option.name, option.type, choice, group, variation, children))
        return resolved

    def _check_items(self, lines: list[ResolvedLine], closed: bool) -> tuple[dict[int, int], dict[int, StockLevel]]:
        """ORDER_ITEM for lines that do not map; AVAILABILITY_CHANGED; PRICE_CHANGED (old = order, new = POS)."""
        if not lines:
            self.fail("ORDER_ITEM", "The order has no items", kitchen=True)
        known = [line for line in lines if line.item is not None]
        demand: dict[int, int] = defaultdict(int)
        for line in known:
            assert line.item is not None
            demand[line.item.id] += line.line.quantity
        menus = {menu.id: menu for menu in self.live_menus}
        stock = self.pos.stock(self.location.id, demand)
        reported_stock: set[int] = set()
        for line in lines:
            self._check_quantities(line)
        for line in lines:
            label = _line_label(line)
            wix_id = line.line.item_ref or ""
            item = line.item
            if item is None:
                self.fail(
                    "ORDER_ITEM",
                    f"{label} is not on this location's menu",
                    kitchen=True,
                    itemId=wix_id,
                    line=line.position + 1,
                )
                continue
            row = self.id_map[wix_id]
            on = [menus[menu_id] for menu_id in item.menu_ids if menu_id in menus]
            if row.detached_at is not None or not item.active or not on:
                self.fail(
                    "AVAILABILITY_CHANGED", f"'{item.name}' is no longer sold online", kitchen=True, itemId=wix_id
                )
                continue
            if not closed and not any(hours.menu_available(m.availability, self.tz, self.at) for m in on):
                when = hours.clock_text(self.at, self.tz)
                self.fail("AVAILABILITY_CHANGED", f"'{item.name}' is not served at {when}", kitchen=True, itemId=wix_id)
                continue
            self._check_stock(item, wix_id, demand, stock, reported_stock)
            current = item.price
            # Either convention: the unit price alone, or the unit price with its choices included.
            if line.line.price not in (current, current + choices_amount(line.line)):
                self.fail(
                    "PRICE_CHANGED",
                    f"'{item.name}' costs {money_text(current)}, not {money_text(line.line.price)}",
                    itemId=wix_id,
                    oldPrice=money_text(line.line.price),
                    newPrice=money_text(current),
                )
        return dict(demand), stock

    def _check_quantities(self, line: ResolvedLine) -> None:
        """ORDER_ITEM when a line or one of its choices asks for more units than one order may."""
        limit = self.policy.max_quantity
        for entry in (line.line, *all_choices(line.line)):
            if entry.quantity > limit:
                name = entry.name or entry.item_ref or "an item"
                self.fail(
                    "ORDER_ITEM",
                    f"Line {line.position + 1} asks for {entry.quantity} × '{name}'; one order takes at most {limit}",
                    kitchen=True,
                    itemId=entry.item_ref or "",
                    line=line.position + 1,
                    quantity=entry.quantity,
                    maxQuantity=limit,
                )

    def _check_stock(
        self, item: PosItem, wix_id: str, demand: dict[int, int], stock: dict[int, StockLevel], reported: set[int]
    ) -> None:
        """AVAILABILITY_CHANGED when tracked stock holds fewer units than the order asks for (once per item)."""
        level = stock.get(item.id)
        available = level.available(self.at) if level is not None else None
        if available is not None and available < demand[item.id] and item.id not in reported:
            reported.add(item.id)
            message = (
                f"'{item.name}' is out of stock"
                if available == 0
                else f"Only {available} × '{item.name}' left, {demand[item.id]} ordered"
            )
            self.fail(
                "AVAILABILITY_CHANGED",
                message,
                kitchen=True,
                itemId=wix_id,
                available=available,
                requested=demand[item.id],
            )

    def recheck(self, plan: OrderPlan) -> OrderPlan:
        """Under the location hold, judge again what a concurrent order can change: stock, then slot capacity."""
        stock = self.pos.stock(self.location.id, plan.demand, hold=True)
        reported: set[int] = set()
        for line in plan.lines:
            assert line.item is not None  # a plan only holds lines that mapped
            self._check_stock(line.item, line.line.item_ref or "", plan.demand, stock, reported)
        self._check_capacity(plan.slot_start)
        if self.errors:
            raise WixError(self.errors)
        return replace(plan, stock=stock)

    def _check_options(self, lines: list[ResolvedLine]) -> None:
        """REQUIREMENTS_NOT_MET for unknown options or choices and counts outside min..max; PRICE_CHANGED."""
        for line in lines:
            item = line.item
            if item is None:
                continue
            counts: dict[int, int] = defaultdict(int)
            for option in line.line.options:
                if option.selected and _norm(option.name) not in {
                    _norm(self.catalog.groups[group_id].name) for group_id in item.group_ids
                }:
                    self.fail(
                        "REQUIREMENTS_NOT_MET",
                        f"'{item.name}' has no option '{option.name}'",
                        itemId=line.line.item_ref or "",
                        option=option.name,
                    )
            for choice in line.choices:
                if choice.group is None:
                    continue  # reported above with its option
                if self._check_choice(item, choice):
                    counts[choice.group.id] += choice.choice.quantity  # only real choices count towards min..max
            for group_id in item.group_ids:
                self._check_count(item, line, self.catalog.groups[group_id], counts[group_id])

    def _check_choice(self, item: PosItem, choice: ResolvedChoice) -> bool:
        """Judge one selected choice; False when it is not a choice of its group at all."""
        group = choice.group
        assert group is not None
        wix_id = choice.choice.item_ref or ""
        name = choice.choice.name or wix_id
        offered = None
        if choice.variation is not None:
            offered = next((c for c in group.choices if c.variation_id == choice.variation.id), None)
        if offered is None:
            self.fail(
                "REQUIREMENTS_NOT_MET",
                f"'{name}' is not a choice of '{group.name}' for '{item.name}'",
                itemId=wix_id,
                option=group.name,
            )
            return False
        assert choice.variation is not None
        level = self.catalog.choices_out.get(choice.variation.id)
        if level is not None and level.available(self.now) == 0:
            self.fail("AVAILABILITY_CHANGED", f"'{choice.variation.name}' is out of stock", kitchen=True, itemId=wix_id)
        if self.id_map[wix_id].detached_at is not None:
            self.fail(
                "AVAILABILITY_CHANGED", f"'{choice.variation.name}' is no longer offered", kitchen=True, itemId=wix_id
            )
        if choice.children:
            self.fail(
                "REQUIREMENTS_NOT_MET",
                f"'{choice.variation.name}' takes no further options",
                itemId=wix_id,
                option=group.name,
            )
        if choice.choice.price != offered.price:
            self.fail(
                "PRICE_CHANGED",
                f"'{choice.variation.name}' ({group.name}) costs {money_text(offered.price)}, "
                f"not {money_text(choice.choice.price)}",
                itemId=wix_id,
                oldPrice=money_text(choice.choice.price),
                newPrice=money_text(offered.price),
            )
        return True

    def _check_count(self, item: PosItem, line: ResolvedLine, group: PosOptionGroup, count: int) -> None:
        if group.min_choices <= count <= group.max_choices:
            return
        if group.min_choices == group.max_choices:
            wanted = f"exactly {group.min_choices}"
        elif count < group.min_choices:
            wanted = f"at least {group.min_choices}"
        else:
            wanted = f"at most {group.max_choices}"
        self.fail(
            "REQUIREMENTS_NOT_MET",
            f"Choose {wanted} of '{group.name}' for '{item.name}' ({count} chosen)",
            itemId=line.line.item_ref or "",
            option=group.name,
            min=group.min_choices,
            max=group.max_choices,
            selected=count,
        )

    # --- capacity and people ---------------------------------------------------------------

    def _check_capacity(self, slot: datetime) -> None:
        """NO_CAPACITY when the slot already holds `orders_per_slot` live orders at this location."""
        limit = self.location.orders_per_slot
        if limit is None:
            return
        taken = self.session.scalar(_SLOT_ORDERS, {"location": self.location.id, "slot": slot})
        if (taken or 0) >= limit:
            when = hours.clock_text(slot, self.tz)
            self.fail(
                "NO_CAPACITY",
                f"{self.location.name} takes no more orders for the slot starting {when}",
                kitchen=True,
                slotStart=slot.isoformat(),
                ordersPerSlot=limit,
            )

    def _check_totals(self) -> Reading:
        """ORDER_TOTAL, DISCOUNT and LOYALTY: the order's own figures agree with each other."""
        order, totals = self.order, self.order.totals
        errors, reading = totals_errors(order, self.policy.tolerance)
        for error in errors:
            self.add(error)
        tolerance = tolerance_for(order, self.policy.tolerance)
        fee = order.fulfillment.fee
        if fee is not None and abs(fee - totals.delivery) > tolerance:
            self.add(
                mismatch("ORDER_TOTAL", "delivery", "the fulfillment fee", fee, "totals.delivery", totals.delivery)
            )
        if order.discounts:
            applied = sum((abs(discount.amount) for discount in order.discounts), Decimal("0"))
            if abs(applied - abs(totals.discount)) > tolerance:
                self.add(
                    mismatch(
                        "DISCOUNT",
                        "discount",
                        "the sum of the discounts",
                        applied,
                        "totals.discount",
                        abs(totals.discount),
                    )
                )
        loyalty = order.loyalty_applied
        if loyalty is not None and abs(loyalty - totals.loyalty_savings) > tolerance:
            self.add(
                mismatch(
                    "LOYALTY",
                    "loyaltySavings",
                    "loyaltyInfo.appliedAmount",
                    loyalty,
                    "totals.loyaltySavings",
                    totals.loyalty_savings,
                )
            )
        return reading

    def _check_payments(self, payment_due: bool) -> None:
        """PAYMENT_FAILED: an order handed over unpaid, or payments that do not add up to the total."""
        if payment_due and not self.order.payments:
            self.fail("PAYMENT_FAILED", "The order carries no payment, and the POS's own gateway is not taking it")
            return
        error = payments_error(self.order, self.policy.tolerance)
        if error is not None:
            self.add(error)

    def _check_storable(self, reading: Reading) -> None:
        """ORDER_TOTAL when an amount the order would store exceeds what a money column holds."""
        amounts = [("service fees", service_fees_of(self.order.totals))]
        amounts += [
            (f"line {position + 1}", line_amount(line, reading.convention))
            for position, line in enumerate(self.order.lines)
        ]
        for what, amount in amounts:
            if abs(amount) > MONEY_MAX:
                self.fail(
                    "ORDER_TOTAL",
                    f"The amount of {what} ({money_text(amount)}) is larger than any order can hold",
                    kitchen=True,
                    field=what,
                )

    def _check_contact(self) -> None:
        """The contact details the location requires are present."""
        customer = self.order.customer
        if self.location.require_customer_phone and not (customer.phone or "").strip():
            self.fail("CUSTOMER_PHONE_MISSING", f"{self.location.name} needs the customer's phone number")
        if self.location.require_customer_email and not (customer.email or "").strip():
            self.fail("CUSTOMER_EMAIL_MISSING", f"{self.location.name} needs the customer's email address")


def _norm(name: str) -> str:
    return " ".join(name.split()).casefold()


def _line_label(line: ResolvedLine) -> str:
    name = line.line.name or line.line.item_ref or "without a catalog id"
    return f"Line {line.position + 1} ('{name}')"


__all__ = [
    "OrderPlan",
    "Pairing",
    "ResolvedChoice",
    "ResolvedLine",
    "check_order",
    "lock_location",
    "recheck_locked",
]
