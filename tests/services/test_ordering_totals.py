"""Order arithmetic: exact Decimal, to the cent, with fees, tips, discounts and loyalty savings."""

from __future__ import annotations

from decimal import Decimal

from posbridge.services.order_totals import line_amount, money_text, subtotal_of, total_of, totals_errors
from posbridge.spi.order_wire import LineItem, WixOrder
from tests.support.orders import choice, line, order_dict


def test_a_line_is_unit_price_plus_choices_times_quantity() -> None:
    entry = LineItem.model_validate(
        line("item-1", 3, options={"Size": ["var-large"], "Extras": ["var-bacon", "var-basil"]})
    )
    # (12.50 + 3.00 + 2.00 + 0.50) × 3
    assert line_amount(entry) == Decimal("54.00")


def test_choice_quantity_and_nested_choices_count() -> None:
    double_bacon = choice("var-bacon", quantity=2)
    large = choice("var-large")
    large["dishOptions"] = [{"name": "Crust", "selectedChoices": [choice("var-basil")]}]
    entry = LineItem.model_validate(line("item-1", 2, options={"Extras": [double_bacon], "Size": [large]}))
    # (12.50 + 2 × 2.00 + (3.00 + 0.50)) × 2
    assert line_amount(entry) == Decimal("40.00")


def test_no_binary_float_drift() -> None:
    entry = LineItem.model_validate({"price": "0.10", "quantity": 3})
    assert line_amount(entry) == Decimal("0.30")
    order = WixOrder.model_validate(
        {"totals": {"subtotal": "0.10", "tax": "0.20", "total": "0.30"}, "lineItems": [{"price": "0.10"}]}
    )
    assert totals_errors(order) == []


def test_total_adds_fees_tip_and_tax_and_takes_off_discount_and_loyalty() -> None:
    order = WixOrder.model_validate(
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
    assert totals_errors(order) == []


def test_a_subtotal_off_by_a_cent_is_caught_with_expected_and_actual() -> None:
    order = WixOrder.model_validate(order_dict([line("item-1", 2)], totals={"subtotal": "24.99", "total": "24.99"}))
    [error] = totals_errors(order)
    assert error.code == "ORDER_TOTAL"
    assert error.params == {"field": "subtotal", "expected": "25.00", "actual": "24.99"}
    assert error.message == "Subtotal is 24.99 but the lines add up to 25.00"


def test_a_total_that_ignores_the_discount_is_caught() -> None:
    order = WixOrder.model_validate(order_dict([line("item-3")], discount="2.00", totals={"total": "7.00"}))
    [error] = totals_errors(order)
    assert error.params == {"field": "total", "expected": "5.00", "actual": "7.00"}


def test_trailing_zeros_do_not_matter() -> None:
    order = WixOrder.model_validate(
        order_dict([line("item-3", price="7")], totals={"subtotal": "7.000", "total": "7.0"})
    )
    assert totals_errors(order) == []


def test_money_text() -> None:
    assert money_text(Decimal("12.5")) == "12.50"
    assert money_text(Decimal("12.5000")) == "12.50"
    assert money_text(Decimal("3")) == "3.00"
    assert money_text(Decimal("0.125")) == "0.125"
