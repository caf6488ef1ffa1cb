"""Order intake rules (issue 8 §3, §4): payments, scheduled times, quantities, fees, discounts and loyalty
reconciled with the totals, either line-price convention, and the observe switch."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select

from posbridge.config import Settings
from posbridge.errors import WixError
from posbridge.orders.model import Order
from posbridge.services.order_checks import OBSERVE, OrderPolicy
from posbridge.services.ordering import create_order, validate_order
from posbridge.spi.order_wire import WixOrder
from posbridge.store.db import Database
from posbridge.store.models import Instance, OrderLine, OrderRow
from tests.conftest import make_settings
from tests.support.fixtures_pos import PosWorld, build_pos
from tests.support.orders import FRIDAY_EVENING, line, order_dict, parse_order, wix_order
from tests.support.signer import TestSigner

# all_backends where the database backend matters (the order write, money columns, observations recorded); the
# totals, times and quantity rules are arithmetic on the request, decided before any write

OBSERVING = OrderPolicy(mode=OBSERVE)


@pytest.fixture()
def world(db: Database, instance_id: str) -> PosWorld:
    """The default READY tenant for this test."""
    return build_pos(db, instance_id)


def refusal(call: Any, *args: Any, **kwargs: Any) -> WixError:
    with pytest.raises(WixError) as raised:
        call(*args, **kwargs)
    return raised.value


def validate(db: Database, world: PosWorld, order: Order, **kwargs: Any) -> Any:
    return validate_order(db, **world.ids(), order=order, now=kwargs.pop("now", FRIDAY_EVENING), **kwargs)


def create(db: Database, world: PosWorld, order: Order, *, paid: bool = False, **kwargs: Any) -> Any:
    return create_order(
        db, **world.ids(), order=order, paid_by_pos_gateway=paid, now=kwargs.pop("now", FRIDAY_EVENING), **kwargs
    )


def orders_of(db: Database, world: PosWorld) -> list[OrderRow]:
    with db.transaction(write=False) as session:
        return list(session.scalars(select(OrderRow).where(OrderRow.instance_id == world.instance_id)))


def codes(error: WixError) -> list[str]:
    return [detail.code for detail in error.details]


# --- payments (§3) -------------------------------------------------------------------------


@pytest.mark.all_backends
def test_an_unpaid_order_is_refused_at_create_unless_the_pos_gateway_takes_the_payment(
    db: Database, world: PosWorld
) -> None:
    unpaid = order_dict([line("item-3")])
    unpaid["payments"] = []
    order = parse_order(unpaid)
    validate(db, world, order)  # Wix validates before the customer pays
    error = refusal(create, db, world, order)
    assert codes(error) == ["PAYMENT_FAILED"]
    assert error.details[0].message == "The order carries no payment, and the POS's own gateway is not taking it"
    assert orders_of(db, world) == []
    assert create(db, world, order, paid=True).created


def test_payments_that_do_not_add_up_to_the_total_are_refused(db: Database, world: PosWorld) -> None:
    raw = order_dict([line("item-3")])
    raw["payments"] = [{"type": "CREDIT", "amount": "5.00"}]
    order = parse_order(raw)
    for call in (validate, create):
        error = refusal(call, db, world, order)
        assert codes(error) == ["PAYMENT_FAILED"]
        assert error.details[0].params == {
            "field": "payments",
            "stated": "5.00",
            "computed": "7.00",
            "difference": "-2.00",
        }
        assert "the sum of the payments (5.00) does not match totals.total (7.00)" in error.message
    # The POS's own gateway does not lift the arithmetic: a payment stated is a payment counted.
    assert codes(refusal(create, db, world, order, paid=True)) == ["PAYMENT_FAILED"]
    assert orders_of(db, world) == []


# --- scheduled times (§3) --------------------------------------------------------------------


def test_a_scheduled_order_in_the_past_is_refused(db: Database, world: PosWorld) -> None:
    past = FRIDAY_EVENING - timedelta(hours=1)
    order = wix_order([line("item-3")], asap=False, promised_time=past)
    for call in (validate, create):
        error = refusal(call, db, world, order)
        assert codes(error) == ["ORDER_REJECTED"]
        assert error.message == ("The order is scheduled for FRI 17:00 (America/New_York), which has already passed")
    # Wix's own delays (validate, pay, accept) fit in the grace period.
    validate(db, world, wix_order([line("item-3")], asap=False, promised_time=FRIDAY_EVENING - timedelta(minutes=5)))
    # An ASAP order's promised time is only an estimate.
    validate(db, world, wix_order([line("item-3")], asap=True, promised_time=past))


def test_a_promised_time_given_as_the_integer_zero_is_not_a_time() -> None:
    raw = order_dict([line("item-3")], asap=False)
    raw["fulfillment"]["promisedTime"] = 0
    with pytest.raises(ValueError, match="RFC 3339"):
        WixOrder.model_validate(raw)


# --- quantities (§2) -------------------------------------------------------------------------


def test_a_quantity_over_the_maximum_is_an_order_item_error(db: Database, instance_id: str) -> None:
    world = build_pos(db, instance_id, stock={})
    order = wix_order([line("item-3", 1000)])
    error = refusal(validate, db, world, order)
    assert codes(error) == ["ORDER_ITEM"]
    assert error.details[0].params == {
        "itemId": "wix-dish-item-3",
        "line": "1",
        "quantity": "1000",
        "maxQuantity": "999",
    }
    assert error.message == "Line 1 asks for 1000 × 'Tiramisu'; one order takes at most 999"
    validate(db, world, wix_order([line("item-3", 999)]))
    assert codes(refusal(validate, db, world, wix_order([line("item-3", 3)]), policy=OrderPolicy(max_quantity=2)))
    # The limit protects the kitchen: observe mode refuses it too.
    assert codes(refusal(validate, db, world, order, policy=OBSERVING)) == ["ORDER_ITEM"]


def test_the_setting_sets_the_maximum(signer: TestSigner, db_url: str) -> None:
    settings: Settings = make_settings(db_url, signer, order_max_quantity=5, order_checks="observe")
    policy = OrderPolicy.from_settings(settings)
    assert (policy.max_quantity, policy.mode) == (5, "observe")


# --- fees, discounts, loyalty (§3) -------------------------------------------------------------


def test_a_delivery_fee_that_is_not_in_the_totals_is_refused(db: Database, world: PosWorld) -> None:
    raw = order_dict([line("item-3")], fulfillment_type="DELIVERY", delivery="3.00")
    raw["fulfillment"]["deliveryDetails"]["restaurant"]["fee"] = "1000000000.00"
    error = refusal(validate, db, world, parse_order(raw))
    assert codes(error) == ["ORDER_TOTAL"]
    assert error.details[0].params == {
        "field": "delivery",
        "stated": "1000000000.00",
        "computed": "3.00",
        "difference": "999999997.00",
    }


def test_discounts_must_add_up_to_the_discount_total(db: Database, world: PosWorld) -> None:
    raw = order_dict([line("item-3")], discount="2.00")
    raw["discounts"] = [{"catalogDiscountId": "d-1", "appliedAmount": "2.00", "catalogDiscountType": "OFF_ORDER"}]
    validate(db, world, parse_order(raw))
    raw["discounts"][0]["appliedAmount"] = "-2.00"  # written as a negative value: the same discount
    validate(db, world, parse_order(raw))
    raw["discounts"].append({"appliedAmount": "999999999.00"})
    error = refusal(validate, db, world, parse_order(raw))
    assert codes(error) == ["DISCOUNT"]
    assert error.details[0].params["field"] == "discount"


def test_loyalty_must_match_the_loyalty_savings(db: Database, world: PosWorld) -> None:
    raw = order_dict([line("item-3")], loyalty="1.00")
    raw["loyaltyInfo"] = {"appliedAmount": "1.00"}
    validate(db, world, parse_order(raw))
    raw["loyaltyInfo"] = {"appliedAmount": "999999999999"}
    error = refusal(validate, db, world, parse_order(raw))
    assert codes(error) == ["LOYALTY"]
    assert error.details[0].params == {
        "field": "loyaltySavings",
        "stated": "999999999999.00",
        "computed": "1.00",
        "difference": "999999999998.00",
    }


@pytest.mark.all_backends
def test_negative_service_fees_are_accepted_when_the_totals_add_up(db: Database, world: PosWorld) -> None:
    raw = order_dict([line("item-3")], service_fees=("-0.50",))
    raw["totals"]["serviceFees"][0]["tax"] = {"value": "-0.05", "currency": "USD"}
    created = create(db, world, parse_order(raw))
    [row] = orders_of(db, world)
    assert row.pos_order_id == created.pos_order_id
    assert (row.service_fees, row.total) == (Decimal("-0.5"), Decimal("6.5"))


# --- line-price conventions (§4) -----------------------------------------------------------------


@pytest.mark.all_backends
@pytest.mark.parametrize(("price", "stored"), [(None, "31.00"), ("15.50", "31.00")])
def test_a_line_price_with_or_without_its_choices_passes_and_is_stored_right(
    db: Database, world: PosWorld, price: str | None, stored: str
) -> None:
    entry = line("item-1", 2, price=price, options={"Size": ["var-large"]})
    order = wix_order([entry], totals={"subtotal": "31.00", "total": "31.00"})
    create(db, world, order)
    with db.transaction(write=False) as session:
        [row] = session.scalars(select(OrderLine).join(OrderRow).where(OrderRow.instance_id == world.instance_id)).all()
        assert row.line_total == Decimal(stored)


@pytest.mark.all_backends
def test_a_line_price_matching_neither_convention_is_price_changed(db: Database, world: PosWorld) -> None:
    entry = line("item-1", 1, price="14.00", options={"Size": ["var-large"]})
    error = refusal(validate, db, world, wix_order([entry]))
    assert codes(error) == ["PRICE_CHANGED"]


# --- observe mode (§4) ------------------------------------------------------------------------


@pytest.mark.all_backends
def test_observe_mode_lets_non_kitchen_failures_through_and_records_them(db: Database, world: PosWorld) -> None:
    order = wix_order([line("item-3", price="6.00")], totals={"total": "99.00"})
    assert codes(refusal(validate, db, world, order)) == ["PRICE_CHANGED", "ORDER_TOTAL"]
    observed = validate(db, world, order, policy=OBSERVING)
    assert [d.code for d in observed] == ["PRICE_CHANGED", "ORDER_TOTAL"]
    create(db, world, order, policy=OBSERVING)
    [row] = orders_of(db, world)
    assert [f["code"] for f in row.observed_failures or []] == ["PRICE_CHANGED", "ORDER_TOTAL"]
    assert row.observed_failures is not None and row.observed_failures[0]["params"]["newPrice"] == "7.00"


@pytest.mark.all_backends
def test_observe_mode_still_refuses_what_protects_the_kitchen(db: Database, world: PosWorld) -> None:
    unknown = wix_order([line("item-3", catalog_item_id="wix-dish-ghost", price="1.00")])
    assert codes(refusal(validate, db, world, unknown, policy=OBSERVING)) == ["ORDER_ITEM"]
    sold_out = wix_order([line("item-2", 6, options={"Size": ["var-small"]})])
    assert codes(refusal(validate, db, world, sold_out, policy=OBSERVING)) == ["AVAILABILITY_CHANGED"]
    closed = refusal(
        validate, db, world, wix_order([line("item-3")]), policy=OBSERVING, now=FRIDAY_EVENING + timedelta(hours=6)
    )
    assert codes(closed) == ["CLOSED"]


@pytest.mark.all_backends
def test_an_instance_can_observe_while_the_rest_enforce(db: Database, world: PosWorld) -> None:
    order = wix_order([line("item-3")], totals={"total": "99.00"})
    assert codes(refusal(validate, db, world, order)) == ["ORDER_TOTAL"]
    with db.transaction() as session:
        instance = session.get(Instance, world.instance_id)
        assert instance is not None
        instance.order_checks = OBSERVE
    assert [d.code for d in validate(db, world, order)] == ["ORDER_TOTAL"]
    with db.transaction() as session:
        instance = session.get(Instance, world.instance_id)
        assert instance is not None
        instance.order_checks = "enforce"
    assert codes(refusal(validate, db, world, order, policy=OBSERVING)) == ["ORDER_TOTAL"]


# --- what the columns hold (§2) -----------------------------------------------------------------


@pytest.mark.all_backends
def test_amounts_a_column_cannot_hold_are_refused_even_when_observing(db: Database, instance_id: str) -> None:
    world = build_pos(db, instance_id, stock={})
    huge = line("item-3", 999, price="999999999999.99")  # 10^12 × 999 > NUMERIC(18,4)
    order = wix_order([huge], totals={"subtotal": "1.00", "total": "1.00"})
    error = refusal(validate, db, world, order, policy=OBSERVING)
    assert codes(error) == ["ORDER_TOTAL"]
    assert error.details[0].params == {"field": "line 1"}
