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
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session, joinedload

from posbridge.config import Settings
from posbridge.errors import ErrorDetail, WixError
from posbridge.pos import geo, hours
from posbridge.pos.pricing import price_at
from posbridge.pos.stock import available_quantity, stock_rows
from posbridge.services.order_totals import (
    CHOICES_ADDED,
    Reading,
    choices_amount,
    line_amount,
    mismatch,
    money_text,
    payments_error,
    service_fees_of,
    tolerance_for,
    totals_errors,
)
from posbridge.services.status import readiness
from posbridge.services.tenancy import Tenant, configuration_for
from posbridge.spi.order_wire import LineItem, LineItemOption, WixOrder
from posbridge.store.models import (
    Configuration,
    ConfigurationMenu,
    Instance,
    Item,
    Location,
    Menu,
    MenuLocation,
    Merchant,
    OptionChoice,
    OptionGroup,
    Order,
    Section,
    SectionItem,
    Stock,
    SyncIdMap,
    Variation,
)
from posbridge.store.types import MONEY_MAX

DISH, VARIATION = "DISH", "VARIATION"
ENFORCE, OBSERVE = "enforce", "observe"


@dataclass(frozen=True)
class OrderPolicy:
    """How strictly orders are judged (settings `POSBRIDGE_ORDER_*`; docs/decisions.md "Order intake")."""

    mode: str = ENFORCE  # enforce | observe (an instance's own setting wins)
    max_quantity: int = 999  # units per line or choice
    tolerance: Decimal = Decimal("0.01")  # rounding allowed per line on the order's sums
    promised_time_grace: timedelta = timedelta(minutes=10)  # how far past a scheduled time may lie

    @classmethod
    def from_settings(cls, settings: Settings) -> OrderPolicy:
        """The policy the settings describe."""
        return cls(
            mode=settings.order_checks,
            max_quantity=settings.order_max_quantity,
            tolerance=settings.order_total_tolerance,
            promised_time_grace=timedelta(seconds=settings.order_promised_time_grace_seconds),
        )


# The hot statements of every Validate and Create Order call, built once: building a statement
# (coercing each clause, the loader options) costs more Python than SQLAlchemy's compiled cache
# saves, so only parameters change per call.
_LIVE_MENUS = (
    select(Menu)
    .join(ConfigurationMenu, ConfigurationMenu.menu_id == Menu.id)
    .join(MenuLocation, (MenuLocation.menu_id == Menu.id) & (MenuLocation.location_id == bindparam("location")))
    .where(
        ConfigurationMenu.configuration_id == bindparam("configuration"),
        Menu.merchant_id == bindparam("merchant"),
        Menu.active.is_(True),
    )
    .order_by(ConfigurationMenu.position)
)
_ID_MAP = select(SyncIdMap).where(
    SyncIdMap.instance_id == bindparam("instance"),
    SyncIdMap.catalog_id == bindparam("catalog"),
    SyncIdMap.wix_id.in_(bindparam("wix_ids", expanding=True)),
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
_VARIATIONS = select(Variation).where(
    Variation.id.in_(bindparam("ids", expanding=True)), Variation.merchant_id == bindparam("merchant")
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
_PAIRED_LOCATION = select(Configuration.location_id).where(
    Configuration.instance_id == bindparam("instance"), Configuration.wix_id == bindparam("configuration")
)
_LOCK_LOCATION = select(Location.id).where(Location.id == bindparam("location")).with_for_update()
_SLOT_ORDERS = select(func.count(Order.id)).where(
    Order.location_id == bindparam("location"), Order.slot_start == bindparam("slot"), Order.status != "CANCELED"
)


@dataclass
class ResolvedChoice:
    """A selected choice mapped to the POS: its option group and variation (None when it does not map)."""

    option: LineItemOption
    choice: LineItem
    group: OptionGroup | None
    variation: Variation | None
    children: list[ResolvedChoice] = field(default_factory=list)


@dataclass
class ResolvedLine:
    """An order line mapped to the POS item it sells."""

    position: int
    line: LineItem
    item: Item | None
    choices: list[ResolvedChoice] = field(default_factory=list)


@dataclass
class OrderPlan:
    """A valid order resolved against the POS: what Create Order writes."""

    tenant: Tenant
    merchant: Merchant
    location: Location
    at: datetime
    slot_start: datetime
    lines: list[ResolvedLine]
    demand: dict[int, int]  # item id → units ordered
    stock: dict[int, Stock]
    reading: Reading = field(default_factory=lambda: Reading(CHOICES_ADDED, True))  # how the figures add up
    observed: list[ErrorDetail] = field(default_factory=list)  # failures observe mode let through


def lock_location(session: Session, instance_id: str, configuration_id: str) -> None:
    """Hold the paired location's row until commit (PostgreSQL), so slot counts and stock see no race."""
    location_id = session.scalar(_PAIRED_LOCATION, {"instance": instance_id, "configuration": configuration_id})
    if location_id is not None:
        lock_location_row(session, location_id)


def lock_location_row(session: Session, location_id: int) -> None:
    """`lock_location` for a location already known (a checked plan's)."""
    session.execute(_LOCK_LOCATION, {"location": location_id})


def check_order(
    session: Session,
    *,
    instance_id: str,
    account_id: str,
    configuration_id: str,
    order: WixOrder,
    now: datetime,
    lock: bool = False,
    policy: OrderPolicy = OrderPolicy(),
    payment_due: bool = False,
) -> OrderPlan:
    """Run every check in order; return the resolved plan or raise one WixError with all failures.

    `payment_due`: Create Order without the POS's own gateway, where the order must arrive paid.
    """
    tenant, merchant, location = _gate(session, instance_id, account_id, configuration_id, order)
    checker = _Checker(session, tenant, merchant, location, order, now, lock=lock, policy=policy)
    return checker.run(payment_due=payment_due)


def recheck_locked(
    session: Session, plan: OrderPlan, order: WixOrder, now: datetime, policy: OrderPolicy = OrderPolicy()
) -> OrderPlan:
    """Re-judge a checked plan's stock and slot capacity after `lock_location`; the plan with locked stock rows."""
    checker = _Checker(session, plan.tenant, plan.merchant, plan.location, order, now, lock=True, policy=policy)
    return checker.recheck(plan)


def effective_mode(session: Session, instance_id: str, policy: OrderPolicy) -> str:
    """The instance's own enforce/observe setting, else the policy's."""
    instance = session.get(Instance, instance_id)
    own = instance.order_checks if instance is not None else None
    return own if own in (ENFORCE, OBSERVE) else policy.mode


def _gate(
    session: Session, instance_id: str, account_id: str, configuration_id: str, order: WixOrder
) -> tuple[Tenant, Merchant, Location]:
    """Account → configuration READY → location usable → currency: any failure here stops the checks."""
    tenant = configuration_for(session, instance_id, account_id, configuration_id)
    account, configuration = tenant.account, tenant.configuration
    if not account.authorized:
        raise WixError.of(
            "ACCOUNT_NOT_AUTHORIZED",
            f"The POS account '{account_id}' is no longer authorized; reconnect it in the dashboard",
            accountId=account_id,
        )
    # Loaded before readiness() looks at it: the session's identity map holds objects weakly, so the
    # location readiness() loads on its own would be gone, and read again, by the time it returns.
    location = session.get(Location, configuration.location_id) if configuration.location_id is not None else None
    state = readiness(session, account, configuration)
    if not state.ready:
        if configuration.location_id is not None and (location is None or not location.active):
            raise WixError.of("LOCATION_NOT_FOUND", state.reason or "The paired POS location is gone")
        raise WixError.of("ACCOUNT_CONFIGURATION", state.reason or "The integration is not ready", status=state.status)
    if not configuration.enabled:
        raise WixError.of("ACCOUNT_CONFIGURATION", "Online ordering is switched off for this location")
    assert location is not None  # READY implies a paired, active location
    merchant = session.get(Merchant, account.merchant_id)
    assert merchant is not None  # accounts reference their merchant by foreign key
    try:
        ZoneInfo(location.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise WixError.of(
            "ACCOUNT_CONFIGURATION", f"Location '{location.name}' has an unknown time zone '{location.timezone}'"
        ) from None
    if order.currency and order.currency.upper() != merchant.currency.upper():
        # Prices and totals in another currency cannot be compared with the POS's.
        raise WixError.of(
            "ORDER_REJECTED",
            f"The order is in {order.currency} but {merchant.name} sells in {merchant.currency}",
            orderCurrency=order.currency,
            posCurrency=merchant.currency,
        )
    return tenant, merchant, location


def _fulfilment_time(order: WixOrder, now: datetime) -> datetime:
    """When the order is for: the promised time of a scheduled order, else now."""
    promised = order.fulfillment.promised_time
    return promised if not order.fulfillment.asap and promised is not None else now


class _Checker:
    """One run of the checks for one order; each stage appends to its own list of failures."""

    def __init__(
        self,
        session: Session,
        tenant: Tenant,
        merchant: Merchant,
        location: Location,
        order: WixOrder,
        now: datetime,
        *,
        lock: bool,
        policy: OrderPolicy,
    ) -> None:
        self.session = session
        self.tenant = tenant
        self.merchant = merchant
        self.location = location
        self.order = order
        self.now = now
        self.lock = lock
        self.at = _fulfilment_time(order, now)
        self.tz = location.timezone
        self.policy = policy
        self.mode = effective_mode(session, tenant.configuration.instance_id, policy)
        self.errors: list[ErrorDetail] = []
        self.kitchen: list[bool] = []  # per error: does it protect the kitchen (refuses even in observe mode)
        # Filled by _resolve_lines: the order's Wix ids in the sync id map, and the POS rows they reach.
        self.id_map: dict[str, SyncIdMap] = {}
        self.groups: dict[int, OptionGroup] = {}
        self.variations: dict[int, Variation] = {}

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
        live_menus = self._live_menus()
        self._require_readable_schedules(live_menus)
        self._check_promised_time()
        closed = self._check_open(live_menus)
        self._check_fulfillment()
        lines = self._resolve_lines()
        demand, stock = self._check_items(lines, live_menus, closed)
        self._check_options(lines)
        slot = hours.slot_start(self.at, self.tz, self.location.slot_minutes or 15)
        self._check_capacity(slot)
        reading = self._check_totals()
        self._check_payments(payment_due)
        self._check_storable(reading)
        self._check_contact()
        observed = self.verdict()
        return OrderPlan(
            self.tenant, self.merchant, self.location, self.at, slot, lines, demand, stock, reading, observed
        )

    # --- when and how ----------------------------------------------------------------------

    def _require_readable_schedules(self, live_menus: list[Menu]) -> None:
        """Stop with ACCOUNT_CONFIGURATION when hours or menu windows cannot be read (nothing can be timed)."""
        try:
            hours.hours_windows(self.location.hours or [])
            for menu in live_menus:
                hours.availability_windows(menu.availability or [])
        except (KeyError, TypeError, ValueError) as exc:
            raise WixError.of(
                "ACCOUNT_CONFIGURATION",
                f"The opening hours or menu times of {self.location.name} cannot be read ({exc})",
            ) from None

    def _live_menus(self) -> list[Menu]:
        """Menus selected for this configuration that are active and sold at the paired location."""
        params = {
            "location": self.location.id,
            "configuration": self.tenant.configuration.id,
            "merchant": self.merchant.id,
        }
        return list(self.session.scalars(_LIVE_MENUS, params))

    def _check_open(self, live_menus: list[Menu]) -> bool:
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
        offered = [str(kind).upper() for kind in self.location.fulfillment or []]
        if fulfillment.type == "UNSPECIFIED_FULFILLMENT_TYPE":
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
        details = fulfillment.delivery_details
        if fulfillment.type != "DELIVERY" or self.location.delivery_radius_km is None:
            return
        if details is not None and details.external_provider is not None:
            return  # an external courier's own service area applies, not the restaurant's radius
        if self.location.latitude is None or self.location.longitude is None:
            return  # a radius without a centre cannot be applied; the menu import requires both
        point = details.address.location if details is not None and details.address is not None else None
        radius = format(self.location.delivery_radius_km.normalize(), "f")
        if point is None or point.latitude is None or point.longitude is None:
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
        wix_ids = {line.catalog_item_id for line in self.order.line_items if line.catalog_item_id}
        wix_ids |= {
            c.catalog_item_id for line in self.order.line_items for c in _all_choices(line) if c.catalog_item_id
        }
        catalog_id = self.tenant.configuration.catalog_id
        rows: list[SyncIdMap] = []
        if wix_ids and catalog_id:
            instance_id = self.tenant.configuration.instance_id
            params = {"instance": instance_id, "catalog": catalog_id, "wix_ids": list(wix_ids)}
            rows = list(self.session.scalars(_ID_MAP, params))
        self.id_map = {row.wix_id: row for row in rows}
        item_refs = {row.pos_ref for row in rows if row.kind == DISH}
        variation_refs = {row.pos_ref for row in rows if row.kind == VARIATION}
        merchant = self.merchant.id
        items = {
            item.id: item
            for item in self.session.scalars(_ITEMS, {"ids": list(item_refs), "merchant": merchant}).unique()
        }
        group_ids = {link.group_id for item in items.values() for link in item.option_groups}
        self.groups = {group.id: group for group in self.session.scalars(_GROUPS, {"ids": list(group_ids)}).unique()}
        self.variations = {
            v.id: v for v in self.session.scalars(_VARIATIONS, {"ids": list(variation_refs), "merchant": merchant})
        }
        resolved = []
        for position, line in enumerate(self.order.line_items):
            row = self.id_map.get(line.catalog_item_id or "")
            item = items.get(row.pos_ref) if row is not None and row.kind == DISH else None
            resolved.append(ResolvedLine(position, line, item, self._resolve_choices(line, item)))
        return resolved

    def _resolve_choices(self, line: LineItem, item: Item | None) -> list[ResolvedChoice]:
        groups = [self.groups[link.group_id] for link in item.option_groups] if item is not None else []
        by_name = {_norm(group.name): group for group in groups}
        resolved = []
        for option in line.dish_options:
            group = by_name.get(_norm(option.name))
            for choice in option.selected_choices:
                row = self.id_map.get(choice.catalog_item_id or "")
                variation = self.variations.get(row.pos_ref) if row is not None and row.kind == VARIATION else None
                children = [
                    ResolvedChoice(sub_option, sub_choice, None, None)
                    for sub_option in choice.dish_options
                    for sub_choice in sub_option.selected_choices
                ]
                resolved.append(ResolvedChoice(option, choice, group, variation, children))
        return resolved

    def _item_menus(self, item_ids: set[int], live_menus: list[Menu]) -> dict[int, list[Menu]]:
        """For each item, the live menus it appears on."""
        menus = {menu.id: menu for menu in live_menus}
        placed: dict[int, list[Menu]] = defaultdict(list)
        if not item_ids or not menus:
            return placed
        rows = self.session.execute(_ITEM_MENUS, {"items": list(item_ids), "menus": list(menus)})
        for item_id, menu_id in rows:
            placed[item_id].append(menus[menu_id])
        return placed

    def _check_items(
        self, lines: list[ResolvedLine], live_menus: list[Menu], closed: bool
    ) -> tuple[dict[int, int], dict[int, Stock]]:
        """ORDER_ITEM for lines that do not map; AVAILABILITY_CHANGED; PRICE_CHANGED (old = order, new = POS)."""
        if not lines:
            self.fail("ORDER_ITEM", "The order has no items", kitchen=True)
        known = [line for line in lines if line.item is not None]
        demand: dict[int, int] = defaultdict(int)
        for line in known:
            assert line.item is not None
            demand[line.item.id] += line.line.quantity
        placed = self._item_menus(set(demand), live_menus)
        stock = stock_rows(self.session, self.location.id, demand, lock=self.lock)
        reported_stock: set[int] = set()
        for line in lines:
            self._check_quantities(line)
        for line in lines:
            label = _line_label(line)
            wix_id = line.line.catalog_item_id or ""
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
            menus = placed.get(item.id, [])
            if row.detached_at is not None or not item.active or not menus:
                self.fail(
                    "AVAILABILITY_CHANGED", f"'{item.name}' is no longer sold online", kitchen=True, itemId=wix_id
                )
                continue
            if not closed and not any(hours.menu_available(m.availability, self.tz, self.at) for m in menus):
                when = hours.clock_text(self.at, self.tz)
                self.fail("AVAILABILITY_CHANGED", f"'{item.name}' is not served at {when}", kitchen=True, itemId=wix_id)
                continue
            self._check_stock(item, wix_id, demand, stock, reported_stock)
            current = price_at(item, self.location.id)
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
        for entry in (line.line, *_all_choices(line.line)):
            if entry.quantity > limit:
                reference = entry.catalog_reference
                name = reference.catalog_item_name or reference.catalog_item_id or "an item"
                self.fail(
                    "ORDER_ITEM",
                    f"Line {line.position + 1} asks for {entry.quantity} × '{name}'; one order takes at most {limit}",
                    kitchen=True,
                    itemId=reference.catalog_item_id or "",
                    line=line.position + 1,
                    quantity=entry.quantity,
                    maxQuantity=limit,
                )

    def _check_stock(
        self, item: Item, wix_id: str, demand: dict[int, int], stock: dict[int, Stock], reported: set[int]
    ) -> None:
        """AVAILABILITY_CHANGED when tracked stock holds fewer units than the order asks for (once per item)."""
        available = available_quantity(stock.get(item.id), self.at)
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
        """Under the location lock, judge again what a concurrent order can change: stock, then slot capacity."""
        stock = stock_rows(self.session, self.location.id, plan.demand, lock=True)
        reported: set[int] = set()
        for line in plan.lines:
            assert line.item is not None  # a plan only holds lines that mapped
            self._check_stock(line.item, line.line.catalog_item_id or "", plan.demand, stock, reported)
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
            for option in line.line.dish_options:
                if option.selected_choices and _norm(option.name) not in {
                    _norm(self.groups[link.group_id].name) for link in item.option_groups
                }:
                    self.fail(
                        "REQUIREMENTS_NOT_MET",
                        f"'{item.name}' has no option '{option.name}'",
                        itemId=line.line.catalog_item_id or "",
                        option=option.name,
                    )
            for choice in line.choices:
                if choice.group is None:
                    continue  # reported above with its option
                if self._check_choice(item, choice):
                    counts[choice.group.id] += choice.choice.quantity  # only real choices count towards min..max
            for link in item.option_groups:
                self._check_count(item, line, self.groups[link.group_id], counts[link.group_id])

    def _check_choice(self, item: Item, choice: ResolvedChoice) -> bool:
        """Judge one selected choice; False when it is not a choice of its group at all."""
        group = choice.group
        assert group is not None
        wix_id = choice.choice.catalog_item_id or ""
        name = choice.choice.catalog_reference.catalog_item_name or wix_id
        offered: OptionChoice | None = None
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

    def _check_count(self, item: Item, line: ResolvedLine, group: OptionGroup, count: int) -> None:
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
            itemId=line.line.catalog_item_id or "",
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
            applied = sum((abs(discount.applied_amount) for discount in order.discounts), Decimal("0"))
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
        loyalty = order.loyalty_info
        if loyalty is not None and abs(loyalty.applied_amount - totals.loyalty_savings) > tolerance:
            self.add(
                mismatch(
                    "LOYALTY",
                    "loyaltySavings",
                    "loyaltyInfo.appliedAmount",
                    loyalty.applied_amount,
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
            for position, line in enumerate(self.order.line_items)
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


def _all_choices(line: LineItem) -> list[LineItem]:
    """Every selected choice of a line, at any depth."""
    found = []
    for option in line.dish_options:
        for choice in option.selected_choices:
            found.append(choice)
            found.extend(_all_choices(choice))
    return found


def _norm(name: str) -> str:
    return " ".join(name.split()).casefold()


def _line_label(line: ResolvedLine) -> str:
    reference = line.line.catalog_reference
    name = reference.catalog_item_name or reference.catalog_item_id or "without a catalog id"
    return f"Line {line.position + 1} ('{name}')"


__all__ = [
    "OrderPlan",
    "ResolvedChoice",
    "ResolvedLine",
    "check_order",
    "lock_location",
    "lock_location_row",
    "recheck_locked",
]
