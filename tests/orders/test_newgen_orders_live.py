"""New-generation order intake against real servers: posbridge (with its worker) and wixsim as Wix.

A checkout on a new-generation site (after a Menus API sync) sends `wix.ecom.v1.order_approved` to
posbridge's /wix/webhooks; the order reaches posbridge's kitchen once, however often the event comes.
"""

from __future__ import annotations

import copy
import json
import threading
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import delete, select, update
from sqlalchemy import event as sa_event
from typer.testing import CliRunner

from posbridge.app import create_app
from posbridge.cli import app as cli_app
from posbridge.logs import configure_logging
from posbridge.services import ecom_orders, pos_deliveries
from posbridge.spi import ecom_wire
from posbridge.store.db import Database
from posbridge.store.models import (
    Menu,
    Merchant,
    OrderLine,
    OrderLineOption,
    OrderRow,
    OrderStatusChange,
    Stock,
    WebhookEvent,
)
from tests.conftest import ADMIN_TOKEN
from tests.orders.kitchen_world import kitchen_settings, wait_until
from tests.support.pos_emulator import PosEmulator, running_pos
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


def apply_event(db: Database, instance_id: str, event_type: str, data: dict[str, Any]) -> str:
    """An eCom order event as the webhook applies it: read at the edge, then applied."""
    return ecom_orders.apply_ecom_event(db, instance_id, ecom_wire.parse_event(event_type, data))


def orders_of(db: Database, wix_order_id: str) -> list[OrderRow]:
    with db.transaction(write=False) as session:
        return list(session.scalars(select(OrderRow).where(OrderRow.wix_order_id == wix_order_id)))


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
        assert apply_event(db, site.instance_id, ecom_orders.ORDER_APPROVED, event) == "DUPLICATE"
    assert len(orders_of(db, result["orderId"])) == 1


def test_an_approval_resent_after_a_cancel_is_a_duplicate_of_the_placed_order(
    world: tuple[NewGenWorld, str], db: Database
) -> None:
    """Placed, then cancelled in Wix: a resent approval is the placed order again, not one 'cancelled before'."""
    site, _url = world
    result = site.sim.ecom_checkout(site.instance_id, site.business_location_id, [simple_line(site)], buyer=BUYER)
    site.sim.ecom_cancel(result["orderId"], custom_message="closing early")
    site.sim.ecom_events(site.instance_id)  # delivered: the order is placed, then cancelled
    [order] = orders_of(db, result["orderId"])
    assert order.status == "CANCELED"
    event = {"actionEvent": {"body": {"order": result["order"]}}}
    assert apply_event(db, site.instance_id, ecom_orders.ORDER_APPROVED, event) == "DUPLICATE"
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
        assert fulfillment.get("completed") is True  # a done fulfillment is completed (spec §2.2)
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
        changes = list(session.scalars(select(OrderStatusChange).where(OrderStatusChange.order_id == order.id)))
    assert [c.actor for c in changes] == ["WIX", "WIX"]
    assert changes[-1].note == "in Wix: the customer called"  # the merchant's words reach the kitchen


def admin_client(url: str) -> httpx.Client:
    return httpx.Client(base_url=url, headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}, timeout=30)


def sized_dish(world: NewGenWorld) -> tuple[dict[str, Any], dict[str, Any], str]:
    """A dish written with price variants (a size), one of its variants that is not the first, and its name."""
    entities = world.entities()
    variant_names = {v["id"]: v["name"] for v in entities.get("variants", [])}
    for item in entities["items"]:
        variants = (item.get("priceVariants") or {}).get("variants") or []
        if len(variants) > 1 and not item.get("modifierGroups"):
            return item, variants[-1], variant_names[variants[-1]["variantId"]]
    raise AssertionError("no sized dish in the menu")


def test_a_sized_dish_reaches_the_kitchen_with_its_size_and_price(world: tuple[NewGenWorld, str], db: Database) -> None:
    site, url = world
    item, variant, size = sized_dish(site)
    line = {"itemId": item["id"], "quantity": 2, "variantId": variant["variantId"]}
    result = site.sim.ecom_checkout(site.instance_id, site.business_location_id, [line], buyer=BUYER)
    assert result["outcome"] == "APPROVED", result
    [order] = orders_of(db, result["orderId"])
    assert order.status == "NEW" and order.needs_attention is None
    with admin_client(url) as admin:
        detail = admin.get(f"/api/v1/orders/{order.pos_order_id}").json()
    [placed] = detail["lines"]
    assert [(o["name"], Decimal(o["price"])) for o in placed["options"]] == [
        (size, Decimal(variant["priceInfo"]["price"]) - Decimal(item_base_price(db, site, item["id"])))
    ]
    wix_line = result["order"]["lineItems"][0]
    assert (
        Decimal(placed["unitPrice"]) == Decimal(wix_line["price"]["amount"]) == Decimal(variant["priceInfo"]["price"])
    )
    assert Decimal(placed["lineTotal"]) == Decimal(wix_line["lineItemPrice"]["amount"])


def item_base_price(db: Database, site: NewGenWorld, wix_item_id: str) -> Decimal:
    """The POS price of the dish a Menus item came from (its size group's charges come on top)."""
    from posbridge.store.models import Item, SyncIdMap

    with db.transaction(write=False) as session:
        pos_ref = session.scalar(
            select(SyncIdMap.pos_ref).where(SyncIdMap.wix_id == wix_item_id, SyncIdMap.kind == "DISH")
        )
        dish = session.get(Item, pos_ref)
        assert dish is not None
        return dish.price


def copy_of(order: dict[str, Any], suffix: str) -> dict[str, Any]:
    """Another eCom order like `order` (new id and number), for events Wix would send about it."""
    other = copy.deepcopy(order)
    other["id"] = f"{order['id'][: -len(suffix)]}{suffix}"
    other["number"] = f"{order.get('number')}{suffix[-2:]}"
    return other


def event(order: dict[str, Any]) -> dict[str, Any]:
    return {"actionEvent": {"body": {"order": order}}}


def run_cli(db: Database, tmp_path: Path, *args: str) -> str:
    """`posbridge ARGS` in-process on the test's database; its standard output."""
    env = {
        "POSBRIDGE_DATABASE_URL": db.url,
        "POSBRIDGE_QUEUE": "sqlite",
        "POSBRIDGE_QUEUE_PATH": str(tmp_path / "queue.db"),
        "COLUMNS": "200",
    }
    try:
        done = CliRunner().invoke(cli_app, list(args), env=env, catch_exceptions=False)
    finally:
        configure_logging("WARNING", json=True)  # the command pointed the logs at the runner's closed output
    assert done.exit_code == 0, done.output
    return str(done.stdout)


def test_an_approved_order_the_pos_refuses_needs_attention_with_the_refund(
    world: tuple[NewGenWorld, str], db: Database, tmp_path: Path
) -> None:
    site, url = world
    line = simple_line(site)
    result = site.sim.ecom_checkout(site.instance_id, site.business_location_id, [line], buyer=BUYER)
    approved = copy_of(result["order"], "f00d")
    with db.transaction() as session:  # the kitchen ran out after the customer paid
        pos_ref = session.scalar(
            select(OrderLine.item_id)
            .join(OrderRow, OrderRow.id == OrderLine.order_id)
            .where(OrderRow.wix_order_id == result["orderId"])
        )
        session.add(Stock(item_id=pos_ref, location_id=site.location, quantity=0))
    try:
        outcomes = [apply_event(db, site.instance_id, ecom_orders.ORDER_APPROVED, event(approved)) for _ in range(2)]
    finally:
        with db.transaction() as session:
            session.execute(delete(Stock).where(Stock.location_id == site.location))
    assert outcomes == ["REFUSED", "DUPLICATE"]
    [order] = orders_of(db, approved["id"])
    assert order.status == "CANCELED"  # it never reached the kitchen
    paid = approved["balanceSummary"]["paid"]["amount"]
    with admin_client(url) as admin:
        listed = admin.get("/api/v1/orders", params={"attention": "true", "instanceId": site.instance_id}).json()
        mine = [o for o in listed["items"] if o["wixOrderId"] == approved["id"]]
        assert len(mine) == 1
        flag = mine[0]["attention"]
        assert flag["kind"] == "ORDER_REFUSED"
        assert f"#{approved['number']}" in flag["reason"] and approved["id"] in flag["reason"]
        assert f"{Decimal(paid):.2f} {approved['currency']}" in flag["reason"]
        assert "out of stock" in flag["reason"].lower() or "available" in flag["reason"].lower()
        assert flag["actions"] == ["refund", "resolve"]
        assert flag["refund"] == {
            "amount": f"{Decimal(paid):.2f}",
            "currency": approved["currency"],
            "wixOrderId": approved["id"],
            "orderNumber": str(approved["number"]),
        }
        assert admin.get("/healthz").json()["details"]["ordersNeedingAttention"] >= 1
    listed_cli = run_cli(db, tmp_path, "orders", "--attention", "--instance", site.instance_id, "--json")
    [shown] = [o for o in json.loads(listed_cli)["items"] if o["wixOrderId"] == approved["id"]]
    assert shown["attention"]["reason"] == flag["reason"]
    assert shown["attention"]["refund"] == flag["refund"]  # the refund to make, as data, in the CLI too
    # A cancel from Wix for the order the POS never took resolves cleanly; the refund then settles it.
    assert apply_event(db, site.instance_id, ecom_orders.ORDER_CANCELED, event(approved)) == "STALE"
    # A partial refund first: what is still owed shrinks, in words and as data.
    part = copy.deepcopy(approved)
    part["paymentStatus"] = "PARTIALLY_REFUNDED"
    part["balanceSummary"]["refunded"] = {"amount": "1.00"}
    for expected in ("APPLIED", "DUPLICATE"):
        assert apply_event(db, site.instance_id, ecom_orders.PAYMENT_STATUS_UPDATED, event(part)) == expected
    with admin_client(url) as admin:
        shown = admin.get(f"/api/v1/orders/{mine[0]['posOrderId']}").json()["attention"]
    assert shown["kind"] == "ORDER_REFUSED" and shown["reason"].count("(Wix has refunded 1.00") == 1
    assert Decimal(shown["refund"]["amount"]) == Decimal(paid) - Decimal("1.00")
    refunded = copy.deepcopy(approved)
    refunded["paymentStatus"] = "FULLY_REFUNDED"
    refunded["balanceSummary"]["refunded"] = refunded["balanceSummary"]["paid"]
    assert apply_event(db, site.instance_id, ecom_orders.PAYMENT_STATUS_UPDATED, event(refunded)) == ("APPLIED")
    [order] = orders_of(db, approved["id"])
    assert order.needs_attention is None and order.status == "CANCELED"


def test_a_cancel_before_its_approval_keeps_the_order_from_the_kitchen(
    world: tuple[NewGenWorld, str], db: Database
) -> None:
    site, _url = world
    result = site.sim.ecom_checkout(site.instance_id, site.business_location_id, [simple_line(site)], buyer=BUYER)
    for suffix, first in (("ca11", ecom_orders.ORDER_CANCELED), ("ref1", ecom_orders.PAYMENT_STATUS_UPDATED)):
        early = copy_of(result["order"], suffix)
        if first == ecom_orders.PAYMENT_STATUS_UPDATED:
            early["paymentStatus"] = "FULLY_REFUNDED"
            early["balanceSummary"]["refunded"] = early["balanceSummary"]["paid"]
        apply = apply_event
        assert [apply(db, site.instance_id, first, event(early)) for _ in range(2)] == ["KEPT", "DUPLICATE"]
        outcomes = [apply(db, site.instance_id, ecom_orders.ORDER_APPROVED, event(early)) for _ in range(3)]
        assert outcomes == ["CANCELED_BEFORE"] * 3
        assert orders_of(db, early["id"]) == []  # never reached the kitchen or the POS
        assert apply(db, site.instance_id, first, event(early)) == "DUPLICATE"
    # Another app's order (a Stores product) is not the kitchen's: nothing is kept for it.
    shop = copy_of(result["order"], "5709")
    for line in shop["lineItems"]:
        line["catalogReference"]["appId"] = "215238eb-22a5-4c36-9e7b-e7c08025e04e"
    shop["paymentStatus"] = "FULLY_REFUNDED"
    for kind in (ecom_orders.ORDER_CANCELED, ecom_orders.PAYMENT_STATUS_UPDATED):
        assert apply(db, site.instance_id, kind, event(shop)) == "NOT_OURS"
    with db.transaction(write=False) as session:
        assert session.scalars(select(WebhookEvent).where(WebhookEvent.subject == shop["id"])).all() == []


def test_refunds_in_wix_reach_the_kitchen(world: tuple[NewGenWorld, str], db: Database) -> None:
    site, url = world

    def checkout() -> tuple[str, OrderRow]:
        result = site.sim.ecom_checkout(site.instance_id, site.business_location_id, [simple_line(site)], buyer=BUYER)
        [order] = orders_of(db, result["orderId"])
        return result["orderId"], order

    def history(order_id: int) -> list[tuple[str, str]]:
        with db.transaction(write=False) as session:
            rows = session.scalars(select(OrderStatusChange).where(OrderStatusChange.order_id == order_id))
            return [(c.status, c.actor) for c in rows]

    # A full refund of an open order cancels it, once (the event repeats harmlessly).
    full_id, full = checkout()
    site.sim.ecom_refund(full_id, reason="wrong address")
    site.sim.ecom_events(site.instance_id)  # delivered
    [again] = orders_of(db, full_id)
    assert again.status == "CANCELED" and again.needs_attention is None
    wix = site.sim.order(full_id)["order"]
    assert apply_event(db, site.instance_id, ecom_orders.PAYMENT_STATUS_UPDATED, event(wix)) == ("DUPLICATE")
    assert history(full.id) == [("NEW", "WIX"), ("CANCELED", "WIX")]

    # A partial refund needs a person: the order stays open, with the reason.
    part_id, _part = checkout()
    site.sim.ecom_refund(part_id, amount="1.00")
    site.sim.ecom_events(site.instance_id)
    [again] = orders_of(db, part_id)
    assert again.status == "NEW" and again.attention_kind == "REFUNDED_IN_WIX"
    assert "1.00" in (again.needs_attention or "") and "cancel" in (again.attention_actions or [])

    # A refund after the kitchen fulfilled the order needs a person too; the order stays fulfilled.
    done_id, done = checkout()
    with admin_client(url) as admin:
        for action in ("accept", "fulfill"):
            assert admin.post(f"/api/v1/orders/{done.pos_order_id}/{action}").status_code == 200
    site.sim.ecom_refund(done_id)
    site.sim.ecom_events(site.instance_id)
    [again] = orders_of(db, done_id)
    assert again.status == "FULFILLED" and again.attention_kind == "REFUNDED_IN_WIX"
    assert "fulfilled" in (again.needs_attention or "")


def test_a_partial_refund_before_its_approval_is_applied_once_the_order_is_placed(
    world: tuple[NewGenWorld, str], db: Database
) -> None:
    site, _url = world
    result = site.sim.ecom_checkout(site.instance_id, site.business_location_id, [simple_line(site)], buyer=BUYER)
    early = copy_of(result["order"], "9a71")
    early["paymentStatus"] = "PARTIALLY_REFUNDED"
    early["balanceSummary"]["refunded"] = {"amount": "0.50"}
    apply = apply_event
    assert apply(db, site.instance_id, ecom_orders.PAYMENT_STATUS_UPDATED, event(early)) == "KEPT"
    assert [apply(db, site.instance_id, ecom_orders.ORDER_APPROVED, event(early)) for _ in range(2)] == [
        "PLACED",
        "DUPLICATE",
    ]
    [order] = orders_of(db, early["id"])
    assert order.status == "NEW" and order.attention_kind == "REFUNDED_IN_WIX"
    assert "0.50" in (order.needs_attention or "")


def test_a_merchant_pos_refusing_a_paid_order_asks_for_the_refund_and_a_wix_cancel_resolves(
    world: tuple[NewGenWorld, str], db: Database
) -> None:
    site, url = world
    with db.transaction(write=False) as session:
        merchant = str(session.scalar(select(Merchant.pos_id).where(Merchant.id == site.merchant)))
    with running_pos(PosEmulator()) as pos:
        info = pos_deliveries.set_pos(db, merchant_id=merchant, url=pos.url, secret_key=site.settings.secret_key)
        assert info.secret is not None
        pos.secret, pos.refuse = info.secret, True
        try:
            result = site.sim.ecom_checkout(
                site.instance_id, site.business_location_id, [simple_line(site)], buyer=BUYER
            )
            wix_id = result["orderId"]
            [order] = orders_of(db, wix_id)
            with pos_deliveries.http_client(timeout=5) as http:
                # The server's worker may hold the delivery's claim: then it records the refusal.
                pos_deliveries.deliver_order(db, order.pos_order_id, secret_key=site.settings.secret_key, http=http)
            wait_until(lambda: orders_of(db, wix_id)[0].attention_kind == "ORDER_REFUSED")
            [order] = orders_of(db, wix_id)
            with admin_client(url) as admin:
                flag = admin.get(f"/api/v1/orders/{order.pos_order_id}").json()["attention"]
            paid = Decimal(result["order"]["balanceSummary"]["paid"]["amount"])
            assert flag["refund"] == {
                "amount": f"{paid:.2f}",
                "currency": result["order"]["currency"],
                "wixOrderId": wix_id,
                "orderNumber": str(result["order"]["number"]),
            }
            assert f"eCom order #{result['order']['number']}" in flag["reason"]
            assert flag["actions"] == ["refund", "cancel", "resolve"]
            # The merchant cancels and refunds in Wix: the order follows, nothing is owed to the POS.
            site.sim.ecom_cancel(wix_id, refund=True, custom_message="sorry, sold out")
            site.sim.ecom_events(site.instance_id)  # delivered
            [order] = orders_of(db, wix_id)
            assert order.status == "CANCELED" and order.needs_attention is None
            assert [d["status"] for d in pos_deliveries.delivery_log(db, order.pos_order_id)] == ["REFUSED"]
            assert pos.attempts == 1
        finally:
            pos_deliveries.remove_pos(db, merchant_id=merchant)


@pytest.mark.parametrize("withdrawal", [ecom_orders.ORDER_CANCELED, ecom_orders.PAYMENT_STATUS_UPDATED])
def test_a_cancel_that_read_before_the_placement_committed_and_commits_after_it_still_cancels(
    world: tuple[NewGenWorld, str], db: Database, backend: str, withdrawal: str
) -> None:
    """The race of a cancel (or full refund) with the approval placing the order, played step by step.

    The cancel records its event, reads no order rows and is held just before its commit. The placement
    then runs; the cancel is let go at the last moment the backend allows: on PostgreSQL once the
    placement has committed its order and read the kept events again (or is about to wait for the
    order's lock), on SQLite (whose single writer the held cancel is) once the placement has read.
    """
    site, _url = world
    result = site.sim.ecom_checkout(site.instance_id, site.business_location_id, [simple_line(site)], buyer=BUYER)
    raced = copy_of(result["order"], "ace1" if withdrawal == ecom_orders.ORDER_CANCELED else "ace2")
    gone = copy.deepcopy(raced)
    if withdrawal == ecom_orders.PAYMENT_STATUS_UPDATED:
        gone["paymentStatus"] = "FULLY_REFUNDED"
        gone["balanceSummary"]["refunded"] = gone["balanceSummary"]["paid"]
    held, release = threading.Event(), threading.Event()
    threads: dict[str, threading.Thread] = {}
    placement = {"inserted": False, "committed": False}
    outcomes: dict[str, str | BaseException] = {}

    def on_commit(_conn: Any) -> None:
        me = threading.current_thread()
        if me is threads.get("cancel") and not held.is_set():
            held.set()
            release.wait(timeout=30)
        elif me is threads.get("placement") and placement["inserted"]:
            placement["committed"] = True

    def before(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if threading.current_thread() is threads.get("placement") and "pg_advisory_xact_lock" in statement:
            release.set()  # the placement is about to wait for the held cancel's lock

    def after(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if threading.current_thread() is not threads.get("placement"):
            return
        if statement.lstrip().upper().startswith("INSERT INTO ORDERS "):
            placement["inserted"] = True
        elif "webhook_events" in statement and (backend == "sqlite" or placement["committed"]):
            release.set()  # the placement has read the kept events without the held cancel's

    def run(name: str, kind: str, order: dict[str, Any]) -> None:
        try:
            outcomes[name] = apply_event(db, site.instance_id, kind, event(order))
        except BaseException as exc:  # reported by the assertions below
            outcomes[name] = exc

    listeners = (("commit", on_commit), ("before_cursor_execute", before), ("after_cursor_execute", after))
    for name, listener in listeners:
        sa_event.listen(db.engine, name, listener)
    try:
        threads["cancel"] = threading.Thread(target=run, args=("cancel", withdrawal, gone))
        threads["cancel"].start()
        assert held.wait(timeout=30)  # recorded, found no order, not yet committed
        threads["placement"] = threading.Thread(target=run, args=("placement", ecom_orders.ORDER_APPROVED, raced))
        threads["placement"].start()
        for thread in threads.values():
            thread.join(timeout=60)
            assert not thread.is_alive()
    finally:
        release.set()
        for name, listener in listeners:
            sa_event.remove(db.engine, name, listener)
    assert release.is_set() and outcomes == {"cancel": "KEPT", "placement": "PLACED"}
    [order] = orders_of(db, raced["id"])
    assert order.status == "CANCELED"  # the order does not stay live in the kitchen
    with db.transaction(write=False) as session:
        changes = session.scalars(select(OrderStatusChange).where(OrderStatusChange.order_id == order.id))
        assert [(c.status, c.actor) for c in changes] == [("NEW", "WIX"), ("CANCELED", "WIX")]  # applied once
    apply = apply_event
    assert apply(db, site.instance_id, withdrawal, event(gone)) == "DUPLICATE"
    assert apply(db, site.instance_id, ecom_orders.ORDER_APPROVED, event(raced)) == "DUPLICATE"
