"""eCommerce's order events as Wix sends them to `/wix/webhooks`, read into the services' terms at the edge.

The new generation's counterpart of `spi/order_wire.py` (the SPI's WixOrder): an
`order_approved` event's order becomes the domain's `orders.model.Order` (its restaurant lines,
totals, buyer and fulfillment; `received` keeps Wix's order verbatim for the record), with what
else the placement needs from the event (business location, order number, an offline payment, each
line's price variant); `order_canceled` and `order_payment_status_updated` become the facts the
kitchen acts on. Lines of other apps (another `catalogReference.appId`) are not the kitchen's
business and are left out. The JSON is read liberally, as Wix may add fields; money is read as a
`Decimal` from Wix's decimal strings.

A missing order or order id is refused at once (400). What else of an order cannot be read (an
amount, a time slot, a value of the wrong type) is carried to the service as `unreadable` and raised
only where the service needs it: another kitchen's order, another app's, or an event the kitchen
has no business with is answered without reading the rest.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from posbridge.errors import InvalidArgument
from posbridge.orders.model import (
    Customer,
    Fulfillment,
    FulfillmentType,
    LineOption,
    Order,
    OrderLine,
    Payment,
    Totals,
)
from posbridge.services.ecom_orders import (
    ORDER_CANCELED,
    PAYMENT_STATUS_UPDATED,
    REFUND_STATUSES,
    EcomApproved,
    EcomCanceled,
    EcomEvent,
    EcomPaymentStatus,
)
from posbridge.services.validations import RESTAURANTS_APP_ID

ORDER_FIELD = "data.actionEvent.body.order"
# How reading an order Wix malformed fails: a refusal of its own (a bad amount or time), or a value
# of the wrong JSON type met on the way.
UNREADABLE = (InvalidArgument, AttributeError, TypeError, ValueError)


def parse_event(event_type: str, data: Mapping[str, Any]) -> EcomEvent:
    """One of eCommerce's order events (`ecom_orders.is_ecom_order_event`) in the services' terms."""
    try:
        return _parse_event(event_type, data)
    except (AttributeError, TypeError, ValueError):
        # The event's frame is not eCommerce's (a body that is not an object): Wix's malformation, a 400.
        raise InvalidArgument("The event is not in eCommerce's shape", field="data.actionEvent") from None


def _refusal(exc: Exception) -> InvalidArgument:
    """What could not be read of an order, as the 400 it is answered with wherever the service raises it.

    A value of the wrong JSON type (a quantity "two", a list for an object) is as much Wix's malformation
    as a bad amount: it is refused, never a 500 that Wix would resend for two days.
    """
    return exc if isinstance(exc, InvalidArgument) else InvalidArgument("The order is not in eCommerce's shape")


def _parse_event(event_type: str, data: Mapping[str, Any]) -> EcomEvent:
    body = (data.get("actionEvent") or {}).get("body") or {}
    order: Any = body.get("order")
    if event_type == ORDER_CANCELED:
        message = body.get("customMessage")
        return EcomCanceled(
            order_id=_order_id(order),
            restaurant=_restaurant_order(order),
            message=message if isinstance(message, str) else None,
        )
    if event_type == PAYMENT_STATUS_UPDATED:
        return _payment(order)
    return _approved(order)


def _approved(order: Any) -> EcomApproved:
    if not isinstance(order, dict):
        raise InvalidArgument("The event holds no order", field=ORDER_FIELD)
    location = (order.get("businessLocation") or {}).get("id")
    order_id = order.get("id")
    if not isinstance(order_id, str) or not order_id:
        raise InvalidArgument("The order has no id", field="order.id")
    domain, offline, unreadable = None, False, None
    variants: tuple[str | None, ...] = ()
    try:
        domain = to_order(order)
        offline = any(line.get("paymentOption") == "FULL_PAYMENT_OFFLINE" for line in order.get("lineItems") or [])
        variants = tuple(_variant(raw) for raw in _restaurant_lines(order))
    except UNREADABLE as exc:
        unreadable = _refusal(exc)
    return EcomApproved(
        order_id=order_id,
        business_location=location if isinstance(location, str) and location else None,
        order=domain,
        number=_number(order),
        offline=offline,
        variants=variants,
        unreadable=unreadable,
    )


def _payment(order: Any) -> EcomPaymentStatus:
    order_id = _order_id(order)
    status = order.get("paymentStatus")
    restaurant, refunded, balance, unreadable = True, Decimal(0), order.get("balanceSummary"), None
    if status in REFUND_STATUSES:  # only a refund is the kitchen's business, and only it states an amount
        try:
            restaurant = _restaurant_order(order)
            if restaurant:
                refunded = _amount((balance or {}).get("refunded"))
        except UNREADABLE as exc:
            unreadable = _refusal(exc)
    return EcomPaymentStatus(
        order_id=order_id,
        restaurant=restaurant,
        payment_status=status if isinstance(status, str) else None,
        refunded=refunded,
        number=_number(order),
        balance=balance if isinstance(balance, dict) else None,
        unreadable=unreadable,
    )


def to_order(order: Mapping[str, Any]) -> Order:
    """The eCommerce order's restaurant lines, totals and buyer in the domain's terms."""
    lines = []
    for raw in _restaurant_lines(order):
        ref = raw.get("catalogReference") or {}
        options = []
        for group in raw.get("modifierGroups") or []:
            selected = tuple(
                OrderLine(
                    quantity=int(m.get("quantity") or 1),
                    price=_amount(m.get("price")),
                    item_ref=m.get("id"),
                    name=_text(m.get("label")),
                )
                for m in group.get("modifiers") or []
            )
            options.append(LineOption(name=_text(group.get("name")) or "", type="SELECTION", selected=selected))
        lines.append(
            OrderLine(
                quantity=int(raw.get("quantity") or 0),
                price=_amount(raw.get("price")),
                item_ref=ref.get("catalogItemId"),
                name=_text(raw.get("productName")),
                comment=(ref.get("options") or {}).get("specialRequests"),
                options=tuple(options),
            )
        )
    summary = order.get("priceSummary") or {}
    total = _amount(summary.get("total"))
    paid = _amount((order.get("balanceSummary") or {}).get("paid"))
    contact = (order.get("billingInfo") or {}).get("contactDetails") or {}
    buyer = order.get("buyerInfo") or {}
    return Order(
        ref=order.get("id"),
        currency=order.get("currency"),
        lines=tuple(lines),
        totals=Totals(
            subtotal=_amount(summary.get("subtotal")),
            delivery=_amount(summary.get("shipping")),
            tax=_amount(summary.get("tax")),
            discount=_amount(summary.get("discount")),
            total=total,
        ),
        fulfillment=_fulfillment(order.get("shippingInfo") or {}, _amount(summary.get("shipping"))),
        customer=Customer(
            first_name=contact.get("firstName"),
            last_name=contact.get("lastName"),
            phone=contact.get("phone"),
            email=buyer.get("email"),
        ),
        payments=(Payment(type="CREDIT_CARD", amount=paid),) if paid > 0 else (),
        comment=order.get("buyerNote"),
        received=order,
    )


def _restaurant_lines(order: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The order's restaurant lines, in order (the domain order's lines and the variants match them)."""
    return [
        raw
        for raw in order.get("lineItems") or []
        if (raw.get("catalogReference") or {}).get("appId") == RESTAURANTS_APP_ID
    ]


def _variant(raw: Mapping[str, Any]) -> str | None:
    """A line's price variant (a size), None where it has none."""
    options = (raw.get("catalogReference") or {}).get("options") or {}
    variant = (options.get("priceVariant") or {}).get("id")
    return variant if isinstance(variant, str) and variant else None


def _restaurant_order(order: Mapping[str, Any]) -> bool:
    """Whether the order may be a kitchen's: a restaurant line, or no lines in the event to judge by.

    Another app's order (Stores, Bookings) is not kept, so a busy shop's cancels and refunds do not pile up.
    """
    lines = order.get("lineItems")
    if not isinstance(lines, list) or not lines:
        return True
    return any(
        isinstance(line, dict) and (line.get("catalogReference") or {}).get("appId") == RESTAURANTS_APP_ID
        for line in lines
    )


def _order_id(order: Any) -> str:
    order_id = order.get("id") if isinstance(order, dict) else None
    if not isinstance(order_id, str) or not order_id:
        raise InvalidArgument("The event holds no order id", field=f"{ORDER_FIELD}.id")
    return order_id


def _number(order: Mapping[str, Any]) -> str | None:
    """The order's number as people know it ("10042"), when Wix states one."""
    number = order.get("number")
    return str(number) if number else None


def _fulfillment(shipping: Mapping[str, Any], fee: Decimal) -> Fulfillment:
    """Pickup or delivery, from the shipping line's logistics (a time slot makes it scheduled)."""
    logistics = shipping.get("logistics") or {}
    kind = FulfillmentType.PICKUP if "pickupDetails" in logistics else FulfillmentType.DELIVERY
    slot = logistics.get("deliveryTimeSlot") or {}
    promised = None
    if isinstance(slot.get("from"), str):
        try:
            promised = datetime.fromisoformat(slot["from"].replace("Z", "+00:00"))
        except ValueError:
            raise InvalidArgument("The order's time slot is not a time", field="shippingInfo") from None
    return Fulfillment(type=kind, promised_time=promised, asap=promised is None, fee=fee)


def _amount(price: Any) -> Decimal:
    value = price.get("amount") if isinstance(price, dict) else price
    try:
        return Decimal(str(value)) if value is not None else Decimal("0")
    except InvalidOperation:
        raise InvalidArgument("An amount of the order is not a number") from None


def _text(value: Any) -> str | None:
    if isinstance(value, dict):
        value = value.get("original") or value.get("translated")
    return value if isinstance(value, str) else None
