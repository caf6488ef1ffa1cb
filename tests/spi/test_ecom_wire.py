"""eCommerce's order events read at the edge (`spi/ecom_wire.py`): the services receive the domain's order."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from posbridge.errors import InvalidArgument
from posbridge.orders.model import FulfillmentType, LineOption, OrderLine, Payment
from posbridge.services import ecom_orders
from posbridge.services.ecom_orders import EcomApproved, EcomCanceled, EcomPaymentStatus
from posbridge.services.validations import RESTAURANTS_APP_ID
from posbridge.spi.ecom_wire import parse_event, to_order
from posbridge.store.db import Database

STORES_APP_ID = "215238eb-22a5-4c36-9e7b-e7c08025e04e"


def money(amount: str) -> dict[str, str]:
    return {"amount": amount, "formattedAmount": f"${amount}"}


def dish(item: str, quantity: int, price: str, *, app_id: str = RESTAURANTS_APP_ID, **options: Any) -> dict[str, Any]:
    return {
        "id": f"line-{item}",
        "quantity": quantity,
        "price": money(price),
        "productName": {"original": item.title()},
        "catalogReference": {"catalogItemId": item, "appId": app_id, "options": options},
    }


def ecom_order(**overrides: Any) -> dict[str, Any]:
    sized = dish("pizza", 2, "12.00", priceVariant={"id": "variant-large"}, specialRequests="well done")
    sized["modifierGroups"] = [
        {"name": {"original": "Toppings"}, "modifiers": [{"id": "mod-olives", "label": "Olives", "price": "1.50"}]}
    ]
    order = {
        "id": "ecom-1",
        "number": 10042,
        "currency": "USD",
        "businessLocation": {"id": "business-location-1"},
        "lineItems": [sized, dish("t-shirt", 1, "20.00", app_id=STORES_APP_ID), dish("salad", 1, "8.00")],
        "priceSummary": {
            "subtotal": money("35.00"),
            "shipping": money("0"),
            "tax": money("3.10"),
            "total": money("38.10"),
        },
        "balanceSummary": {"paid": money("38.10")},
        "billingInfo": {"contactDetails": {"firstName": "Ada", "lastName": "Lovelace", "phone": "+1 555 0100"}},
        "buyerInfo": {"email": "ada@example.com"},
        "shippingInfo": {"logistics": {"pickupDetails": {}, "deliveryTimeSlot": {"from": "2026-12-04T19:00:00Z"}}},
        "buyerNote": "ring twice",
    }
    return {**order, **overrides}


def event(order: Any, **body: Any) -> dict[str, Any]:
    return {"actionEvent": {"body": {"order": order, **body}}}


def test_an_ecom_order_becomes_the_domains_order_with_its_restaurant_lines_only() -> None:
    raw = ecom_order()
    order = to_order(raw)
    assert [(line.item_ref, line.quantity, line.price) for line in order.lines] == [
        ("pizza", 2, Decimal("12.00")),
        ("salad", 1, Decimal("8.00")),
    ]
    pizza = order.lines[0]
    assert (pizza.name, pizza.comment) == ("Pizza", "well done")
    assert pizza.options == (
        LineOption("Toppings", "SELECTION", (OrderLine(1, Decimal("1.50"), "mod-olives", "Olives"),)),
    )
    assert (order.ref, order.currency, order.totals.total, order.totals.tax) == (
        "ecom-1",
        "USD",
        Decimal("38.10"),
        Decimal("3.10"),
    )
    assert order.fulfillment.type == FulfillmentType.PICKUP and not order.fulfillment.asap
    assert order.fulfillment.promised_time == datetime(2026, 12, 4, 19, tzinfo=UTC)
    assert (order.customer.first_name, order.customer.email) == ("Ada", "ada@example.com")
    assert order.payments == (Payment(type="CREDIT_CARD", amount=Decimal("38.10")),)
    assert order.comment == "ring twice" and order.received is raw


def test_an_approval_carries_what_the_placement_needs() -> None:
    raw = ecom_order()
    raw["lineItems"][2]["paymentOption"] = "FULL_PAYMENT_OFFLINE"
    approved = parse_event(ecom_orders.ORDER_APPROVED, event(raw))
    assert isinstance(approved, EcomApproved)
    assert (approved.order_id, approved.business_location, approved.number) == (
        "ecom-1",
        "business-location-1",
        "10042",
    )
    assert approved.offline and approved.unreadable is None
    assert approved.variants == ("variant-large", None)  # one per restaurant line, in the order's line order
    assert approved.order == to_order(raw)


@pytest.mark.parametrize(("order", "field"), [(None, "data.actionEvent.body.order"), ({"lineItems": []}, "order.id")])
def test_an_approval_without_an_order_or_its_id_is_refused(order: Any, field: str) -> None:
    with pytest.raises(InvalidArgument) as refused:
        parse_event(ecom_orders.ORDER_APPROVED, event(order))
    assert refused.value.details[0].params.get("field") == field


def test_an_unreadable_amount_is_carried_to_the_service_not_raised() -> None:
    approved = parse_event(ecom_orders.ORDER_APPROVED, event(ecom_order(priceSummary={"total": money("lots")})))
    assert isinstance(approved, EcomApproved)
    assert approved.order is None and isinstance(approved.unreadable, InvalidArgument)


@pytest.mark.parametrize(
    "line",
    [
        {"quantity": "two"},
        {"modifierGroups": "cheese"},
        {"modifierGroups": [{"modifiers": [{"quantity": [1]}]}]},
        {"catalogReference": {"appId": RESTAURANTS_APP_ID, "options": ["large"]}},
    ],
)
def test_a_value_of_the_wrong_type_is_carried_as_a_refusal(line: dict[str, Any]) -> None:
    """Raised by the service only for a kitchen's order, and then as a 400, never a 500 Wix resends for days."""
    raw = dish("pizza", 1, "12.00")
    raw.update(line)
    approved = parse_event(ecom_orders.ORDER_APPROVED, event(ecom_order(lineItems=[raw])))
    assert isinstance(approved, EcomApproved)
    assert approved.order is None and isinstance(approved.unreadable, InvalidArgument)
    assert approved.unreadable.http_status == 400


@pytest.mark.parametrize("frame", [{"actionEvent": ["order"]}, {"actionEvent": {"body": "order"}}])
def test_an_event_frame_not_in_ecommerces_shape_is_refused(frame: dict[str, Any]) -> None:
    for kind in (ecom_orders.ORDER_APPROVED, ecom_orders.ORDER_CANCELED, ecom_orders.PAYMENT_STATUS_UPDATED):
        with pytest.raises(InvalidArgument) as refused:
            parse_event(kind, frame)
        assert refused.value.http_status == 400


def test_an_unreadable_order_for_no_paired_kitchen_is_not_ours(db: Database) -> None:
    """Another kitchen's order is answered without reading it (the service raises what was unreadable only for ours)."""
    approved = parse_event(ecom_orders.ORDER_APPROVED, event(ecom_order(priceSummary={"total": money("lots")})))
    assert ecom_orders.apply_ecom_event(db, str(uuid.uuid4()), approved) == ecom_orders.NOT_OURS


def test_a_cancel_says_whose_order_it_is_and_the_merchants_words() -> None:
    shop = ecom_order(lineItems=[dish("t-shirt", 1, "20.00", app_id=STORES_APP_ID)])
    assert parse_event(ecom_orders.ORDER_CANCELED, event(shop, customMessage="sold out")) == EcomCanceled(
        "ecom-1", restaurant=False, message="sold out"
    )
    assert parse_event(ecom_orders.ORDER_CANCELED, event({"id": "ecom-2"})) == EcomCanceled("ecom-2", restaurant=True)
    with pytest.raises(InvalidArgument):
        parse_event(ecom_orders.ORDER_CANCELED, event({"lineItems": []}))


def test_a_refund_states_what_wix_refunded_and_a_payment_reads_no_amount() -> None:
    balance = {"paid": money("38.10"), "refunded": money("5.00")}
    refund = parse_event(
        ecom_orders.PAYMENT_STATUS_UPDATED,
        event(ecom_order(paymentStatus="PARTIALLY_REFUNDED", balanceSummary=balance)),
    )
    assert refund == EcomPaymentStatus(
        "ecom-1", "PARTIALLY_REFUNDED", restaurant=True, refunded=Decimal("5.00"), number="10042", balance=balance
    )
    odd = {"refunded": money("n/a")}
    paid = parse_event(ecom_orders.PAYMENT_STATUS_UPDATED, event(ecom_order(paymentStatus="PAID", balanceSummary=odd)))
    assert isinstance(paid, EcomPaymentStatus) and paid.unreadable is None
    refunded = parse_event(
        ecom_orders.PAYMENT_STATUS_UPDATED, event(ecom_order(paymentStatus="FULLY_REFUNDED", balanceSummary=odd))
    )
    assert isinstance(refunded, EcomPaymentStatus) and isinstance(refunded.unreadable, InvalidArgument)
