"""Order arithmetic in exact Decimal: line amounts, subtotal, total, payments, as Wix may define them.

No artifact of Wix says whether a line's `price` includes its selected choices, nor whether service
fees (and their tax) are part of `totals.total`. So the totals are checked for internal consistency
under every reading (docs/decisions.md "Order intake"), with a tolerance per line for rounding.
Prices themselves are checked against the POS elsewhere (PRICE_CHANGED); this module only checks that
the order's own figures agree. A refusal names the sum, both figures and the order of subtraction.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from posbridge.errors import ErrorDetail
from posbridge.orders.model import Order, OrderLine, Totals
from posbridge.store.types import money_text

CENT = Decimal("0.01")
ZERO = Decimal("0")


class LinePricing(StrEnum):
    """What a line's `price` covers: the unit alone (its choices added on top), or the unit with its choices."""

    CHOICES_ADDED = "CHOICES_ADDED"
    CHOICES_INCLUDED = "CHOICES_INCLUDED"


CHOICES_ADDED, CHOICES_INCLUDED = LinePricing.CHOICES_ADDED, LinePricing.CHOICES_INCLUDED


def choices_amount(line: OrderLine) -> Decimal:
    """What one unit of a line adds through its selected choices (each × its quantity, nested)."""
    return sum((line_amount(choice) for option in line.options for choice in option.selected), ZERO)


def line_amount(line: OrderLine, convention: LinePricing = CHOICES_ADDED) -> Decimal:
    """(unit price + every selected choice's amount) × quantity, or unit price × quantity when the
    price already includes the choices; choices are lines, so this nests."""
    unit = line.price if convention == CHOICES_INCLUDED else line.price + choices_amount(line)
    return unit * line.quantity


def subtotal_of(order: Order, convention: LinePricing = CHOICES_ADDED) -> Decimal:
    """The subtotal the order's own lines add up to under one line-price convention."""
    return sum((line_amount(line, convention) for line in order.lines), ZERO)


def service_fees_of(totals: Totals) -> Decimal:
    """The service fees charged (negative fees are credits)."""
    return sum((fee.amount for fee in totals.service_fees), ZERO)


def service_fee_tax_of(totals: Totals) -> Decimal:
    """The tax stated on the service fees."""
    return sum((fee.tax for fee in totals.service_fees if fee.tax is not None), ZERO)


def total_of(totals: Totals) -> Decimal:
    """subtotal + delivery + tax + tip + service fees − discount − loyalty savings (fees' tax inside tax)."""
    return _base_total(totals) + service_fees_of(totals)


def _base_total(totals: Totals) -> Decimal:
    """subtotal + delivery + tax + tip − discount − loyalty savings; a discount is taken off whatever its sign."""
    charged = totals.subtotal + totals.delivery + totals.tax + totals.tip
    return charged - abs(totals.discount) - totals.loyalty_savings


@dataclass(frozen=True)
class Reading:
    """How the order's figures were found to add up (what Create Order stores line totals by)."""

    convention: LinePricing
    fees_in_total: bool


def tolerance_for(order: Order, per_line: Decimal) -> Decimal:
    """The rounding allowed on a sum over the order: `per_line` for each line (at least one)."""
    return per_line * max(1, len(order.lines))


def _closest(stated: Decimal, candidates: Iterable[tuple[Decimal, object]]) -> tuple[Decimal, object]:
    return min(candidates, key=lambda candidate: abs(stated - candidate[0]))


def totals_errors(order: Order, per_line: Decimal = CENT) -> tuple[list[ErrorDetail], Reading]:
    """ORDER_TOTAL failures (subtotal against the lines, total against its parts) and the reading that fits."""
    errors: list[ErrorDetail] = []
    totals = order.totals
    tolerance = tolerance_for(order, per_line)
    subtotals = [
        (subtotal_of(order, CHOICES_ADDED), CHOICES_ADDED),
        (subtotal_of(order, CHOICES_INCLUDED), CHOICES_INCLUDED),
    ]
    lines, convention = _closest(totals.subtotal, subtotals)
    if abs(totals.subtotal - lines) > tolerance:
        errors.append(
            mismatch("ORDER_TOTAL", "subtotal", "totals.subtotal", totals.subtotal, "the sum of the lines", lines)
        )
    fees, fee_tax = service_fees_of(totals), service_fee_tax_of(totals)
    base = _base_total(totals)
    candidates = [(base + fees, True), (base + fees + fee_tax, True), (base, False)]
    if not totals.service_fees:
        candidates = [(base, False)]
    expected, fees_in_total = _closest(totals.total, candidates)
    if abs(totals.total - expected) > tolerance:
        fees_part = " + service fees" if fees_in_total else ""
        parts = f"subtotal + delivery + tax + tip{fees_part} − discount − loyalty savings"
        errors.append(mismatch("ORDER_TOTAL", "total", "totals.total", totals.total, parts, expected))
    return errors, Reading(LinePricing(str(convention)), bool(fees_in_total))


def mismatch(
    code: str, field: str, stated_name: str, stated: Decimal, computed_name: str, computed: Decimal
) -> ErrorDetail:
    """A failure naming the sum, both figures, and which was subtracted from which."""
    difference = stated - computed
    subtracted = f"({computed_name})" if " + " in computed_name or " − " in computed_name else computed_name
    message = (
        f"{stated_name} ({money_text(stated)}) does not match {computed_name} ({money_text(computed)}): "
        f"{stated_name} − {subtracted} = {money_text(difference)}"
    )
    params = {
        "field": field,
        "stated": money_text(stated),
        "computed": money_text(computed),
        "difference": money_text(difference),
    }
    return ErrorDetail(code, message, params)


def payments_error(order: Order, per_line: Decimal = CENT) -> ErrorDetail | None:
    """PAYMENT_FAILED when the payments that state an amount do not add up to the total."""
    amounts = [payment.amount for payment in order.payments]
    if not amounts or any(amount is None for amount in amounts):
        return None  # an amount not stated cannot be summed; an empty list is the caller's rule
    paid = sum((amount for amount in amounts if amount is not None), ZERO)
    if abs(paid - order.totals.total) <= per_line:
        return None
    return mismatch("PAYMENT_FAILED", "payments", "the sum of the payments", paid, "totals.total", order.totals.total)
