"""The WixOrder wire model: camelCase, money as exact decimal strings, oneof groups flat or grouped."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from pydantic import ValidationError

from posbridge.orders.model import FulfillmentType, GeoPoint
from posbridge.spi.order_wire import WixOrder
from tests.support.orders import CUSTOMER, NEAR_DOWNTOWN, choice, line, order_dict


def test_a_full_order_round_trips_through_the_flat_wire_form() -> None:
    raw = order_dict(
        [line("item-1", 2, options={"Size": ["var-large"], "Extras": ["var-bacon"]})],
        fulfillment_type="DELIVERY",
        delivery="3.00",
        tax="2.66",
        tip="4.00",
        service_fees=("1.25",),
    )
    order = WixOrder.model_validate(raw)
    assert order.line_items[0].price == Decimal("12.50")
    assert order.line_items[0].dish_options[0].selected_choices[0].price == Decimal("3.00")
    assert order.totals.service_fees[0].fee.value == Decimal("1.25")
    assert order.fulfillment.delivery_details is not None
    assert order.fulfillment.delivery_details.restaurant is not None
    wire = order.to_wire()
    assert wire["totals"]["subtotal"] == "35.00"
    assert wire["fulfillment"]["deliveryDetails"]["restaurant"]["fee"] == "3.00"
    assert "details" not in wire["fulfillment"]
    assert WixOrder.model_validate(wire) == order


def test_grouped_oneofs_are_accepted_and_emitted_flat() -> None:
    order = WixOrder.model_validate(
        {
            "fulfillment": {
                "type": "DELIVERY",
                "details": {
                    "deliveryDetails": {
                        "provider": {"externalProvider": {"id": "courier-1", "customerFee": "4.50"}},
                        "address": {"location": {"latitude": 40.7, "longitude": -73.9}},
                    }
                },
            },
            "customer": {"firstName": "Ada", "id": {"memberId": "member-1"}},
        }
    )
    details = order.fulfillment.delivery_details
    assert details is not None and details.external_provider is not None
    assert details.external_provider.customer_fee == Decimal("4.50")
    assert order.customer.member_id == "member-1"
    wire = order.to_wire()
    assert wire["fulfillment"]["deliveryDetails"]["externalProvider"]["customerFee"] == "4.50"
    assert wire["customer"] == {"firstName": "Ada", "memberId": "member-1"}


@pytest.mark.parametrize(
    "payload",
    [
        {"customer": {"memberId": "m", "visitorId": "v"}},
        {"fulfillment": {"pickupDetails": {}, "dineInDetails": {"label": "table"}}},
        {"fulfillment": {"deliveryDetails": {"restaurant": {}, "externalProvider": {}}}},
    ],
)
def test_two_members_of_one_oneof_are_refused(payload: dict[str, Any]) -> None:
    with pytest.raises(ValidationError, match="only one of"):
        WixOrder.model_validate(payload)


def test_unknown_fields_are_ignored() -> None:
    order = WixOrder.model_validate({"id": "o-1", "brandNew": {"x": 1}, "totals": {"total": "1.00", "futureField": 3}})
    assert order.id == "o-1"
    assert order.totals.total == Decimal("1.00")


@pytest.mark.parametrize(
    ("amount", "problem"),
    [
        (12.5, "not a JSON number"),
        ("12,50", "not a decimal amount"),
        ("ten", "not a decimal amount"),
        ("NaN", "not a decimal amount"),
        ("Infinity", "not a decimal amount"),
        ("1_000", "not a decimal amount"),
        ("1e3", "not a decimal amount"),
        ({"units": 12}, "not a decimal amount"),
        ("-1.00", "must not be negative"),
        (10**30, "below"),
        (True, "not a JSON number"),
    ],
)
def test_money_that_is_not_an_exact_decimal_string_is_refused(amount: Any, problem: str) -> None:
    with pytest.raises(ValidationError, match=problem) as raised:
        WixOrder.model_validate({"totals": {"total": amount}})
    assert raised.value.errors()[0]["loc"] == ("totals", "total")


def test_money_keeps_every_digit() -> None:
    order = WixOrder.model_validate({"totals": {"total": "0.1", "tax": "0.2", "subtotal": 3}})
    assert order.totals.total + order.totals.tax == Decimal("0.3")
    assert order.totals.subtotal == Decimal("3")
    assert order.to_wire()["totals"]["total"] == "0.1"


def test_timestamps_must_carry_a_time_zone() -> None:
    order = WixOrder.model_validate({"fulfillment": {"promisedTime": "2026-11-27T18:00:00-05:00", "asap": False}})
    assert order.fulfillment.promised_time == datetime(2026, 11, 27, 23, 0, tzinfo=UTC)
    assert order.to_wire()["fulfillment"]["promisedTime"] == "2026-11-27T18:00:00-05:00"
    with pytest.raises(ValidationError, match="timezone"):
        WixOrder.model_validate({"fulfillment": {"promisedTime": "2026-11-27T18:00:00"}})


@pytest.mark.parametrize(
    "payload",
    [
        {"fulfillment": {"type": "TELEPORT"}},
        {"lineItems": [{"quantity": 0}]},
    ],
)
def test_fulfillment_type_stays_strict_and_quantities_positive(payload: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        WixOrder.model_validate(payload)


def test_open_enums_keep_an_unknown_value_verbatim() -> None:
    order = WixOrder.model_validate(
        {
            "lineItems": [{"dishOptions": [{"type": "RANDOM"}]}],
            "payments": [{"type": "SEASHELLS"}],
            "discounts": [{"catalogDiscountType": "HALF_OFF"}],
            "fulfillment": {"type": "DELIVERY", "deliveryDetails": {"address": {"onArrival": "KNOCK_TWICE"}}},
        }
    )
    assert order.line_items[0].dish_options[0].type == "RANDOM"
    assert order.payments[0].type == "SEASHELLS"
    assert order.discounts[0].catalog_discount_type == "HALF_OFF"
    details = order.fulfillment.delivery_details
    assert details is not None and details.address is not None and details.address.on_arrival == "KNOCK_TWICE"
    assert order.to_wire()["payments"][0]["type"] == "SEASHELLS"


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"payments": [{"type": "a" * 65}]}, ("payments", 0, "type")),
        ({"payments": [{"type": "TWO WORDS"}]}, ("payments", 0, "type")),
        ({"discounts": [{"catalogDiscountType": 3}]}, ("discounts", 0, "catalogDiscountType")),
    ],
)
def test_an_open_enum_still_takes_only_enum_names(payload: dict[str, Any], field: tuple[Any, ...]) -> None:
    with pytest.raises(ValidationError) as raised:
        WixOrder.model_validate(payload)
    assert raised.value.errors()[0]["loc"] == field


def test_null_means_absent() -> None:
    order = WixOrder.model_validate(
        {
            "id": None,
            "fulfillment": {"type": "PICKUP", "asap": None, "promisedTime": None},
            "lineItems": [{"price": "1.00", "dishOptions": [{"name": None, "selectedChoices": None}]}],
            "totals": {
                "subtotal": "1.00",
                "total": "1.00",
                "delivery": None,
                "tax": None,
                "discount": None,
                "tip": None,
                "loyaltySavings": None,
            },
            "payments": [{"type": "CASH", "amount": None}],
            "discounts": None,
            "loyaltyInfo": None,
        }
    )
    assert order.fulfillment.asap is True
    assert order.line_items[0].dish_options[0].name == ""
    assert order.totals.delivery == order.totals.tax == order.totals.discount == Decimal("0")
    assert order.totals.tip == order.totals.loyalty_savings == Decimal("0")
    assert order.payments[0].amount is None
    assert order.discounts == []


def test_negative_amounts_where_wix_money_allows_them() -> None:
    order = WixOrder.model_validate(
        {
            "totals": {
                "discount": "-2.00",
                "serviceFees": [{"fee": {"value": "-1.50"}, "tax": {"value": "-0.15"}}],
            },
            "discounts": [{"appliedAmount": "-2.00"}],
        }
    )
    assert order.totals.discount == Decimal("-2.00")
    assert order.totals.service_fees[0].fee.value == Decimal("-1.50")
    assert order.discounts[0].applied_amount == Decimal("-2.00")
    for where in ({"totals": {"subtotal": "-1"}}, {"lineItems": [{"price": "-1"}]}, {"payments": [{"amount": "-1"}]}):
        with pytest.raises(ValidationError, match="must not be negative"):
            WixOrder.model_validate(where)


@pytest.mark.parametrize(
    ("payload", "field", "problem"),
    [
        ({"comment": "no\x00te"}, ("comment",), "NUL"),
        ({"comment": "\ud800"}, ("comment",), "lone surrogate"),
        ({"lineItems": [{"comment": "a\x00"}]}, ("lineItems", 0, "comment"), "NUL"),
        ({"customer": {"firstName": "\udfff"}}, ("customer", "firstName"), "lone surrogate"),
        ({"currency": "\ud800"}, ("currency",), "unicode"),
        ({"currency": "DOLLARS"}, ("currency",), "pattern"),
        ({"id": "x" * 129}, ("id",), "at most 128"),
        ({"lineItems": [{"catalogReference": {"catalogItemId": "x" * 129}}]}, None, "at most 128"),
        ({"lineItems": [{"dishOptions": [{"name": "x" * 256}]}]}, None, "at most 255"),
        ({"lineItems": [{"quantity": 2**31}]}, ("lineItems", 0, "quantity"), "less than or equal to 100000"),
        ({"lineItems": [{"quantity": True}]}, ("lineItems", 0, "quantity"), "not a boolean"),
        ({"lineItems": [{"quantity": 1e308}]}, ("lineItems", 0, "quantity"), "integer"),
        ({"totals": {"quantity": -1}}, ("totals", "quantity"), "greater than or equal to 0"),
        ({"fulfillment": {"promisedTime": 0}}, ("fulfillment", "promisedTime"), "RFC 3339"),
        ({"fulfillment": {"promisedTime": "0001-01-01T00:00:00Z"}}, ("fulfillment", "promisedTime"), "1970"),
        ({"fulfillment": {"deliveryDetails": {"address": {"location": {"latitude": float("nan")}}}}}, None, "finite"),
        ({"lineItems": [{"comment": {"nested": "object"}}]}, ("lineItems", 0, "comment"), "string"),
        ({"lineItems": {"not": "a list"}}, ("lineItems",), "list"),
    ],
)
def test_what_no_column_can_hold_is_refused_naming_the_field(
    payload: dict[str, Any], field: tuple[Any, ...] | None, problem: str
) -> None:
    with pytest.raises(ValidationError, match=problem) as raised:
        WixOrder.model_validate(payload)
    if field is not None:
        assert raised.value.errors()[0]["loc"] == field


@pytest.mark.parametrize("amount", [10**30, "1" + "0" * 30, 10**12, "1000000000000.00", "0.00001", "1e308", "NaN"])
def test_money_is_bounded_in_size_and_decimals(amount: Any) -> None:
    with pytest.raises(ValidationError) as raised:
        WixOrder.model_validate({"totals": {"total": amount}})
    assert raised.value.errors()[0]["loc"] == ("totals", "total")


def test_money_just_inside_the_bounds_is_kept() -> None:
    order = WixOrder.model_validate({"totals": {"total": "999999999999.9999", "tax": "1.10000"}})
    assert order.totals.total == Decimal("999999999999.9999")
    assert order.totals.tax == Decimal("1.1")


def test_defaults_follow_proto3() -> None:
    order = WixOrder.model_validate({"lineItems": [{"catalogReference": {"catalogItemId": "x"}}]})
    assert order.id is None
    assert order.fulfillment.asap is True
    assert order.line_items[0].quantity == 1
    assert order.totals.total == Decimal("0")


def test_selected_choices_are_line_items_and_nest() -> None:
    nested = choice("var-large")
    nested["dishOptions"] = [{"name": "Crust", "selectedChoices": [choice("var-basil")]}]
    order = WixOrder.model_validate({"lineItems": [line("item-1", options={"Size": [nested]})]})
    inner = order.line_items[0].dish_options[0].selected_choices[0].dish_options[0].selected_choices[0]
    assert inner.catalog_item_id == "wix-var-var-basil"
    assert inner.price == Decimal("0.50")


# --- the edge: WixOrder → the domain's Order -------------------------------------------------


def test_the_wire_order_becomes_the_domain_order_field_by_field() -> None:
    raw = order_dict(
        [line("item-1", 2, options={"Size": ["var-large"]}, comment="well done")],
        order_id="wix-o-1",
        fulfillment_type="DELIVERY",
        delivery="3.00",
        tax="2.66",
        tip="4.00",
        service_fees=("1.25",),
    )
    raw["totals"]["serviceFees"][0]["tax"] = {"value": "0.10"}
    raw["discounts"] = [{"appliedAmount": "-2.00", "catalogDiscountType": "SOMETHING_NEW", "catalogDiscountId": "d1"}]
    raw["loyaltyInfo"] = {"appliedAmount": "1.50"}
    raw["payments"] = [{"type": "A_FUTURE_TYPE", "amount": "10.00", "providerTransactionId": "tx-1"}, {"type": "CASH"}]
    wire = WixOrder.model_validate(raw)
    order = wire.to_order()

    assert (order.ref, order.currency, order.comment) == ("wix-o-1", "USD", None)
    [entry] = order.lines
    assert (entry.quantity, entry.price, entry.item_ref, entry.name, entry.comment) == (
        2,
        Decimal("12.50"),
        wire.line_items[0].catalog_item_id,
        "Margherita",
        "well done",
    )
    [option] = entry.options
    assert (option.name, option.type, [c.price for c in option.selected]) == ("Size", "SELECTION", [Decimal("3.00")])
    assert order.totals.subtotal == wire.totals.subtotal and order.totals.total == wire.totals.total
    assert [(fee.amount, fee.tax) for fee in order.totals.service_fees] == [(Decimal("1.25"), Decimal("0.10"))]
    assert order.fulfillment.type == FulfillmentType.DELIVERY and order.fulfillment.fee == Decimal("3.00")
    assert order.fulfillment.external_courier is False
    assert order.fulfillment.address_point == GeoPoint(*NEAR_DOWNTOWN)
    assert [(d.amount, d.type, d.ref) for d in order.discounts] == [(Decimal("-2.00"), "SOMETHING_NEW", "d1")]
    assert order.loyalty_applied == Decimal("1.50")
    assert [(p.type, p.amount, p.transaction_ref) for p in order.payments] == [
        ("A_FUTURE_TYPE", Decimal("10.00"), "tx-1"),
        ("CASH", None, None),  # an amount not stated stays not stated
    ]
    assert (order.customer.phone, order.customer.email) == (CUSTOMER["phone"], CUSTOMER["email"])
    # The record keeps the wire form verbatim, camelCase and all.
    assert order.received == wire.to_wire()


def test_the_domain_order_of_a_bare_order_takes_wix_defaults() -> None:
    order = WixOrder.model_validate({"id": "", "fulfillment": {"asap": None, "promisedTime": "2026-11-27T18:00:00Z"}})
    domain = order.to_order()
    assert domain.ref is None  # "" at Validate Order: Wix has not created the order yet
    assert domain.fulfillment.asap is True and domain.fulfillment.type == FulfillmentType.UNSPECIFIED
    now = datetime(2026, 11, 27, 12, tzinfo=UTC)
    assert domain.fulfillment.at(now) == now  # asap: the promised time does not move the order
    assert domain.loyalty_applied is None and domain.lines == () and domain.totals.total == Decimal("0")


def test_a_courier_delivery_and_a_scheduled_time_reach_the_domain() -> None:
    raw = order_dict(fulfillment_type="DELIVERY", delivery_to=(40.7357, -74.1724))
    details = raw["fulfillment"]["deliveryDetails"]
    details["externalProvider"] = {"id": "courier-1", "customerFee": details.pop("restaurant")["fee"]}
    raw["fulfillment"].update(asap=False, promisedTime="2026-11-27T18:00:00-05:00")
    fulfillment = WixOrder.model_validate(raw).to_order().fulfillment
    assert fulfillment.external_courier is True and fulfillment.fee == Decimal(
        details["externalProvider"]["customerFee"]
    )
    promised = datetime(2026, 11, 27, 23, tzinfo=UTC)
    assert fulfillment.promised_time == promised and fulfillment.at(promised.replace(hour=20)) == promised
