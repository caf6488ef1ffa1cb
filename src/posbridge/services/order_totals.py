"""Order arithmetic in exact Decimal: line amounts, subtotal and total, as Wix defines them."""

from __future__ import annotations

from decimal import Decimal

from posbridge.errors import ErrorDetail
from posbridge.spi.order_wire import LineItem, Totals, WixOrder

CENT = Decimal("0.01")


def money_text(amount: Decimal) -> str:
    """An amount for people: at least two decimals ("12.50"), more only when the amount has them."""
    normalized = amount.normalize()
    if normalized.as_tuple().exponent >= -2:  # type: ignore[operator]
        return format(amount.quantize(CENT), "f")
    return format(normalized, "f")


def line_amount(line: LineItem) -> Decimal:
    """(unit price + every selected choice's amount) × quantity; choices are lines, so this nests."""
    options = sum(
        (line_amount(choice) for option in line.dish_options for choice in option.selected_choices), Decimal("0")
    )
    return (line.price + options) * line.quantity


def subtotal_of(order: WixOrder) -> Decimal:
    """The subtotal the order's own lines add up to."""
    return sum((line_amount(line) for line in order.line_items), Decimal("0"))


def service_fees_of(totals: Totals) -> Decimal:
    """The service fees charged (their tax is part of `totals.tax`)."""
    return sum((fee.fee.value for fee in totals.service_fees), Decimal("0"))


def total_of(totals: Totals) -> Decimal:
    """subtotal + delivery + tax + tip + service fees − discount − loyalty savings."""
    charged = totals.subtotal + totals.delivery + totals.tax + totals.tip + service_fees_of(totals)
    return charged - totals.discount - totals.loyalty_savings


def totals_errors(order: WixOrder) -> list[ErrorDetail]:
    """ORDER_TOTAL failures: the subtotal against the lines, the total against its parts (exact, to the cent)."""
    errors: list[ErrorDetail] = []
    totals = order.totals
    expected_subtotal = subtotal_of(order)
    if totals.subtotal != expected_subtotal:
        errors.append(
            ErrorDetail(
                "ORDER_TOTAL",
                f"Subtotal is {money_text(totals.subtotal)} but the lines add up to {money_text(expected_subtotal)}",
                {"field": "subtotal", "expected": money_text(expected_subtotal), "actual": money_text(totals.subtotal)},
            )
        )
    expected_total = total_of(totals)
    if totals.total != expected_total:
        errors.append(
            ErrorDetail(
                "ORDER_TOTAL",
                f"Total is {money_text(totals.total)} but subtotal, fees, tax and tip less discounts come to "
                f"{money_text(expected_total)}",
                {"field": "total", "expected": money_text(expected_total), "actual": money_text(totals.total)},
            )
        )
    return errors
