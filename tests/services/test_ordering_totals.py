"""Order arithmetic: exact Decimal, to the cent, with fees, tips, discounts and loyalty savings."""

from __future__ import annotations

from decimal import Decimal

from posbridge.errors import ErrorDetail
from posbridge.orders.model import Order
from posbridge.services.order_totals import (
    CHOICES_ADDED,
    CHOICES_INCLUDED,
    Reading,
    line_amount,
    payments_error,
    subtotal_of,
    total_of,
    totals_errors,
)
from posbridge.spi.order_wire import LineItem
from tests.support.orders import choice, line, order_dict, parse_order


def test_a_line_is_unit_price_plus_choices_times_quantity() -> None:
    entry = LineItem.model_validate(
        line("item-1", 3, options={"Size": ["var-large"], "Extras": ["var-bacon", "var-basil"]})
    ).to_line()
    # (12.50 + 3.00 + 2.00 + 0.50) × 3
    assert line_amount(entry) == Decimal("54.00")


def test_choice_quantity_and_nested_choices_count() -> None:
    double_bacon = choice("var-bacon", quantity=2)
    large = choice("var-large")
    large["dishOptions"] = [{"name": "Crust", "selectedChoices": [choice("var-basil")]}]
    entry = LineItem.model_validate(line("item-1", 2, options={"Extras": [double_bacon], "Size": [large]})).to_line()
    # (12.50 + 2 × 2.00 + (3.00 + 0.50)) × 2
    assert line_amount(entry) == Decimal("40.00")


def test_no_binary_float_drift() -> None:
    entry = LineItem.model_validate({"price": "0.10", "quantity": 3}).to_line()
    assert line_amount(entry) == Decimal("0.30")
    order = parse_order(
        {"totals": {"subtotal": "0.10", "tax": "0.20", "total": "0.30"}, "lineItems": [{"price": "0.10"}]}
    )
    assert errors_of(order) == []


def errors_of(order: Order, per_line: Decimal = Decimal("0.01")) -> list[ErrorDetail]:
    return totals_errors(order, per_line)[0]


def test_total_adds_fees_tip_and_tax_and_takes_off_discount_and_loyalty() -> None:
    order = parse_order(
        order_dict(
            [line("item-1", 2), line("item-3")],
            fulfillment_type="DELIVERY",
            delivery="3.99",
            tax="2.84",
            tip="5.00",
            discount="4.00",
            loyalty="1.50",
            service_fees=("1.25", "0.75"),
        )
    )
    assert subtotal_of(order) == Decimal("32.00")
    # 32.00 + 3.99 + 2.84 + 5.00 + 2.00 − 4.00 − 1.50
    assert total_of(order.totals) == Decimal("40.33")
    assert order.totals.total == Decimal("40.33")
    errors, reading = totals_errors(order)
    assert errors == []
    assert reading == Reading(CHOICES_ADDED, fees_in_total=True)


def test_a_subtotal_off_by_more_than_the_tolerance_names_the_sum_both_figures_and_the_subtraction() -> None:
    order = parse_order(order_dict([line("item-1", 2)], totals={"subtotal": "24.98", "total": "24.98"}))
    [error] = errors_of(order)
    assert error.code == "ORDER_TOTAL"
    assert error.params == {"field": "subtotal", "stated": "24.98", "computed": "25.00", "difference": "-0.02"}
    assert error.message == (
        "totals.subtotal (24.98) does not match the sum of the lines (25.00): "
        "totals.subtotal − the sum of the lines = -0.02"
    )


def test_the_issue_example_reads_the_right_way_round() -> None:
    # A line of 1.00 and a stated subtotal of 5.25: the order's figure is 5.25, the lines' is 1.00.
    order = parse_order({"lineItems": [{"price": "1.00"}], "totals": {"subtotal": "5.25", "total": "5.25"}})
    [error] = errors_of(order)
    assert error.params == {"field": "subtotal", "stated": "5.25", "computed": "1.00", "difference": "4.25"}
    assert error.message.startswith("totals.subtotal (5.25) does not match the sum of the lines (1.00)")


def test_a_cent_per_line_is_tolerated_and_the_tolerance_is_configurable() -> None:
    order = parse_order(order_dict([line("item-1"), line("item-3")], totals={"subtotal": "19.48", "total": "19.48"}))
    assert errors_of(order) == []  # 19.50 − 19.48: one cent for each of two lines
    assert [e.params["field"] for e in errors_of(order, Decimal("0"))] == ["subtotal"]
    off_by_three = parse_order(
        order_dict([line("item-1"), line("item-3")], totals={"subtotal": "19.47", "total": "19.47"})
    )
    assert [e.params["field"] for e in errors_of(off_by_three)] == ["subtotal"]


def test_either_line_price_convention_adds_up() -> None:
    added = line("item-1", 2, options={"Size": ["var-large"]})  # 12.50 + 3.00 choice, × 2
    included = line("item-1", 2, price="15.50", options={"Size": ["var-large"]})  # price includes the choice
    for entry, convention in ((added, CHOICES_ADDED), (included, CHOICES_INCLUDED)):
        order = parse_order(order_dict([entry], totals={"subtotal": "31.00", "total": "31.00"}))
        errors, reading = totals_errors(order)
        assert errors == []
        assert reading.convention == convention


def test_service_fees_may_be_in_the_total_or_not_and_may_be_negative() -> None:
    base = order_dict([line("item-3")], service_fees=("-1.00",))
    assert base["totals"]["total"] == "6.00"
    assert totals_errors(parse_order(base)) == ([], Reading(CHOICES_ADDED, fees_in_total=True))
    outside = order_dict([line("item-3")], service_fees=("1.00",), totals={"total": "7.00"})
    assert totals_errors(parse_order(outside)) == ([], Reading(CHOICES_ADDED, fees_in_total=False))
    taxed = order_dict([line("item-3")], service_fees=("1.00",), totals={"total": "8.10"})
    taxed["totals"]["serviceFees"][0]["tax"] = {"value": "0.10"}
    assert errors_of(parse_order(taxed)) == []


def test_a_discount_is_taken_off_whatever_its_sign() -> None:
    positive = parse_order(order_dict([line("item-3")], discount="2.00"))
    negative = parse_order(order_dict([line("item-3")], discount="2.00", totals={"discount": "-2.00"}))
    assert positive.totals.total == negative.totals.total == Decimal("5.00")
    assert errors_of(positive) == errors_of(negative) == []


def test_a_total_that_ignores_the_discount_is_caught() -> None:
    order = parse_order(order_dict([line("item-3")], discount="2.00", totals={"total": "7.00"}))
    [error] = errors_of(order)
    assert error.params == {"field": "total", "stated": "7.00", "computed": "5.00", "difference": "2.00"}
    assert error.message == (
        "totals.total (7.00) does not match subtotal + delivery + tax + tip − discount − loyalty savings (5.00): "
        "totals.total − (subtotal + delivery + tax + tip − discount − loyalty savings) = 2.00"
    )


def test_trailing_zeros_do_not_matter() -> None:
    order = parse_order(order_dict([line("item-3", price="7")], totals={"subtotal": "7.000", "total": "7.0"}))
    assert errors_of(order) == []


def test_payments_must_add_up_to_the_total() -> None:
    order = order_dict([line("item-3")])
    assert payments_error(parse_order(order)) is None
    order["payments"] = [{"type": "CASH", "amount": "5.00"}, {"type": "CREDIT", "amount": "1.00"}]
    error = payments_error(parse_order(order))
    assert error is not None and error.code == "PAYMENT_FAILED"
    assert error.params == {"field": "payments", "stated": "6.00", "computed": "7.00", "difference": "-1.00"}
    order["payments"][1]["amount"] = "2.00"
    assert payments_error(parse_order(order)) is None
    order["payments"][1]["amount"] = None  # an amount not stated cannot be summed
    assert payments_error(parse_order(order)) is None
