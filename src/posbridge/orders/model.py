"""An order in posbridge's own vocabulary: what the order rules judge and the POS backend places.

Every order channel (the legacy SPI today; eCommerce orders later) parses its wire form into these
types at the edge, so the checks, the totals and the kitchen flow never see a wire model. Money is
`Decimal` (never a float), times are aware datetimes, and the open values Wix may extend (payment
type, discount type, option type) stay plain text: a value the code does not know is kept, not
refused. Bounds are the channel's business: whatever a channel hands over here, the store can hold.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

ZERO = Decimal("0")


class OrderStatus(StrEnum):
    """Where an order stands in the kitchen flow (the values the store's `orders.status` holds)."""

    NEW = "NEW"
    ACCEPTED = "ACCEPTED"
    READY = "READY"
    FULFILLED = "FULFILLED"
    CANCELED = "CANCELED"


class StatusActor(StrEnum):
    """Who changed an order's status (`order_status_history.actor`)."""

    WIX = "WIX"
    KITCHEN = "KITCHEN"
    OPERATOR = "OPERATOR"
    POS = "POS"
    SYSTEM = "SYSTEM"


class FulfillmentType(StrEnum):
    """How the order reaches the customer; the one closed enum of the intake (an unknown kind is refused)."""

    UNSPECIFIED = "UNSPECIFIED_FULFILLMENT_TYPE"
    PICKUP = "PICKUP"
    DELIVERY = "DELIVERY"
    DINE_IN = "DINE_IN"


@dataclass(frozen=True)
class OrderLine:
    """A line, or a choice selected inside one (choices are lines: they nest).

    `item_ref` is the Wix catalog id the line names (None when the line names none); `price` is the
    unit price as the customer saw it, with or without its choices (order_totals reads both).
    """

    quantity: int
    price: Decimal
    item_ref: str | None = None
    name: str | None = None
    comment: str | None = None
    options: tuple[LineOption, ...] = ()

    @property
    def label(self) -> str:
        """The line for people: its name, else its catalog id."""
        return self.name or self.item_ref or "an item"


@dataclass(frozen=True)
class LineOption:
    """A dish option of a line and the choices selected in it."""

    name: str
    type: str
    selected: tuple[OrderLine, ...] = ()


@dataclass(frozen=True)
class Discount:
    """A discount applied to the order; `amount` may be written negative (it is taken off either way)."""

    amount: Decimal
    type: str = "UNSPECIFIED_TYPE"
    name: str | None = None
    ref: str | None = None


@dataclass(frozen=True)
class Payment:
    """One payment of the order; `amount` None means the channel did not state it."""

    type: str
    amount: Decimal | None = None
    method: str | None = None
    transaction_ref: str | None = None


@dataclass(frozen=True)
class GeoPoint:
    """Coordinates in degrees."""

    latitude: float
    longitude: float


@dataclass(frozen=True)
class Fulfillment:
    """How and when: the kind, the promised time of a scheduled order, the stated fee, the drop-off point."""

    type: FulfillmentType = FulfillmentType.UNSPECIFIED
    promised_time: datetime | None = None
    asap: bool = True
    fee: Decimal | None = None  # the fee the details state (restaurant delivery, courier, pickup)
    external_courier: bool = False  # delivered by a courier whose own service area applies
    address_point: GeoPoint | None = None  # None: a delivery without coordinates, or no delivery

    def at(self, now: datetime) -> datetime:
        """When the order is for: the promised time of a scheduled order, else `now`."""
        return self.promised_time if not self.asap and self.promised_time is not None else now


@dataclass(frozen=True)
class Customer:
    """Who ordered."""

    first_name: str | None = None
    last_name: str | None = None
    phone: str | None = None
    email: str | None = None


@dataclass(frozen=True)
class ServiceFee:
    """A service fee charged (negative: a credit) and the tax stated on it."""

    amount: Decimal
    tax: Decimal | None = None
    name: str | None = None


@dataclass(frozen=True)
class Totals:
    """The order's own figures; an amount not stated is zero. `discount` may be negative (taken off either way)."""

    subtotal: Decimal = ZERO
    total: Decimal = ZERO
    delivery: Decimal = ZERO
    tax: Decimal = ZERO
    discount: Decimal = ZERO
    loyalty_savings: Decimal = ZERO
    tip: Decimal = ZERO
    service_fees: tuple[ServiceFee, ...] = ()


@dataclass(frozen=True)
class Order:
    """An order as a channel handed it over.

    `ref` is Wix's id for it (None before Wix has created the order, at validation). `received` is
    the order exactly as the channel received it, in the channel's wire form: kept verbatim for the
    record (the store's `orders.wix_order`, `customer`, `fulfillment`, `payments`), never read by
    the rules.
    """

    ref: str | None
    currency: str | None
    lines: tuple[OrderLine, ...]
    totals: Totals = field(default_factory=Totals)
    fulfillment: Fulfillment = field(default_factory=Fulfillment)
    customer: Customer = field(default_factory=Customer)
    payments: tuple[Payment, ...] = ()
    discounts: tuple[Discount, ...] = ()
    loyalty_applied: Decimal | None = None  # the loyalty reward the order says it redeemed, if any
    comment: str | None = None
    received: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)


def all_choices(line: OrderLine) -> list[OrderLine]:
    """Every choice selected in a line, at any depth."""
    found = []
    for option in line.options:
        for choice in option.selected:
            found.append(choice)
            found.extend(all_choices(choice))
    return found
