"""The POS backend: what the order rules ask of a POS, and how an order is placed in it.

The order checks and the order write see a POS only through `PosBackend` and the dataclasses
below (the core's own types: no ORM row, no HTTP payload crosses this seam). The built-in store
(`pos/builtin.py`) is the first implementation; a connector to a merchant's own POS over HTTP
(issue 14 §4) is meant to be the second, and the contract is shaped for it:

- **Reads are synchronous and local.** Validate and Create Order run inside Wix's time budget, so
  menus, prices, availability and stock are read from what posbridge holds (the built-in store,
  or what a connected POS last pushed in), never fetched over the network on the order path.
- **Placement happens inside the caller's write transaction.** `place_order` is called once per
  order, after the location is held and the stock rechecked, in the transaction that records the
  order; whatever it writes commits or rolls back with that record. It answers at once with the
  POS order id Create Order returns: the built-in store has placed the order by then; a connector
  queues a delivery in the same transaction (an outbox row) and says so (`PlacedOrder.confirmed`
  False); the POS's acknowledgement, and later its status changes, come back asynchronously.
- **Errors by failure mode**: `PosUnavailable` (try again later), `PosRefused` (this order will
  never be taken), `PosMisconfigured` (an operator must act), `PosOrderUnknown`. Anything else a
  backend raises is a bug.

Identifiers (`PosRef`) are the store's row ids of POS entities: a connected POS's menu is imported
into the same tables, so the sync id map reaches its items the same way.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from posbridge.orders.model import Order, OrderStatus, StatusActor

PosRef = int


class PosError(Exception):
    """A POS backend could not do what was asked."""


class PosUnavailable(PosError):
    """The POS did not answer, or not in time: nothing was done, and trying again later may work."""


class PosRefused(PosError):
    """The POS refused the order or the change for good (its reason is the message)."""


class PosMisconfigured(PosError):
    """The POS connection is set up wrongly (address, credentials): an operator must act first."""


class PosOrderUnknown(PosError):
    """The POS holds no order with this id."""


@dataclass(frozen=True)
class PosMerchant:
    """The merchant whose POS it is; every amount is in `currency`."""

    id: PosRef
    name: str
    currency: str


@dataclass(frozen=True)
class PosLocation:
    """A POS location as the order rules need it: schedule, fulfilment, delivery area, slots, contact rules."""

    id: PosRef
    pos_id: str  # the location's own id in the POS (what Create Order answers as posLocationId)
    name: str
    timezone: str
    hours: Sequence[Mapping[str, Any]]  # [{"day", "open", "close"}] (pos/hours.py reads it)
    fulfillment: tuple[str, ...]  # PICKUP | DELIVERY | DINE_IN
    delivery_radius_km: Decimal | None
    latitude: Decimal | None
    longitude: Decimal | None
    slot_minutes: int
    orders_per_slot: int | None
    require_customer_phone: bool
    require_customer_email: bool
    active: bool
    # The kitchen accepts its new orders itself (False) or they are accepted at once, promising
    # `prep_minutes` to the customer (the kitchen flow reads these).
    auto_accept: bool = False
    prep_minutes: int | None = None


@dataclass(frozen=True)
class PosItemState:
    """An item as a cart check needs it: what it is called and whether it is still sold."""

    id: PosRef
    name: str
    active: bool


@dataclass(frozen=True)
class PosItemChoice:
    """A choice an item offers, by its option group: what an order line names by the choice's name alone."""

    group_name: str
    group_type: str
    variation_id: PosRef
    name: str  # the variation's ("Large")
    price: Decimal


@dataclass(frozen=True)
class MenuScope:
    """Which menus an order may come from: the merchant's menus sold at `location_id` that
    `selection_id` (the pairing's menu selection) put online."""

    merchant_id: PosRef
    location_id: PosRef
    selection_id: int


@dataclass(frozen=True)
class PosMenu:
    """A live menu and when it is served (None: whenever the location is open)."""

    id: PosRef
    name: str
    availability: Sequence[Mapping[str, Any]] | None


@dataclass(frozen=True)
class PosChoice:
    """A choice an option group offers, at its price."""

    variation_id: PosRef
    price: Decimal


@dataclass(frozen=True)
class PosOptionGroup:
    """An option group: its choices and how many of them may be chosen."""

    id: PosRef
    name: str
    type: str
    min_choices: int
    max_choices: int
    choices: tuple[PosChoice, ...]


@dataclass(frozen=True)
class PosVariation:
    """What a choice is (e.g. "Large")."""

    id: PosRef
    name: str


@dataclass(frozen=True)
class PosItem:
    """A dish as sold at one location: its price there, its option groups, the live menus it is on."""

    id: PosRef
    name: str
    active: bool
    price: Decimal
    group_ids: tuple[PosRef, ...]
    menu_ids: tuple[PosRef, ...]


@dataclass(frozen=True)
class StockLevel:
    """An item's stock at a location: a tracked quantity (None: not tracked) and a manual 86."""

    item_id: PosRef
    quantity: int | None
    out_of_stock: bool = False
    out_until: datetime | None = None

    def available(self, at: datetime) -> int | None:
        """How many can be sold at `at`: None when unlimited, 0 when 86'd (until `out_until`) or sold out."""
        if self.out_of_stock and (self.out_until is None or at < self.out_until):
            return 0
        return None if self.quantity is None else max(self.quantity, 0)


@dataclass(frozen=True)
class PosCatalog:
    """The part of the catalog one order names."""

    items: Mapping[PosRef, PosItem] = field(default_factory=dict)
    groups: Mapping[PosRef, PosOptionGroup] = field(default_factory=dict)
    variations: Mapping[PosRef, PosVariation] = field(default_factory=dict)
    # The named choices marked out at the scope's location (an 86 by hand, maybe until a time), by variation id.
    choices_out: Mapping[PosRef, StockLevel] = field(default_factory=dict)


@dataclass(frozen=True)
class PlacedChoice:
    """A choice selected in a placed line, as the order named it and as the POS knows it.

    `group_id` / `variation_id` are None for a choice the POS does not model (it is kept by name).
    """

    option_name: str
    option_type: str
    name: str
    quantity: int
    price: Decimal
    item_ref: str  # the channel's id of the choice ("" when it named none)
    group_id: PosRef | None
    variation_id: PosRef | None
    choices: tuple[PlacedChoice, ...] = ()


@dataclass(frozen=True)
class PlacedLine:
    """A line of a placed order, mapped to the POS item it sells."""

    position: int
    item_id: PosRef
    item_ref: str  # the channel's id of the item
    name: str
    quantity: int
    unit_price: Decimal
    line_total: Decimal
    comment: str | None
    choices: tuple[PlacedChoice, ...] = ()


@dataclass(frozen=True)
class OrderPlacement:
    """A checked order to place at a location: the order as received, its lines mapped to the POS."""

    location: PosLocation
    order: Order
    lines: tuple[PlacedLine, ...]
    demand: Mapping[PosRef, int]  # item id → units ordered
    slot_start: datetime


@dataclass(frozen=True)
class PlacedOrder:
    """The POS's answer to a placement.

    `confirmed`: the POS holds the order now (the built-in store); False when the order is queued for
    delivery to the POS and its acknowledgement comes later.
    """

    pos_order_id: str
    confirmed: bool = True


@dataclass(frozen=True)
class StatusChange:
    """A move of an order in the kitchen flow: to what, by whom, and why."""

    status: OrderStatus
    actor: StatusActor
    reason: str | None = None
    at: datetime | None = None  # when it happened (None: now)


class PosBackend(ABC):
    """A merchant's POS, bound to one unit of work (the caller's database transaction).

    Every read must be answered from local state: a backend must never make a network call from a
    read, and never write from one (Validate Order runs in a read-only transaction). Only
    `place_order`, `change_status` and `set_auto_accept` change anything.
    """

    @abstractmethod
    def merchant(self, merchant_id: PosRef) -> PosMerchant | None:
        """The merchant, or None when it is gone."""
        raise NotImplementedError

    @abstractmethod
    def location(self, location_id: PosRef) -> PosLocation | None:
        """The location (also an inactive one), or None when it is gone."""
        raise NotImplementedError

    @abstractmethod
    def find_location(self, merchant_pos_id: str, location_pos_id: str) -> PosLocation | None:
        """A merchant's location named by the POS's own ids (an operator names them), or None."""
        raise NotImplementedError

    @abstractmethod
    def items(self, item_ids: Iterable[PosRef]) -> dict[PosRef, PosItemState]:
        """The named items (also inactive ones) by id; ids the POS does not have are left out."""
        raise NotImplementedError

    @abstractmethod
    def item_choices(self, item_id: PosRef) -> list[PosItemChoice]:
        """Every choice the item offers, its option groups in the item's order and each group's choices in
        theirs (empty for an item the POS does not have)."""
        raise NotImplementedError

    @abstractmethod
    def menus(self, scope: MenuScope) -> list[PosMenu]:
        """The active menus of the scope, in the selection's order."""
        raise NotImplementedError

    @abstractmethod
    def catalog(
        self, scope: MenuScope, item_ids: Iterable[PosRef], variation_ids: Iterable[PosRef], menus: Sequence[PosMenu]
    ) -> PosCatalog:
        """The named items of the merchant (priced at the scope's location, with their option groups and
        which of `menus` each is on) and the named variations; ids the merchant does not have are left out."""
        raise NotImplementedError

    @abstractmethod
    def stock(self, location_id: PosRef, item_ids: Iterable[PosRef], *, hold: bool = False) -> dict[PosRef, StockLevel]:
        """Stock of these items at a location (an item absent from the answer is not tracked).

        `hold` (Create Order, under `hold_location`): the levels are the committed ones and stay
        held until the transaction ends, so `place_order` takes from exactly what was checked.
        """
        raise NotImplementedError

    @abstractmethod
    def hold_location(self, location_id: PosRef) -> None:
        """Serialise placements at this location until the transaction ends (stock and slots see no race)."""
        raise NotImplementedError

    @abstractmethod
    def place_order(self, placement: OrderPlacement) -> PlacedOrder:
        """Place a checked order; called once per order, inside the write transaction that records it.

        Must never judge the order again (the checks have run), never wait on the network (a connector
        queues its delivery in this transaction), and never commit: what it writes stands or falls
        with the order's record.
        """
        raise NotImplementedError

    @abstractmethod
    def set_auto_accept(self, location_id: PosRef, *, enabled: bool, prep_minutes: int | None) -> bool:
        """Set whether the location's new orders are accepted at once, promising `prep_minutes`; False when
        the location is gone. posbridge's own setting for the location, never sent to a POS."""
        raise NotImplementedError

    @abstractmethod
    def change_status(self, pos_order_id: str, change: StatusChange) -> None:
        """Move a placed order along the kitchen flow (raises `PosOrderUnknown`, `PosRefused`, `PosUnavailable`).

        Must never report the change to Wix itself: that is the order channel's job.
        """
        raise NotImplementedError

    def owed_jobs(self) -> list[int]:
        """Outbound jobs this unit of work queued (stock pushes to Wix), for the caller to wake once committed."""
        return []


# How a service reaches the POS: one backend per unit of work, bound to the caller's session.
PosBackendFactory = Callable[[Session], PosBackend]
