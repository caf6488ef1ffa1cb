"""The WixOrder Wix sends to Validate Order and Create Order (wix-pos-spi.md §5), as pydantic models.

Field names are protobuf-JSON camelCase; unknown fields are ignored. Money is a decimal string on
the wire and a `Decimal` here (a JSON float is refused: money never passes through binary floating
point). oneof groups are flat on the wire (`fulfillment.deliveryDetails`); the grouped form of
Wix's docs schema (`fulfillment.details.deliveryDetails`) is accepted on input too. Bad input
raises pydantic's `ValidationError`, which the SPI layer answers with 400.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, BeforeValidator, Field, PlainSerializer, model_validator
from pydantic.alias_generators import to_snake

from posbridge.spi.wire import WireModel, flatten_groups

# Plain decimal notation only: no exponents, no digit separators, no NaN or Infinity.
_DECIMAL = re.compile(r"-?[0-9]+(\.[0-9]+)?")


def _parse_money(value: Any) -> Decimal:
    """A non-negative, finite Decimal from a decimal string (or an int); floats and junk are refused."""
    if isinstance(value, bool | float):
        raise ValueError('money must be a decimal string such as "12.50", not a JSON number')
    if isinstance(value, Decimal) and value.is_finite():
        parsed = value
    elif isinstance(value, int):
        parsed = Decimal(value)
    elif isinstance(value, str) and _DECIMAL.fullmatch(value.strip()):
        parsed = Decimal(value.strip())
    else:
        raise ValueError(f"not a decimal amount: {value!r}")
    if parsed < 0:
        raise ValueError(f"amount must not be negative: {value!r}")
    return parsed


Money = Annotated[
    Decimal,
    BeforeValidator(_parse_money),
    PlainSerializer(lambda amount: format(amount, "f"), return_type=str, when_used="json"),
]


def _one_of(data: Any, *members: str) -> Any:
    """Accept a oneof flat or grouped (`{"details": {"pickupDetails": …}}`), and insist on at most one member."""
    data = flatten_groups(data, frozenset(members))
    if isinstance(data, dict):
        present = [name for name in members if data.get(name) is not None or data.get(to_snake(name)) is not None]
        if len(present) > 1:
            raise ValueError(f"only one of {', '.join(members)} may be set, got {', '.join(present)}")
    return data


# --- Line items and options ------------------------------------------------------------------


class CatalogReference(WireModel):
    """Where a line comes from: the Wix catalog item id posbridge created during sync."""

    catalog_item_id: str | None = None
    catalog_item_name: str | None = None
    catalog_item_description: str | None = None
    catalog_item_media: str | None = None


class LineItemOptionItem(WireModel):
    """A choice an option offered."""

    item_id: str | None = None
    price: Money | None = None
    name: str | None = None


class LineItemOption(WireModel):
    """A dish option of a line: what was offered and what the customer selected (selections nest)."""

    name: str = ""
    type: Literal["UNSPECIFIED_DISPLAY_TYPE", "SELECTION", "EXTRAS", "DESELECTION"] = "UNSPECIFIED_DISPLAY_TYPE"
    min_choices: int | None = Field(default=None, ge=0)
    max_choices: int | None = Field(default=None, ge=0)
    available_choices: list[LineItemOptionItem] = Field(default_factory=list)
    default_choices: list[str] = Field(default_factory=list)
    selected_choices: list[LineItem] = Field(default_factory=list)


class LineItem(WireModel):
    """A line: quantity × unit price, with its options."""

    quantity: int = Field(default=1, ge=1)
    price: Money = Decimal("0")
    comment: str | None = None
    dish_options: list[LineItemOption] = Field(default_factory=list)
    catalog_reference: CatalogReference = Field(default_factory=CatalogReference)

    @property
    def catalog_item_id(self) -> str | None:
        """The Wix catalog item id of this line."""
        return self.catalog_reference.catalog_item_id


# --- Discounts and payments ------------------------------------------------------------------


class Discount(WireModel):
    """A discount applied to the order."""

    catalog_discount_id: str | None = None
    applied_amount: Money = Decimal("0")
    catalog_discount_type: Literal["UNSPECIFIED_TYPE", "OFF_ITEM", "OFF_ORDER", "OFF_ORDER_MANAGER_DISCOUNT"] = (
        "UNSPECIFIED_TYPE"
    )
    catalog_discount_name: str | None = None
    catalog_discount_description: str | None = None


PaymentType = Literal[
    "UNSPECIFIED_PAYMENT_TYPE",
    "CASH",
    "CREDIT",
    "DELIVERY_CLUB",
    "DELIVERY_COM",
    "BITPAY",
    "CELLARIX",
    "BITSOFGOLD",
    "MULTIPASS",
    "TENBIS",
    "PAYPAL",
    "MYSODEXO",
    "WIX_PAYMENTS",
]


class Payment(WireModel):
    """One payment of the order (several when split)."""

    type: PaymentType = "UNSPECIFIED_PAYMENT_TYPE"
    amount: Money = Decimal("0")
    method: str | None = None
    provider_transaction_id: str | None = None


# --- Fulfillment -----------------------------------------------------------------------------


class DeliveryRestaurant(WireModel):
    """Delivery by the restaurant itself."""

    fee: Money | None = None


class DeliveryExternalProvider(WireModel):
    """Delivery by an external courier."""

    id: str | None = None
    name: str | None = None
    customer_fee: Money | None = None
    commission: Money | None = None
    pickup_time: AwareDatetime | None = None
    drop_off_time: AwareDatetime | None = None


class PickupInfo(WireModel):
    """When the courier picks the delivery up."""

    window_start_time: AwareDatetime | None = None
    window_end_time: AwareDatetime | None = None


class DropOffInfo(WireModel):
    """How the delivery is handed over."""

    contactless: bool | None = None


class AddressLocation(WireModel):
    """Geo coordinates of an address (degrees; geometry, not money, so floats are fine)."""

    latitude: float | None = Field(default=None, ge=-90, le=90)
    longitude: float | None = Field(default=None, ge=-180, le=180)


class DeliveryAddress(WireModel):
    """Where to deliver."""

    formatted: str | None = None
    country: str | None = None
    city: str | None = None
    street: str | None = None
    street_number: str | None = None
    apt: str | None = None
    floor: str | None = None
    entrance: str | None = None
    zip_code: str | None = None
    country_code: str | None = None
    on_arrival: Literal["UNSPECIFIED_ON_ARRIVAL_TYPE", "BUZZ_DOOR", "CALL_ME"] | None = None
    approximate: bool | None = None
    comment: str | None = None
    location: AddressLocation | None = None
    address_line2: str | None = None
    subdivision: str | None = None


class DeliveryDetails(WireModel):
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


class Curbside(WireModel):
    """Curbside pickup."""

    info: str | None = None


class PickupDetails(WireModel):
    """Pickup by the customer."""

    fee: Money | None = None
    curbside: Curbside | None = None


class DineInDetails(WireModel):
    """Dine-in: e.g. label "table", value "#6"."""

    label: str | None = None
    value: str | None = None


FulfillmentType = Literal["UNSPECIFIED_FULFILLMENT_TYPE", "PICKUP", "DELIVERY", "DINE_IN"]


class Fulfillment(WireModel):
    """How and when the order is fulfilled (oneof `details`: delivery | pickup | dine-in)."""

    type: FulfillmentType = "UNSPECIFIED_FULFILLMENT_TYPE"
    promised_time: AwareDatetime | None = None
    asap: bool = True
    delivery_details: DeliveryDetails | None = None
    pickup_details: PickupDetails | None = None
    dine_in_details: DineInDetails | None = None

    @model_validator(mode="before")
    @classmethod
    def _details_oneof(cls, data: Any) -> Any:
        return _one_of(data, "deliveryDetails", "pickupDetails", "dineInDetails")


# --- Customer and totals ---------------------------------------------------------------------


class Customer(WireModel):
    """Who ordered (oneof `id`: memberId | visitorId)."""

    first_name: str | None = None
    last_name: str | None = None
    phone: str | None = None
    email: str | None = None
    contact_id: str | None = None
    member_id: str | None = None
    visitor_id: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _id_oneof(cls, data: Any) -> Any:
        return _one_of(data, "memberId", "visitorId")


class FeeAmount(WireModel):
    """An amount in a currency."""

    value: Money = Decimal("0")
    currency: str | None = None


class ServiceFee(WireModel):
    """A service fee rule applied to the order."""

    rule_id: str | None = None
    name: str | None = None
    fee: FeeAmount = Field(default_factory=FeeAmount)
    tax: FeeAmount | None = None


class Totals(WireModel):
    """The order's totals (an absent amount is zero, as in proto3)."""

    subtotal: Money = Decimal("0")
    total: Money = Decimal("0")
    delivery: Money = Decimal("0")
    tax: Money = Decimal("0")
    discount: Money = Decimal("0")
    loyalty_savings: Money = Decimal("0")
    quantity: int | None = Field(default=None, ge=0)
    tip: Money = Decimal("0")
    service_fees: list[ServiceFee] = Field(default_factory=list)


class LoyaltyInfo(WireModel):
    """Wix Loyalty reward redeemed on the order."""

    applied_amount: Money = Decimal("0")


class WixOrder(WireModel):
    """The order Wix asks the POS to validate or create."""

    id: str | None = None  # absent at Validate Order, before Wix has created the order
    currency: str | None = None
    line_items: list[LineItem] = Field(default_factory=list)
    discounts: list[Discount] = Field(default_factory=list)
    fulfillment: Fulfillment = Field(default_factory=Fulfillment)
    payments: list[Payment] = Field(default_factory=list)
    customer: Customer = Field(default_factory=Customer)
    totals: Totals = Field(default_factory=Totals)
    comment: str | None = None
    loyalty_info: LoyaltyInfo | None = None


LineItemOption.model_rebuild()
