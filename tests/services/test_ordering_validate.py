"""Validate Order: every check of product.md §3 step 5, one test per error code, all failures together."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import delete, select

from posbridge.errors import ErrorDetail, WixError
from posbridge.orders.model import Order
from posbridge.services.ordering import create_order, validate_order
from posbridge.store.db import Database
from posbridge.store.models import (
    Account,
    Configuration,
    ConfigurationMenu,
    Instance,
    Item,
    ItemLocationPrice,
    Location,
    OrderRow,
    Stock,
    SyncIdMap,
)
from tests.support.fixtures_pos import PosWorld, build_pos, dish_wix_id
from tests.support.orders import FRIDAY_EVENING, choice, line, order_dict, parse_order, wix_order

SATURDAY_LATE_MORNING = datetime(2026, 11, 28, 16, 0, tzinfo=UTC)  # 11:00 in New York
FRIDAY_EARLY_MORNING = datetime(2026, 11, 27, 13, 0, tzinfo=UTC)  # 08:00 in New York: closed


@pytest.fixture()
def world(db: Database, instance_id: str) -> PosWorld:
    """The default READY tenant for this test."""
    return build_pos(db, instance_id)


def failures(db: Database, world: PosWorld, order: Order, *, now: datetime = FRIDAY_EVENING) -> WixError:
    """The WixError Validate Order raises for this order."""
    with pytest.raises(WixError) as raised:
        validate_order(db, **world.ids(), order=order, now=now)
    return raised.value


def codes(error: WixError) -> list[str]:
    return [detail.code for detail in error.details]


def only(error: WixError) -> ErrorDetail:
    assert len(error.details) == 1, error.details
    return error.details[0]


def change(db: Database, model: type[Any], key: Any, **values: Any) -> None:
    """Update one row in place."""
    with db.transaction() as session:
        row = session.get(model, key)
        assert row is not None
        for name, value in values.items():
            setattr(row, name, value)


# --- valid orders -------------------------------------------------------------------------


@pytest.mark.parametrize("fulfillment_type", ["PICKUP", "DELIVERY", "DINE_IN"])
def test_a_correct_order_is_valid(db: Database, world: PosWorld, fulfillment_type: str) -> None:
    order = wix_order(
        [line("item-1", 2, options={"Size": ["var-large"], "Extras": ["var-bacon", "var-olives"]}), line("item-3")],
        fulfillment_type=fulfillment_type,
        delivery="3.00" if fulfillment_type == "DELIVERY" else "0.00",
        tax="3.55",
        tip="4.00",
        service_fees=("1.00",),
    )
    validate_order(db, **world.ids(), order=order, now=FRIDAY_EVENING)


def test_validation_writes_nothing(db: Database, world: PosWorld) -> None:
    validate_order(
        db, **world.ids(), order=wix_order([line("item-2", 2, options={"Size": ["var-small"]})]), now=FRIDAY_EVENING
    )
    with db.transaction(write=False) as session:
        assert session.get(Stock, (world.items["item-2"], world.location)).quantity == 5
        assert session.scalars(select(OrderRow).where(OrderRow.instance_id == world.instance_id)).all() == []


# --- tenancy and readiness stop the checks ------------------------------------------------


def test_account_not_found(db: Database, world: PosWorld) -> None:
    error = failures(db, replace(world, account_id="acct-nobody"), wix_order())
    assert only(error).code == "ACCOUNT_NOT_FOUND"
    assert error.http_status == 404


def test_another_tenants_account_is_not_found(db: Database, world: PosWorld) -> None:
    other = build_pos(db, f"{world.instance_id}-other")
    with pytest.raises(WixError) as raised:
        validate_order(
            db,
            instance_id=world.instance_id,
            account_id=other.account_id,
            configuration_id=world.configuration_id,
            order=wix_order(),
            now=FRIDAY_EVENING,
        )
    assert codes(raised.value) == ["ACCOUNT_NOT_FOUND"]


def test_account_not_authorized_stops_every_other_check(db: Database, world: PosWorld) -> None:
    change(db, Account, world.account, authorized=False)
    # Also closed, unknown item and wrong totals: none of that can be judged without the account.
    order = wix_order([line("nope")], totals={"total": "1.00"})
    error = failures(db, world, order, now=FRIDAY_EARLY_MORNING)
    assert only(error).code == "ACCOUNT_NOT_AUTHORIZED"
    assert error.http_status == 428


def test_account_not_connected(db: Database, world: PosWorld) -> None:
    change(db, Account, world.account, status="DISCONNECTED")
    assert only(failures(db, world, wix_order())).code == "ACCOUNT_NOT_CONNECTED"


def test_removed_app_is_not_connected(db: Database, world: PosWorld) -> None:
    change(db, Instance, world.instance_id, status="REMOVED")
    assert only(failures(db, world, wix_order())).code == "ACCOUNT_NOT_CONNECTED"


def test_account_configuration_when_no_menu_is_selected(db: Database, world: PosWorld) -> None:
    with db.transaction() as session:
        session.execute(delete(ConfigurationMenu).where(ConfigurationMenu.configuration_id == world.configuration))
    error = failures(db, world, wix_order())
    assert only(error).code == "ACCOUNT_CONFIGURATION"
    assert "menu" in error.message
    assert error.http_status == 428


def test_account_configuration_when_not_paired(db: Database, world: PosWorld) -> None:
    change(db, Configuration, world.configuration, location_id=None)
    assert only(failures(db, world, wix_order())).code == "ACCOUNT_CONFIGURATION"


def test_account_configuration_when_switched_off(db: Database, world: PosWorld) -> None:
    change(db, Configuration, world.configuration, enabled=False)
    assert only(failures(db, world, wix_order())).code == "ACCOUNT_CONFIGURATION"


def test_location_not_found_when_deactivated(db: Database, world: PosWorld) -> None:
    change(db, Location, world.location, active=False)
    assert only(failures(db, world, wix_order())).code == "LOCATION_NOT_FOUND"


def test_location_not_found_for_an_unknown_configuration(db: Database, world: PosWorld) -> None:
    error = failures(db, replace(world, configuration_id="cfg-unknown"), wix_order())
    assert only(error).code == "LOCATION_NOT_FOUND"
    assert error.http_status == 404


def test_an_order_in_another_currency_is_rejected(db: Database, world: PosWorld) -> None:
    error = failures(db, world, wix_order(currency="EUR"))
    assert only(error).code == "ORDER_REJECTED"
    assert only(error).params == {"orderCurrency": "EUR", "posCurrency": "USD"}


# --- when ---------------------------------------------------------------------------------


def test_closed_now_for_an_asap_order(db: Database, world: PosWorld) -> None:
    error = failures(db, world, wix_order(), now=FRIDAY_EARLY_MORNING)
    assert only(error).code == "CLOSED"
    assert only(error).message == "Downtown is closed at FRI 08:00 (America/New_York)"
    assert error.http_status == 428


def test_scheduled_order_is_judged_at_its_promised_time(db: Database, world: PosWorld) -> None:
    # Placed while closed, for this evening: fine.
    validate_order(
        db,
        **world.ids(),
        order=wix_order(asap=False, promised_time=FRIDAY_EVENING),
        now=FRIDAY_EARLY_MORNING,
    )
    # Placed while open, for a time the location is closed: CLOSED.
    late = FRIDAY_EVENING + timedelta(hours=6)  # 00:00 Saturday in New York
    error = failures(db, world, wix_order(asap=False, promised_time=late))
    assert codes(error) == ["CLOSED"]


def test_asap_order_ignores_its_promised_time(db: Database, world: PosWorld) -> None:
    order = wix_order(asap=True, promised_time=FRIDAY_EARLY_MORNING)
    validate_order(db, **world.ids(), order=order, now=FRIDAY_EVENING)


def test_closed_when_no_selected_menu_is_served_at_that_time(db: Database, instance_id: str) -> None:
    world = build_pos(db, instance_id, selected_menus=("menu-2",))  # only Brunch, weekends 10–14
    error = failures(db, world, wix_order([line("item-4")]))
    assert codes(error) == ["CLOSED"]
    assert "No menu is served at FRI 18:00" in error.message
    validate_order(db, **world.ids(), order=wix_order([line("item-4")]), now=SATURDAY_LATE_MORNING)


def test_an_item_outside_its_menu_window_is_not_available(db: Database, world: PosWorld) -> None:
    error = failures(db, world, wix_order([line("item-4")]))
    assert only(error).code == "AVAILABILITY_CHANGED"
    assert only(error).message == "'Pancakes' is not served at FRI 18:00 (America/New_York)"
    validate_order(db, **world.ids(), order=wix_order([line("item-4")]), now=SATURDAY_LATE_MORNING)


# --- how ----------------------------------------------------------------------------------


def test_out_of_service_area(db: Database, world: PosWorld) -> None:
    newark = (40.7357, -74.1724)  # ~15 km from Downtown; the radius is 5 km
    error = failures(db, world, wix_order(fulfillment_type="DELIVERY", delivery_to=newark))
    detail = only(error)
    assert detail.code == "OUT_OF_SERVICE_AREA"
    assert detail.params["radiusKm"] == "5"
    assert detail.message.endswith("Downtown delivers within 5 km")
    assert 14 < float(detail.params["distanceKm"]) < 17
    assert error.http_status == 400


def test_delivery_without_coordinates_cannot_be_placed_in_the_area(db: Database, world: PosWorld) -> None:
    error = failures(db, world, wix_order(fulfillment_type="DELIVERY", delivery_to=None))
    assert codes(error) == ["OUT_OF_SERVICE_AREA"]


def test_external_courier_delivery_skips_the_restaurant_radius(db: Database, world: PosWorld) -> None:
    raw = order_dict(fulfillment_type="DELIVERY", delivery_to=(40.7357, -74.1724))
    details = raw["fulfillment"]["deliveryDetails"]
    details["externalProvider"] = {"id": "courier-1", "customerFee": details.pop("restaurant")["fee"]}
    validate_order(db, **world.ids(), order=parse_order(raw), now=FRIDAY_EVENING)


def test_a_location_without_a_radius_delivers_anywhere(db: Database, instance_id: str) -> None:
    world = build_pos(db, instance_id, location={"delivery_radius_km": None})
    validate_order(
        db, **world.ids(), order=wix_order(fulfillment_type="DELIVERY", delivery_to=(51.5, -0.12)), now=FRIDAY_EVENING
    )


def test_a_fulfillment_type_the_location_does_not_offer_is_rejected(db: Database, instance_id: str) -> None:
    world = build_pos(db, instance_id, location={"fulfillment": ["PICKUP"]})
    error = failures(db, world, wix_order(fulfillment_type="DINE_IN"))
    assert only(error).code == "ORDER_REJECTED"
    assert only(error).params == {"fulfillmentType": "DINE_IN"}


def test_an_order_without_a_fulfillment_type_is_rejected(db: Database, world: PosWorld) -> None:
    raw = order_dict()
    del raw["fulfillment"]["type"]
    assert codes(failures(db, world, parse_order(raw))) == ["ORDER_REJECTED"]


def test_unreadable_hours_stop_with_account_configuration(db: Database, instance_id: str) -> None:
    world = build_pos(db, instance_id, location={"hours": [{"day": "FRI", "open": "late", "close": "23:00"}]})
    error = failures(db, world, wix_order([line("item-3", price="1.00")]))
    assert codes(error) == ["ACCOUNT_CONFIGURATION"]
    assert "cannot be read" in error.message


# --- items --------------------------------------------------------------------------------


def test_order_item_for_an_unknown_catalog_id(db: Database, world: PosWorld) -> None:
    order = wix_order([line("item-3"), line("item-3", catalog_item_id="wix-dish-ghost")])
    detail = only(failures(db, world, order))
    assert detail.code == "ORDER_ITEM"
    assert detail.params == {"itemId": "wix-dish-ghost", "line": "2"}


def test_order_item_for_a_choice_id_used_as_a_dish(db: Database, world: PosWorld) -> None:
    order = wix_order([line("item-3", catalog_item_id="wix-var-var-bacon")])
    assert codes(failures(db, world, order)) == ["ORDER_ITEM"]


def test_order_item_for_another_catalogs_id(db: Database, world: PosWorld) -> None:
    other = build_pos(db, f"{world.instance_id}-b")
    with db.transaction() as session:
        row = session.scalar(
            select(SyncIdMap).where(SyncIdMap.catalog_id == other.catalog_id, SyncIdMap.wix_id == dish_wix_id("item-3"))
        )
        row.wix_id = "wix-only-in-b"
    assert codes(failures(db, world, wix_order([line("item-3", catalog_item_id="wix-only-in-b")]))) == ["ORDER_ITEM"]


def test_an_empty_order_is_an_order_item_error(db: Database, world: PosWorld) -> None:
    assert codes(failures(db, world, wix_order([]))) == ["ORDER_ITEM"]


def test_availability_changed_when_the_dish_was_detached_by_sync(db: Database, world: PosWorld) -> None:
    with db.transaction() as session:
        row = session.scalar(
            select(SyncIdMap).where(SyncIdMap.wix_id == dish_wix_id("item-3"), SyncIdMap.catalog_id == world.catalog_id)
        )
        row.detached_at = FRIDAY_EVENING - timedelta(days=1)
    detail = only(failures(db, world, wix_order([line("item-3")])))
    assert detail.code == "AVAILABILITY_CHANGED"
    assert detail.message == "'Tiramisu' is no longer sold online"


def test_availability_changed_when_the_item_left_the_pos(db: Database, world: PosWorld) -> None:
    change(db, Item, world.items["item-3"], active=False)
    assert codes(failures(db, world, wix_order([line("item-3")]))) == ["AVAILABILITY_CHANGED"]


def test_availability_changed_when_its_menu_is_no_longer_selected(db: Database, world: PosWorld) -> None:
    with db.transaction() as session:
        session.execute(delete(ConfigurationMenu).where(ConfigurationMenu.menu_id == world.menus["menu-2"]))
    assert codes(failures(db, world, wix_order([line("item-4")]), now=SATURDAY_LATE_MORNING)) == [
        "AVAILABILITY_CHANGED"
    ]


def test_availability_changed_when_stock_is_short_across_lines(db: Database, world: PosWorld) -> None:
    order = wix_order(
        [line("item-2", 3, options={"Size": ["var-small"]}), line("item-2", 3, options={"Size": ["var-large"]})]
    )
    detail = only(failures(db, world, order))
    assert detail.code == "AVAILABILITY_CHANGED"
    assert detail.message == "Only 5 × 'Diavola' left, 6 ordered"
    assert detail.params == {"itemId": "wix-dish-item-2", "available": "5", "requested": "6"}
    validate_order(
        db, **world.ids(), order=wix_order([line("item-2", 5, options={"Size": ["var-small"]})]), now=FRIDAY_EVENING
    )


def test_availability_changed_while_86ed_and_restored_after_out_until(db: Database, world: PosWorld) -> None:
    key = (world.items["item-2"], world.location)
    change(db, Stock, key, out_of_stock=True, out_until=FRIDAY_EVENING + timedelta(hours=1))
    order = wix_order([line("item-2", options={"Size": ["var-small"]})])
    detail = only(failures(db, world, order))
    assert detail.code == "AVAILABILITY_CHANGED"
    assert detail.message == "'Diavola' is out of stock"
    validate_order(db, **world.ids(), order=order, now=FRIDAY_EVENING + timedelta(hours=1))


def test_availability_changed_for_an_86_without_end(db: Database, world: PosWorld) -> None:
    with db.transaction() as session:
        session.add(Stock(item_id=world.items["item-3"], location_id=world.location, quantity=None, out_of_stock=True))
    assert codes(failures(db, world, wix_order([line("item-3")]))) == ["AVAILABILITY_CHANGED"]


def test_price_changed_reports_old_and_new(db: Database, world: PosWorld) -> None:
    error = failures(db, world, wix_order([line("item-1", price="11.00", options={"Size": ["var-small"]})]))
    detail = only(error)
    assert detail.code == "PRICE_CHANGED"
    assert detail.message == "'Margherita' costs 12.50, not 11.00"
    assert detail.params == {"itemId": "wix-dish-item-1", "oldPrice": "11.00", "newPrice": "12.50"}
    assert error.http_status == 400


def test_price_is_the_locations_own(db: Database, world: PosWorld) -> None:
    with db.transaction() as session:
        session.add(ItemLocationPrice(item_id=world.items["item-3"], location_id=world.location, price=Decimal("7.25")))
    detail = only(failures(db, world, wix_order([line("item-3")])))
    assert detail.params["newPrice"] == "7.25"
    validate_order(db, **world.ids(), order=wix_order([line("item-3", price="7.25")]), now=FRIDAY_EVENING)


def test_price_changed_for_a_choice(db: Database, world: PosWorld) -> None:
    order = wix_order([line("item-1", options={"Size": [choice("var-large", price="2.50")]})])
    detail = only(failures(db, world, order))
    assert detail.code == "PRICE_CHANGED"
    assert detail.params == {"itemId": "wix-var-var-large", "oldPrice": "2.50", "newPrice": "3.00"}


def test_availability_changed_for_a_choice_the_sync_detached(db: Database, world: PosWorld) -> None:
    with db.transaction() as session:
        row = session.scalar(
            select(SyncIdMap).where(SyncIdMap.catalog_id == world.catalog_id, SyncIdMap.wix_id == "wix-var-var-bacon")
        )
        row.detached_at = FRIDAY_EVENING - timedelta(hours=1)
    order = wix_order([line("item-1", options={"Size": ["var-small"], "Extras": ["var-bacon"]})])
    detail = only(failures(db, world, order))
    assert (detail.code, detail.message) == ("AVAILABILITY_CHANGED", "'Bacon' is no longer offered")


# --- options ------------------------------------------------------------------------------


def test_requirements_not_met_when_a_required_option_is_missing(db: Database, world: PosWorld) -> None:
    detail = only(failures(db, world, wix_order([line("item-1")])))
    assert detail.code == "REQUIREMENTS_NOT_MET"
    assert detail.message == "Choose exactly 1 of 'Size' for 'Margherita' (0 chosen)"
    assert detail.params["selected"] == "0"


def test_requirements_not_met_for_too_many_choices(db: Database, world: PosWorld) -> None:
    order = wix_order(
        [
            line(
                "item-1",
                options={"Size": ["var-small", "var-large"], "Extras": ["var-bacon", "var-olives", "var-basil"]},
            )
        ]
    )
    error = failures(db, world, order)
    assert codes(error) == ["REQUIREMENTS_NOT_MET", "REQUIREMENTS_NOT_MET"]
    assert error.details[1].message == "Choose at most 2 of 'Extras' for 'Margherita' (3 chosen)"


def test_requirements_not_met_for_a_choice_of_another_group(db: Database, world: PosWorld) -> None:
    order = wix_order([line("item-1", options={"Size": ["var-small", "var-bacon"]})])
    error = failures(db, world, order)
    assert codes(error) == ["REQUIREMENTS_NOT_MET"]
    assert error.details[0].message == "'Bacon' is not a choice of 'Size' for 'Margherita'"


def test_requirements_not_met_for_an_unknown_option_or_choice(db: Database, world: PosWorld) -> None:
    ghost = {"price": "0.00", "catalogReference": {"catalogItemId": "wix-var-ghost", "catalogItemName": "Ghost"}}
    order = wix_order([line("item-1", options={"Size": ["var-small", ghost], "Sauce": ["var-basil"]})])
    error = failures(db, world, order)
    assert [d.message for d in error.details] == [
        "'Margherita' has no option 'Sauce'",
        "'Ghost' is not a choice of 'Size' for 'Margherita'",
    ]


def test_requirements_not_met_for_nested_choices_the_pos_does_not_have(db: Database, world: PosWorld) -> None:
    large = choice("var-large")
    large["dishOptions"] = [{"name": "Crust", "selectedChoices": [choice("var-basil")]}]
    error = failures(db, world, wix_order([line("item-1", options={"Size": [large]})]))
    assert codes(error) == ["REQUIREMENTS_NOT_MET"]
    assert error.details[0].message == "'Large' takes no further options"


def test_option_names_match_whatever_their_case(db: Database, world: PosWorld) -> None:
    order = wix_order([line("item-1", options={"  size ": ["var-small"]})])
    validate_order(db, **world.ids(), order=order, now=FRIDAY_EVENING)


# --- capacity, totals, contact ------------------------------------------------------------


def test_no_capacity_when_the_slot_is_full(db: Database, instance_id: str) -> None:
    world = build_pos(db, instance_id, location={"orders_per_slot": 1})
    create_order(db, **world.ids(), order=wix_order([line("item-3")]), paid_by_pos_gateway=False, now=FRIDAY_EVENING)
    later_same_slot = FRIDAY_EVENING + timedelta(minutes=14)
    error = failures(db, world, wix_order([line("item-3")]), now=later_same_slot)
    detail = only(error)
    assert detail.code == "NO_CAPACITY"
    assert detail.params == {"slotStart": "2026-11-27T23:00:00+00:00", "ordersPerSlot": "1"}
    validate_order(db, **world.ids(), order=wix_order([line("item-3")]), now=FRIDAY_EVENING + timedelta(minutes=15))


def test_canceled_orders_free_their_slot(db: Database, instance_id: str) -> None:
    world = build_pos(db, instance_id, location={"orders_per_slot": 1})
    made = create_order(
        db, **world.ids(), order=wix_order([line("item-3")]), paid_by_pos_gateway=False, now=FRIDAY_EVENING
    )
    with db.transaction() as session:
        session.scalar(select(OrderRow).where(OrderRow.pos_order_id == made.pos_order_id)).status = "CANCELED"
    validate_order(db, **world.ids(), order=wix_order([line("item-3")]), now=FRIDAY_EVENING)


def test_scheduled_orders_fill_the_slot_of_their_promised_time(db: Database, instance_id: str) -> None:
    world = build_pos(db, instance_id, location={"orders_per_slot": 1})
    promised = FRIDAY_EVENING + timedelta(hours=2)
    create_order(
        db,
        **world.ids(),
        order=wix_order([line("item-3")], asap=False, promised_time=promised),
        paid_by_pos_gateway=False,
        now=FRIDAY_EVENING,
    )
    validate_order(db, **world.ids(), order=wix_order([line("item-3")]), now=FRIDAY_EVENING)  # asap: a free slot
    error = failures(db, world, wix_order([line("item-3")], asap=False, promised_time=promised + timedelta(minutes=5)))
    assert codes(error) == ["NO_CAPACITY"]


def test_order_total(db: Database, world: PosWorld) -> None:
    error = failures(db, world, wix_order([line("item-3")], tax="0.62", totals={"total": "7.00"}))
    detail = only(error)
    assert detail.code == "ORDER_TOTAL"
    assert detail.params == {"field": "total", "stated": "7.00", "computed": "7.62", "difference": "-0.62"}


def test_customer_phone_missing(db: Database, world: PosWorld) -> None:
    error = failures(db, world, wix_order([line("item-3")], customer={"firstName": "Ada", "phone": "  "}))
    assert only(error).code == "CUSTOMER_PHONE_MISSING"


def test_customer_email_missing(db: Database, instance_id: str) -> None:
    world = build_pos(db, instance_id, location={"require_customer_email": True, "require_customer_phone": False})
    error = failures(db, world, wix_order([line("item-3")], customer={"firstName": "Ada"}))
    assert only(error).code == "CUSTOMER_EMAIL_MISSING"


# --- everything at once -------------------------------------------------------------------


def test_every_failure_is_reported_together_in_check_order(db: Database, instance_id: str) -> None:
    world = build_pos(db, instance_id, location={"require_customer_email": True, "orders_per_slot": 1})
    create_order(db, **world.ids(), order=wix_order([line("item-3")]), paid_by_pos_gateway=False, now=FRIDAY_EVENING)
    order = wix_order(
        [
            line("item-1", price="11.00", options={"Size": ["var-small", "var-large"]}),  # price, too many sizes
            line("item-3", catalog_item_id="wix-dish-ghost"),  # unknown
            line("item-2", 9, options={"Size": ["var-small"]}),  # 5 in stock
        ],
        fulfillment_type="DELIVERY",
        delivery_to=(40.7357, -74.1724),  # Newark: outside 5 km
        customer={"firstName": "Ada"},  # no phone, no email
        totals={"total": "1.00"},
    )
    error = failures(db, world, order, now=FRIDAY_EVENING + timedelta(minutes=5))
    assert codes(error) == [
        "OUT_OF_SERVICE_AREA",
        "PRICE_CHANGED",
        "ORDER_ITEM",
        "AVAILABILITY_CHANGED",
        "REQUIREMENTS_NOT_MET",
        "NO_CAPACITY",
        "ORDER_TOTAL",
        "CUSTOMER_PHONE_MISSING",
        "CUSTOMER_EMAIL_MISSING",
    ]
    assert error.code == "OUT_OF_SERVICE_AREA"
    assert error.message == "; ".join(d.message for d in error.details)
    body = error.body()
    assert [e["code"] for e in body["applicationError"]["data"]["errors"]] == codes(error)


def test_closed_leads_the_list_and_time_based_item_checks_stay_quiet(db: Database, world: PosWorld) -> None:
    order = wix_order([line("item-4"), line("item-3", price="1.00")])
    error = failures(db, world, order, now=FRIDAY_EARLY_MORNING)
    assert codes(error) == ["CLOSED", "PRICE_CHANGED"]
    assert error.http_status == 428
