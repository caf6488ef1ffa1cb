"""New-generation order intake against real servers: posbridge (with its worker) and wixsim as Wix.

A checkout on a new-generation site (after a Menus API sync) sends `wix.ecom.v1.order_approved` to
posbridge's /wix/webhooks; the order reaches posbridge's kitchen once, however often the event comes.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import httpx
import pytest
from sqlalchemy import delete, select, update

from posbridge.app import create_app
from posbridge.services import ecom_orders
from posbridge.store.db import Database
from posbridge.store.models import Menu, Order, OrderLine, OrderLineOption, OrderStatusChange, Stock
from tests.conftest import ADMIN_TOKEN
from tests.orders.kitchen_world import kitchen_settings, wait_until
from tests.support.server import serve_in_thread
from tests.support.signer import TestSigner
from tests.sync.newgen_world import NewGenWorld, build_newgen_world
from wixsim.client import WixSimClient

pytestmark = pytest.mark.all_backends  # the order write (unique key, money columns) is backend-specific


@pytest.fixture(scope="module")
def world(
    db: Database, signer: TestSigner, sim: WixSimClient, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[NewGenWorld, str]]:
    settings = kitchen_settings(db, signer, sim, tmp_path_factory.mktemp("newgen"))
    with serve_in_thread(create_app(settings, db)) as url:
        built = build_newgen_world(db, settings, sim, items=12, menus=1)
        with db.transaction() as session:  # every dish orderable whenever the test runs
            session.execute(update(Menu).where(Menu.merchant_id == built.merchant).values(availability=None))
            session.execute(delete(Stock).where(Stock.location_id == built.location))
        assert built.sync().status == "SYNCED"
        sim.update_site(built.instance_id, webhook_url=f"{url}/wix/webhooks")
        try:
            yield built, url
        finally:
            built.client.close()


BUYER = {"email": "ada@example.com", "firstName": "Ada", "lastName": "Lovelace", "phone": "+1 555 0100"}


def simple_line(world: NewGenWorld) -> dict[str, Any]:
    """One dish of the paired location that needs no choice (no price variants, no modifier groups)."""
    for item in world.entities()["items"]:
        if not item.get("priceVariants") and not item.get("modifierGroups"):
            return {"itemId": item["id"], "quantity": 2}
    raise AssertionError("no simple dish in the menu")


def orders_of(db: Database, wix_order_id: str) -> list[Order]:
    with db.transaction(write=False) as session:
        return list(session.scalars(select(Order).where(Order.wix_order_id == wix_order_id)))


def test_a_checkout_reaches_the_kitchen_once(world: tuple[NewGenWorld, str], db: Database) -> None:
    site, _url = world
    result = site.sim.ecom_checkout(site.instance_id, site.business_location_id, [simple_line(site)], buyer=BUYER)
    assert result["outcome"] == "APPROVED", result
    [order] = orders_of(db, result["orderId"])
    assert order.status == "NEW" and order.location_id == site.location
    assert order.configuration_wix_id == site.business_location_id
    assert order.total == Decimal(result["order"]["priceSummary"]["total"]["amount"])


def test_a_resent_or_late_approved_event_makes_no_second_order(world: tuple[NewGenWorld, str], db: Database) -> None:
    site, _url = world
    result = site.sim.ecom_checkout(site.instance_id, site.business_location_id, [simple_line(site)], buyer=BUYER)
    delivered = site.sim.ecom_events(site.instance_id)
    assert {e["eventType"] for e in delivered if e["orderId"] == result["orderId"]} >= {
        "wix.ecom.v1.order_created",
        "wix.ecom.v1.order_approved",
    }
    # Wix resends (or a copy arrives late, after other events): the same order, once.
    event = {"actionEvent": {"body": {"order": result["order"]}}}
    for _ in range(2):
        assert ecom_orders.apply_ecom_event(db, site.instance_id, ecom_orders.ORDER_APPROVED, event) == "DUPLICATE"
    assert len(orders_of(db, result["orderId"])) == 1


def test_a_dish_with_choices_maps_back_through_its_catalog_reference(
    world: tuple[NewGenWorld, str], db: Database
) -> None:
    site, _url = world
    entities = site.entities()
    groups = {group["id"]: group for group in entities.get("modifierGroups", [])}
    line = None
    for item in entities["items"]:
        chosen = [g for g in item.get("modifierGroups") or [] if g.get("id") in groups]
        if chosen and not item.get("priceVariants"):
            group = groups[chosen[0]["id"]]
            first = group["modifiers"][0]
            line = {
                "itemId": item["id"],
                "quantity": 1,
                "modifiers": [{"groupId": group["id"], "modifierIds": [first.get("modifierId") or first.get("id")]}],
            }
            break
    assert line is not None, "no dish with modifiers in the menu"
    result = site.sim.ecom_checkout(site.instance_id, site.business_location_id, [line], buyer=BUYER)
    assert result["outcome"] == "APPROVED", result
    [order] = orders_of(db, result["orderId"])
    assert order.status == "NEW"
    with db.transaction(write=False) as session:
        [placed] = session.scalars(select(OrderLine).where(OrderLine.order_id == order.id))
        options = list(session.scalars(select(OrderLineOption).where(OrderLineOption.line_id == placed.id)))
    assert placed.wix_catalog_item_id == line["itemId"]
    assert [option.group_name for option in options] == [group["name"]]


def test_kitchen_progress_is_one_fulfillment_at_wix_and_a_cancel_is_ecoms(
    world: tuple[NewGenWorld, str], db: Database
) -> None:
    site, url = world
    result = site.sim.ecom_checkout(site.instance_id, site.business_location_id, [simple_line(site)], buyer=BUYER)
    [order] = orders_of(db, result["orderId"])
    seen: list[str] = []

    def fulfillment_status() -> str | None:
        fulfillments = site.sim.order(result["orderId"])["fulfillments"]
        assert len(fulfillments) <= 1  # one fulfillment for the whole order, never a second
        return fulfillments[0].get("status") if fulfillments else None

    with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}, timeout=30) as admin:
        for action, status in (("accept", "Accepted"), ("ready", "Ready"), ("fulfill", "Fulfilled")):
            assert admin.post(f"/api/v1/orders/{order.pos_order_id}/{action}").status_code == 200
            wait_until(lambda status=status: fulfillment_status() == status)
            seen.append(status)
        [fulfillment] = site.sim.order(result["orderId"])["fulfillments"]
        ordered = {line["id"]: line["quantity"] for line in result["order"]["lineItems"]}
        assert {line["id"]: line["quantity"] for line in fulfillment["lineItems"]} == ordered
        assert seen == ["Accepted", "Ready", "Fulfilled"]

        second = site.sim.ecom_checkout(site.instance_id, site.business_location_id, [simple_line(site)], buyer=BUYER)
        [other] = orders_of(db, second["orderId"])
        assert (
            admin.post(f"/api/v1/orders/{other.pos_order_id}/cancel", json={"reason": "out of dough"}).status_code
            == 200
        )
        wait_until(lambda: site.sim.order(second["orderId"])["order"]["status"] == "CANCELED")


def test_a_cancel_in_wix_reaches_the_kitchen(world: tuple[NewGenWorld, str], db: Database) -> None:
    site, _url = world
    result = site.sim.ecom_checkout(site.instance_id, site.business_location_id, [simple_line(site)], buyer=BUYER)
    site.sim.ecom_cancel(result["orderId"], custom_message="the customer called")
    site.sim.ecom_events(site.instance_id)  # delivered
    [order] = orders_of(db, result["orderId"])
    assert order.status == "CANCELED"
    with db.transaction(write=False) as session:
        actors = [
            c.actor for c in session.scalars(select(OrderStatusChange).where(OrderStatusChange.order_id == order.id))
        ]
    assert actors == ["WIX", "WIX"]
