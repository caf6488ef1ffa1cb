"""New-generation hand-over: `wix.ecom.v1.order_approved` places the eCommerce order in the POS (issue 14 §5).

The event's order (`actionEvent.body.order`) names its `businessLocation`; the pairing is the
instance's NEWGEN configuration whose Wix id is that location, and its id space in the sync id map
is the same id, so `catalogReference.catalogItemId` (a Menus item) and the modifier ids map back to
POS items and variations exactly as an SPI order's catalog ids do. The order then goes through
`ordering.create_order`, keyed by (instance, business location, eCommerce order id): however often
and in whatever order Wix's events arrive, one order reaches the kitchen and the POS. Lines that
are not restaurant items (another app's `catalogReference.appId`) are not the kitchen's business.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import select

from posbridge.errors import InvalidArgument, WixError
from posbridge.logs import get_logger
from posbridge.orders.model import Customer, Fulfillment, FulfillmentType, LineOption, Order, OrderLine, Payment, Totals
from posbridge.services import order_events, order_flow, ordering
from posbridge.services.validations import RESTAURANTS_APP_ID
from posbridge.store.db import Database
from posbridge.store.models import Account, Configuration
from posbridge.store.models import Order as OrderRecord
from posbridge.wix.generation import Generation

ORDER_APPROVED = "wix.ecom.v1.order_approved"
ORDER_CANCELED = "wix.ecom.v1.order_canceled"
# Outcomes, for logs and tests.
PLACED, DUPLICATE, NOT_OURS, REFUSED = "PLACED", "DUPLICATE", "NOT_OURS", "REFUSED"
log = get_logger("ecom_orders")


def is_ecom_order_event(event_type: str) -> bool:
    return event_type in (ORDER_APPROVED, ORDER_CANCELED)


def apply_ecom_event(db: Database, instance_id: str, event_type: str, data: dict[str, Any]) -> str:
    """Place an approved eCommerce order once, or cancel it in the kitchen and the POS; the outcome."""
    order = ((data.get("actionEvent") or {}).get("body") or {}).get("order")
    if event_type == ORDER_CANCELED:
        return _cancel(db, instance_id, order)
    if not isinstance(order, dict):
        raise InvalidArgument("The event holds no order", field="data.actionEvent.body.order")
    location = (order.get("businessLocation") or {}).get("id")
    order_id = order.get("id")
    if not isinstance(order_id, str) or not order_id:
        raise InvalidArgument("The order has no id", field="order.id")
    if not isinstance(location, str) or not location:
        return NOT_OURS  # no restaurant location: not an order of a paired kitchen
    with db.transaction(write=False) as session:
        row = session.execute(
            select(Account.account_id)
            .join(Configuration, Configuration.account_pk == Account.id)
            .where(
                Configuration.instance_id == instance_id,
                Configuration.wix_id == location,
                Configuration.generation == Generation.NEWGEN,
            )
        ).first()
    if row is None:
        log.info("ecom_order.unpaired_location", instance_id=instance_id, location=location, wix_order_id=order_id)
        return NOT_OURS
    domain = to_domain(order)
    if not domain.lines:
        return NOT_OURS
    offline = any(line.get("paymentOption") == "FULL_PAYMENT_OFFLINE" for line in order.get("lineItems") or [])
    try:
        created = ordering.create_order(
            db,
            instance_id=instance_id,
            account_id=row[0],
            configuration_id=location,
            order=domain,
            paid_by_pos_gateway=offline,
        )
    except WixError as exc:
        # Wix already took the order: refusing the webhook would only make Wix resend it. The refusal
        # is logged with its reason (ordering logs `order_refused`); the order is not placed.
        log.warning(
            "ecom_order.refused", instance_id=instance_id, wix_order_id=order_id, code=exc.code, reason=str(exc)
        )
        return REFUSED
    return PLACED if created.created else DUPLICATE


def _cancel(db: Database, instance_id: str, order: Any) -> str:
    """Wix cancelled the order (merchant, refund, …): the kitchen's order follows, never reported back."""
    order_id = order.get("id") if isinstance(order, dict) else None
    if not isinstance(order_id, str) or not order_id:
        raise InvalidArgument("The event holds no order id", field="data.actionEvent.body.order.id")
    with db.transaction() as session:
        row = session.scalar(
            select(OrderRecord)
            .where(OrderRecord.instance_id == instance_id, OrderRecord.wix_order_id == order_id)
            .with_for_update()
        )
        if row is None:
            return NOT_OURS
        return order_events.apply_wix_status(session, row, order_flow.CANCELED, at=None)


def to_domain(order: dict[str, Any]) -> Order:
    """The eCommerce order's restaurant lines, totals and buyer in the domain's terms."""
    lines = []
    for raw in order.get("lineItems") or []:
        ref = raw.get("catalogReference") or {}
        if ref.get("appId") != RESTAURANTS_APP_ID:
            continue
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


def _fulfillment(shipping: dict[str, Any], fee: Decimal) -> Fulfillment:
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
