"""The WixOrder Wix sends to Validate Order and Create Order (wix-pos-spi.md §5), as pydantic models.

Field names are protobuf-JSON camelCase; unknown fields are ignored and `null` means absent (the
proto3 JSON rule), so a nullable field Wix sends as `null` takes its default. Money is a decimal
string on the wire and a `Decimal` here (a JSON float is refused: money never passes through binary
floating point). oneof groups are flat on the wire (`fulfillment.deliveryDetails`); the grouped form
of Wix's docs schema (`fulfillment.details.deliveryDetails`) is accepted on input too. Bad input
raises pydantic's `ValidationError`, which the SPI layer answers with 400. `WixOrder.to_order()`
hands the parsed order to the services as the domain's `orders.model.Order`.

Bounds are declared here once and match the columns the order is written to (docs/decisions.md
"Order intake"): whatever this model accepts, Create Order can store. Enums Wix documents as open
(payment type, discount type, on-arrival type, option type) keep an unknown value verbatim;
the fulfillment type stays a closed enum.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BeforeValidator,
    Field,
    PlainSerializer,
    StrictStr,
    StringConstraints,
    model_validator,
)
from pydantic.alias_generators import to_snake

from posbridge.orders import model
from posbridge.spi.wire import ENUM_LENGTH, WireModel, WireName, WireRef, WireText, flatten_groups

# Plain decimal notation only: no exponents, no digit separators, no NaN or Infinity.
_DECIMAL = re.compile(r"-?[0-9]+(\.[0-9]+)?")
# Amounts on the wire stay below 10^12 with at most 4 decimals, so any one fits a money column
# (NUMERIC(18,4): below 10^14) with room for sums; amounts the order computes (a line times its
# quantity, the fees together) are checked against the column by services/order_checks.py.
MONEY_LIMIT = Decimal(10) ** 12
MONEY_PLACES = 4
# The most units one line or choice may carry on the wire; the business limit is a setting
# (POSBRIDGE_ORDER_MAX_QUANTITY, default 999) checked with the order, never above this.
MAX_QUANTITY = 100_000
# Timestamps outside these years are no order's (and overflow time-zone arithmetic near 1 and 9999).
_EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
_LATEST = datetime(9000, 1, 1, tzinfo=UTC)


def _parse_amount(value: Any) -> Decimal:
    """A finite Decimal from a decimal string (or a JSON integer), bounded; floats and junk are refused."""
    if isinstance(value, bool | float):
        raise ValueError('money must be a decimal string such as "12.50", not a JSON number')
    if isinstance(value, Decimal) and value.is_finite():
        parsed = value
    elif isinstance(value, int):
        parsed = Decimal(value)
    elif isinstance(value, str) and len(value) <= 64 and _DECIMAL.fullmatch(value.strip()):
        parsed = Decimal(value.strip())
    else:
        raise ValueError("not a decimal amount")
    if abs(parsed) >= MONEY_LIMIT:
        raise ValueError(f"amount must be below {MONEY_LIMIT:,}")
    if -int(parsed.normalize().as_tuple().exponent) > MONEY_PLACES:
        raise ValueError(f"amount has more than {MONEY_PLACES} decimal places")
    return parsed


def _parse_money(value: Any) -> Decimal:
    """A non-negative amount (prices, totals, tips)."""
    parsed = _parse_amount(value)
    if parsed < 0:
        raise ValueError("amount must not be negative")
    return parsed


_MoneyOut = PlainSerializer(lambda amount: format(amount, "f"), return_type=str, when_used="json")
WireMoney = Annotated[Decimal, BeforeValidator(_parse_money), _MoneyOut]
# Where Wix's Money may be negative (service fees and their tax, discounts written as negatives).
SignedWireMoney = Annotated[Decimal, BeforeValidator(_parse_amount), _MoneyOut]


def _no_bool(value: Any) -> Any:
    """JSON true is not the number 1."""
    if isinstance(value, bool):
        raise ValueError("must be a number, not a boolean")
    return value


Quantity = Annotated[int, BeforeValidator(_no_bool), Field(ge=1, le=MAX_QUANTITY)]
Count = Annotated[int, BeforeValidator(_no_bool), Field(ge=0, le=MAX_QUANTITY)]


def _timestamp(value: Any) -> Any:
    """RFC 3339 text only (protobuf's Timestamp JSON): the integer 0 is not a time."""
    if not isinstance(value, str):
        raise ValueError("must be an RFC 3339 timestamp string")
    return value


def _plausible(moment: datetime) -> datetime:
    if not _EARLIEST <= moment < _LATEST:
        raise ValueError("must lie between 1970 and 9000")
    return moment


Timestamp = Annotated[AwareDatetime, BeforeValidator(_timestamp), AfterValidator(_plausible)]


# An open enum (Wix: "might be extended"): a known value, or any other enum-like name kept verbatim;
# code that acts on the value treats a name it does not know as unknown.
OpenEnum = Annotated[StrictStr, StringConstraints(max_length=ENUM_LENGTH, pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")]
Currency = Annotated[StrictStr, StringConstraints(pattern=r"^([A-Za-z]{3})?$")]


class OrderModel(WireModel):
    """Base of the order's models: `null` is the same as absent (proto3 JSON)."""

    @model_validator(mode="before")
    @classmethod
    def _null_is_absent(cls, data: Any) -> Any:
        if isinstance(data, dict) and any(value is None for value in data.values()):
            return {key: value for key, value in data.items() if value is not None}
        return data


def _one_of(data: Any, *members: str) -> Any:
    """Accept a oneof flat or grouped (`{"details": {"pickupDetails": …}}`), and insist on at most one member."""
    data = flatten_groups(data, frozenset(members))
    if isinstance(data, dict):
        present = [name for name in members if data.get(name) is not None or data.get(to_snake(name)) is not None]
        if len(present) > 1:
            raise ValueError(f"only one of {', '.join(members)} may be set, got {', '.join(present)}")
    return data


# --- Line items and options ------------------------------------------------------------------


class CatalogReference(OrderModel):
    """Where a line comes from: the Wix catalog item id posbridge created during sync."""

    catalog_item_id: WireRef | None = None
    catalog_item_name: WireName | None = None
    catalog_item_description: WireText | None = None
    catalog_item_media: WireText | None = None


class LineItemOptionItem(OrderModel):
    """A choice an option offered."""

    item_id: WireRef | None = None
    price: SignedWireMoney | None = None
    name: WireName | None = None


class LineItemOption(OrderModel):
    """A dish option of a line: what was offered and what the customer selected (selections nest)."""

    name: WireName = ""
    type: OpenEnum = "UNSPECIFIED_DISPLAY_TYPE"
    min_choices: Count | None = None
    max_choices: Count | None = None
    available_choices: list[LineItemOptionItem] = Field(default_factory=list)
    default_choices: list[WireRef] = Field(default_factory=list)
    selected_choices: list[LineItem] = Field(default_factory=list)


class LineItem(OrderModel):
    """A line: quantity × unit price, with its options."""

    quantity: Quantity = 1
    price: WireMoney = Decimal("0")
    comment: WireText | None = None
    dish_options: list[LineItemOption] = Field(default_factory=list)
    catalog_reference: CatalogReference = Field(default_factory=CatalogReference)

    @property
    def catalog_item_id(self) -> str | None:
        """The Wix catalog item id of this line."""
        return self.catalog_reference.catalog_item_id

    def to_line(self) -> model.OrderLine:
        """This line (or choice) in the domain's terms."""
        reference = self.catalog_reference
        return model.OrderLine(
            quantity=self.quantity,
            price=self.price,
            item_ref=reference.catalog_item_id,
            name=reference.catalog_item_name,
            comment=self.comment,
            options=tuple(
                model.LineOption(
                    option.name, option.type, tuple(choice.to_line() for choice in option.selected_choices)
                )
                for option in self.dish_options
            ),
        )


# --- Discounts and payments ------------------------------------------------------------------


class Discount(OrderModel):
    """A discount applied to the order (Wix may write its amount as a negative value)."""

    catalog_discount_id: WireRef | None = None
    applied_amount: SignedWireMoney = Decimal("0")
    catalog_discount_type: OpenEnum = "UNSPECIFIED_TYPE"
    catalog_discount_name: WireName | None = None
    catalog_discount_description: WireText | None = None


class Payment(OrderModel):
    """One payment of the order (several when split); `amount` absent means not stated."""

    type: OpenEnum = "UNSPECIFIED_PAYMENT_TYPE"
    amount: WireMoney | None = None
    method: WireName | None = None
    provider_transaction_id: WireName | None = None


# --- Fulfillment -----------------------------------------------------------------------------


class DeliveryRestaurant(OrderModel):
    """Delivery by the restaurant itself."""

    fee: WireMoney | None = None


class DeliveryExternalProvider(OrderModel):
    """Delivery by an external courier."""

    id: WireRef | None = None
    name: WireName | None = None
    customer_fee: WireMoney | None = None
    commission: WireMoney | None = None
    pickup_time: Timestamp | None = None
    drop_off_time: Timestamp | None = None


class PickupInfo(OrderModel):
    """When the courier picks the delivery up."""

    window_start_time: Timestamp | None = None
    window_end_time: Timestamp | None = None


class DropOffInfo(OrderModel):
    """How the delivery is handed over."""

    contactless: bool | None = None


class AddressLocation(OrderModel):
    """Geo coordinates of an address (degrees; geometry, not money, so floats are fine)."""

    latitude: float | None = Field(default=None, ge=-90, le=90, allow_inf_nan=False)
    longitude: float | None = Field(default=None, ge=-180, le=180, allow_inf_nan=False)


class DeliveryAddress(OrderModel):
    """Where to deliver."""

    formatted: WireText | None = None
    country: WireName | None = None
    city: WireName | None = None
    street: WireName | None = None
    street_number: WireName | None = None
    apt: WireName | None = None
    floor: WireName | None = None
    entrance: WireName | None = None
    zip_code: WireName | None = None
    country_code: WireName | None = None
    on_arrival: OpenEnum | None = None
    approximate: bool | None = None
    comment: WireText | None = None
    location: AddressLocation | None = None
    address_line2: WireText | None = None
    subdivision: WireName | None = None


class DeliveryDetails(OrderModel):
    """Delivery: address, and who delivers (oneof `provider`: restaurant | externalProvider)."""

    restaurant: DeliveryRestaurant | None = None
    external_provider: DeliveryExternalProvider | None = None
    address: DeliveryAddress | None = None
    pickup_info: PickupInfo | None = None
    drop_off_info: DropOffInfo | None = None

    @model_validator(mode="before")
    @classmethod
    def _provider_oneof(cls, data: Any) -> Any:
        return _one_of(data, "restaurant", "externalProvider")


class Curbside(OrderModel):
    """Curbside pickup."""

    info: WireText | None = None


class PickupDetails(OrderModel):
    """Pickup by the customer."""

    fee: WireMoney | None = None
    curbside: Curbside | None = None


class DineInDetails(OrderModel):
    """Dine-in: e.g. label "table", value "#6"."""

    label: WireName | None = None
    value: WireName | None = None


FulfillmentType = Literal["UNSPECIFIED_FULFILLMENT_TYPE", "PICKUP", "DELIVERY", "DINE_IN"]


class Fulfillment(OrderModel):
    """How and when the order is fulfilled (oneof `details`: delivery | pickup | dine-in)."""

    type: FulfillmentType = "UNSPECIFIED_FULFILLMENT_TYPE"
    promised_time: Timestamp | None = None
    asap: bool = True  # absent or null: as soon as possible (Wix's documented default)
    delivery_details: DeliveryDetails | None = None
    pickup_details: PickupDetails | None = None
    dine_in_details: DineInDetails | None = None

    @model_validator(mode="before")
    @classmethod
    def _details_oneof(cls, data: Any) -> Any:
        return _one_of(data, "deliveryDetails", "pickupDetails", "dineInDetails")

    @property
    def fee(self) -> Decimal | None:
        """The fulfillment fee the details state (restaurant delivery, courier, or pickup), if any."""
        delivery = self.delivery_details
        if delivery is not None and delivery.restaurant is not None:
            return delivery.restaurant.fee
        if delivery is not None and delivery.external_provider is not None:
            return delivery.external_provider.customer_fee
        if self.pickup_details is not None:
            return self.pickup_details.fee
        return None


# --- Customer and totals ---------------------------------------------------------------------


class Customer(OrderModel):
    """Who ordered (oneof `id`: memberId | visitorId)."""

    first_name: WireName | None = None
    last_name: WireName | None = None
    phone: WireName | None = None
    email: WireName | None = None
    contact_id: WireRef | None = None
    member_id: WireRef | None = None
    visitor_id: WireRef | None = None

    @model_validator(mode="before")
    @classmethod
    def _id_oneof(cls, data: Any) -> Any:
        return _one_of(data, "memberId", "visitorId")


class FeeAmount(OrderModel):
    """An amount in a currency (a fee may be negative: a credit)."""

    value: SignedWireMoney = Decimal("0")
    currency: Currency | None = None


class ServiceFee(OrderModel):
    """A service fee rule applied to the order."""

    rule_id: WireRef | None = None
    name: WireName | None = None
    fee: FeeAmount = Field(default_factory=FeeAmount)
    tax: FeeAmount | None = None


class Totals(OrderModel):
    """The order's totals: an absent (or null) amount is zero, as in proto3.

    `discount` may be written as a negative value; it is taken off either way.
    """

    subtotal: WireMoney = Decimal("0")
    total: WireMoney = Decimal("0")
    delivery: WireMoney = Decimal("0")
    tax: WireMoney = Decimal("0")
    discount: SignedWireMoney = Decimal("0")
    loyalty_savings: WireMoney = Decimal("0")
    quantity: Count | None = None
    tip: WireMoney = Decimal("0")
    service_fees: list[ServiceFee] = Field(default_factory=list)


class LoyaltyInfo(OrderModel):
    """Wix Loyalty reward redeemed on the order."""

    applied_amount: WireMoney = Decimal("0")


class WixOrder(OrderModel):
    """The order Wix asks the POS to validate or create."""

    id: WireRef | None = None  # absent (or "") at Validate Order, before Wix has created the order
    currency: Currency | None = None
    line_items: list[LineItem] = Field(default_factory=list)
    discounts: list[Discount] = Field(default_factory=list)
    fulfillment: Fulfillment = Field(default_factory=Fulfillment)
    payments: list[Payment] = Field(default_factory=list)
    customer: Customer = Field(default_factory=Customer)
    totals: Totals = Field(default_factory=Totals)
    comment: WireText | None = None
    loyalty_info: LoyaltyInfo | None = None

    def to_order(self) -> model.Order:
        """The order in the domain's terms, with this wire form kept verbatim as its record."""
        fulfillment, totals, customer = self.fulfillment, self.totals, self.customer
        delivery = fulfillment.delivery_details
        point = delivery.address.location if delivery is not None and delivery.address is not None else None
        return model.Order(
            ref=self.id or None,
            currency=self.currency,
            lines=tuple(line.to_line() for line in self.line_items),
            totals=model.Totals(
                subtotal=totals.subtotal,
                total=totals.total,
                delivery=totals.delivery,
                tax=totals.tax,
                discount=totals.discount,
                loyalty_savings=totals.loyalty_savings,
                tip=totals.tip,
                service_fees=tuple(
                    model.ServiceFee(fee.fee.value, fee.tax.value if fee.tax is not None else None, fee.name)
                    for fee in totals.service_fees
                ),
            ),
            fulfillment=model.Fulfillment(
                type=model.FulfillmentType(fulfillment.type),
                promised_time=fulfillment.promised_time,
                asap=fulfillment.asap,
                fee=fulfillment.fee,
                external_courier=delivery is not None and delivery.external_provider is not None,
                address_point=model.GeoPoint(point.latitude, point.longitude)
                if point is not None and point.latitude is not None and point.longitude is not None
                else None,
            ),
            customer=model.Customer(customer.first_name, customer.last_name, customer.phone, customer.email),
            payments=tuple(
                model.Payment(payment.type, payment.amount, payment.method, payment.provider_transaction_id)
                for payment in self.payments
            ),
            discounts=tuple(
                model.Discount(
                    discount.applied_amount,
                    discount.catalog_discount_type,
                    discount.catalog_discount_name,
                    discount.catalog_discount_id,
                )
                for discount in self.discounts
            ),
            loyalty_applied=self.loyalty_info.applied_amount if self.loyalty_info is not None else None,
            comment=self.comment,
            received=self.to_wire(),
        )


LineItemOption.model_rebuild()
