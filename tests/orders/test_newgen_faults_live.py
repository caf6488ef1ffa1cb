"""New-generation orders through faults, against real servers: posbridge (its worker), wixsim as Wix, a POS emulator.

Kitchen progress (one eCom fulfillment: Accepted, Ready, Fulfilled) and a cancel (eCom's Cancel
Order) reach Wix in order through 5xx, 429 with Retry-After and latency on the eCom endpoints; a
create-fulfillment whose answer was lost never makes a second fulfillment; a push that keeps failing
needs attention and one retry sends everything in order; `order_approved` delivered twice, late, to
a slow posbridge or after a 5xx gives one kitchen order; a POS that is down for a while gets every
delivery once back; another site's order is not found.
"""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import select, text

from posbridge.config import Settings
from posbridge.services import outbound, pos_deliveries
from posbridge.services import status_push as _installs_handler  # noqa: F401
from posbridge.services.accounts import issue_api_key
from posbridge.store.db import Database
from posbridge.store.models import Merchant, OrderRow, OutboundJob
from tests.orders.kitchen_world import FAST_POS_RETRY, HandQueue, kitchen_settings, wait_until
from tests.orders.newgen_kitchen import NewGenKitchen, running_newgen_kitchen
from tests.support.pos_emulator import PosEmulator, report_status, running_pos
from tests.support.signer import TestSigner
from wixsim.client import WixSimClient

FULFILLMENT_WRITES = ("ecom.createFulfillment", "ecom.updateFulfillment")
APPROVED = "wix.ecom.v1.order_approved"
DB_BUDGET_SECONDS = 2.0  # posbridge's database budget here: a stalled table answers 503 after it


@pytest.fixture(scope="module")
def kitchen(
    db: Database, signer: TestSigner, sim: WixSimClient, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[NewGenKitchen]:
    """posbridge (with its worker, and its own short database budget) and a synced new-generation tenant."""
    settings = kitchen_settings(db, signer, sim, tmp_path_factory.mktemp("newgen-faults"))
    served_db = Database(db.url, timeout_seconds=DB_BUDGET_SECONDS)
    try:
        with running_newgen_kitchen(settings, served_db, sim) as served:
            yield served
    finally:
        served_db.dispose()


@pytest.fixture(autouse=True)
def _no_faults(sim: WixSimClient) -> Iterator[None]:
    yield
    sim.clear_faults()


def fulfillment_writes(kitchen: NewGenKitchen, wix_order_id: str) -> list[tuple[str, int | None, str | None]]:
    """(endpoint, answer, fulfillment status sent) of each fulfillment write Wix saw for the order."""
    calls = kitchen.sim.request_log(instance_id=kitchen.instance_id)["requests"]
    return [
        (c["endpoint"], c["status"], ((c.get("body") or {}).get("fulfillment") or {}).get("status"))
        for c in calls
        if c["endpoint"] in FULFILLMENT_WRITES and wix_order_id in c["path"]
    ]


def calls_to(kitchen: NewGenKitchen, endpoint: str, wix_order_id: str) -> list[int | None]:
    calls = kitchen.sim.request_log(endpoint=endpoint, instance_id=kitchen.instance_id)["requests"]
    return [c["status"] for c in calls if wix_order_id in c["path"]]


@pytest.mark.slow
def test_progress_and_a_cancel_get_through_5xx_429_and_latency_in_order(kitchen: NewGenKitchen) -> None:
    first, second = kitchen.checkout(), kitchen.checkout()
    wix_id, other = first["orderId"], second["orderId"]
    pos_id, other_pos = kitchen.pos_order_id(wix_id), kitchen.pos_order_id(other)
    instance = kitchen.instance_id
    kitchen.sim.inject_fault("ecom.createFulfillment", "5xx", count=2, status=503, instance_id=instance)
    kitchen.sim.inject_fault("ecom.listFulfillmentsForSingleOrder", "5xx", count=1, status=502, instance_id=instance)
    kitchen.sim.inject_fault("ecom.updateFulfillment", "429", count=2, retry_after=1, instance_id=instance)
    kitchen.sim.inject_fault("ecom.cancelOrder", "5xx", count=1, status=500, instance_id=instance)
    kitchen.sim.inject_fault("ecom.cancelOrder", "429", count=1, retry_after=1, instance_id=instance)
    kitchen.sim.inject_fault("*", "latency", latency_ms=150, instance_id=instance)
    kitchen.sim.clear_request_log()
    for action in ("accept", "ready", "fulfill"):
        assert kitchen.act(pos_id, action).status_code == 200
    assert kitchen.act(other_pos, "cancel", reason="out of dough").status_code == 200
    wait_until(lambda: kitchen.fulfillment_status(wix_id) == "Fulfilled", timeout=60)
    wait_until(lambda: kitchen.wix_status(other) == "CANCELED", timeout=60)

    assert fulfillment_writes(kitchen, wix_id) == [
        ("ecom.createFulfillment", 503, None),  # a faulted call's body is never read
        ("ecom.createFulfillment", 503, None),
        ("ecom.createFulfillment", 200, "Accepted"),
        ("ecom.updateFulfillment", 429, None),
        ("ecom.updateFulfillment", 429, None),
        ("ecom.updateFulfillment", 200, "Ready"),
        ("ecom.updateFulfillment", 200, "Fulfilled"),
    ]
    [fulfillment] = kitchen.fulfillments(wix_id)
    ordered = {line["id"]: line["quantity"] for line in first["order"]["lineItems"]}
    assert {line["id"]: line["quantity"] for line in fulfillment["lineItems"]} == ordered
    assert calls_to(kitchen, "ecom.cancelOrder", other) == [500, 429, 200]
    assert kitchen.fulfillments(other) == []
    wait_until(lambda: kitchen.order(pos_id)["wixPushStatus"] == "PUSHED")
    wait_until(lambda: kitchen.order(other_pos)["wixPushStatus"] == "PUSHED")
    shown = kitchen.order(pos_id)
    assert [(p["payload"]["status"], p["status"]) for p in shown["pushes"]] == [
        ("ACCEPTED", "DONE"),
        ("READY", "DONE"),
        ("FULFILLED", "DONE"),
    ]
    assert shown["attention"] is None and kitchen.order(other_pos)["attention"] is None


def test_a_cancel_waits_for_the_accept_wix_has_not_taken_yet(kitchen: NewGenKitchen) -> None:
    placed = kitchen.checkout()
    wix_id = placed["orderId"]
    pos_id = kitchen.pos_order_id(wix_id)
    instance = kitchen.instance_id
    kitchen.sim.inject_fault("ecom.createFulfillment", "5xx", count=2, status=503, instance_id=instance)
    kitchen.sim.inject_fault("ecom.createFulfillment", "429", count=1, retry_after=1, instance_id=instance)
    kitchen.sim.clear_request_log()
    assert kitchen.act(pos_id, "accept").status_code == 200
    assert kitchen.act(pos_id, "cancel", reason="the oven broke").status_code == 200
    wait_until(lambda: kitchen.wix_status(wix_id) == "CANCELED", timeout=60)
    calls = kitchen.sim.request_log(instance_id=instance)["requests"]
    writes = [(c["endpoint"], c["status"]) for c in calls if c["endpoint"] in (*FULFILLMENT_WRITES, "ecom.cancelOrder")]
    assert writes == [
        ("ecom.createFulfillment", 503),
        ("ecom.createFulfillment", 503),
        ("ecom.createFulfillment", 429),
        ("ecom.createFulfillment", 200),
        ("ecom.cancelOrder", 200),
    ]
    assert [f["status"] for f in kitchen.fulfillments(wix_id)] == ["Accepted"]
    cancel = next(c for c in calls if c["endpoint"] == "ecom.cancelOrder")
    assert cancel["body"]["customMessage"] == "the oven broke"


@pytest.mark.parametrize("lost", ["5xx", "drop"])
def test_a_create_whose_answer_was_lost_makes_no_second_fulfillment(kitchen: NewGenKitchen, lost: str) -> None:
    placed = kitchen.checkout()
    wix_id = placed["orderId"]
    pos_id = kitchen.pos_order_id(wix_id)
    # Wix creates the fulfillment, then its answer never arrives (a gateway's 504, a cut connection).
    kitchen.sim.inject_fault(
        "ecom.createFulfillment",
        lost,
        count=1,
        status=504 if lost == "5xx" else None,
        phase="after",
        instance_id=kitchen.instance_id,
    )
    kitchen.sim.clear_request_log()
    assert kitchen.act(pos_id, "accept").status_code == 200
    wait_until(lambda: kitchen.order(pos_id)["wixPushStatus"] != "PENDING")
    assert kitchen.order(pos_id)["attention"] is None
    assert [f["status"] for f in kitchen.fulfillments(wix_id)] == ["Accepted"]
    assert calls_to(kitchen, "ecom.createFulfillment", wix_id) == [504 if lost == "5xx" else None]
    for action in ("ready", "fulfill"):  # the rest updates that one fulfillment, as usual
        assert kitchen.act(pos_id, action).status_code == 200
    wait_until(lambda: kitchen.fulfillment_status(wix_id) == "Fulfilled")
    assert len(kitchen.fulfillments(wix_id)) == 1


def test_repeated_actions_make_one_fulfillment_and_forbidden_ones_are_refused(kitchen: NewGenKitchen) -> None:
    placed = kitchen.checkout()
    wix_id = placed["orderId"]
    pos_id = kitchen.pos_order_id(wix_id)
    for _ in range(3):
        assert kitchen.act(wix_id, "accept").status_code == 200  # the eCom order id works too
    wait_until(lambda: kitchen.fulfillment_status(wix_id) == "Accepted")
    assert len(kitchen.order(pos_id)["pushes"]) == 1
    assert kitchen.act(pos_id, "fulfill").status_code == 200
    again = kitchen.act(pos_id, "ready")
    assert again.status_code == 409 and again.json()["code"] == "STATUS_TRANSITION_NOT_ALLOWED"
    wait_until(lambda: kitchen.fulfillment_status(wix_id) == "Fulfilled")
    assert [w[0] for w in fulfillment_writes(kitchen, wix_id)].count("ecom.createFulfillment") == 1


def test_a_push_after_wix_cancelled_the_order_itself_is_done_not_refused(kitchen: NewGenKitchen) -> None:
    placed = kitchen.checkout()
    wix_id = placed["orderId"]
    pos_id = kitchen.pos_order_id(wix_id)
    kitchen.sim.update_site(kitchen.instance_id, webhook_url=f"{kitchen.url}/nowhere")  # its webhook is late
    try:
        kitchen.sim.ecom_cancel(wix_id, custom_message="the customer called")
    finally:
        kitchen.sim.update_site(kitchen.instance_id, webhook_url=f"{kitchen.url}/wix/webhooks")
    assert kitchen.act(pos_id, "accept").status_code == 200  # the kitchen has not heard yet
    wait_until(lambda: kitchen.order(pos_id)["wixPushStatus"] != "PENDING")
    shown = kitchen.order(pos_id)
    assert shown["attention"] is None, shown["attention"]  # Wix is past it: nothing for an operator
    assert shown["wixPushStatus"] == "PUSHED"
    assert kitchen.fulfillments(wix_id) == [] and kitchen.wix_status(wix_id) == "CANCELED"
    [late] = [
        e for e in kitchen.sim.ecom_events(kitchen.instance_id, "wix.ecom.v1.order_canceled") if e["orderId"] == wix_id
    ]
    assert kitchen.sim.redeliver_ecom_event(late["eventId"])["status"] == 200  # Wix's resend reaches posbridge
    assert kitchen.order(pos_id)["status"] == "CANCELED"


# ---- a push that keeps failing (the queue driven by hand, with a clock that moves when told) ------------


@pytest.fixture(scope="module")
def manual(db: Database, sim: WixSimClient, no_worker_settings: Settings) -> Iterator[NewGenKitchen]:
    """posbridge without a worker: the test runs the queue's jobs itself."""
    with running_newgen_kitchen(no_worker_settings, db, sim) as served:
        yield served


def job_ids(db: Database, pos_order_id: str) -> list[int]:
    with db.transaction(write=False) as session:
        order_pk = select(OrderRow.id).where(OrderRow.pos_order_id == pos_order_id).scalar_subquery()
        query = select(OutboundJob.id).where(OutboundJob.order_id == order_pk).order_by(OutboundJob.id)
        return list(session.scalars(query))


def test_a_push_that_keeps_failing_needs_attention_and_one_retry_sends_everything_in_order(
    manual: NewGenKitchen,
) -> None:
    site = manual.site
    placed = manual.checkout()
    wix_id = placed["orderId"]
    pos_id = manual.pos_order_id(wix_id)
    manual.sim.inject_fault("ecom.createFulfillment", "5xx", count=1000, status=502, instance_id=site.instance_id)
    for action in ("accept", "ready", "fulfill"):
        assert manual.act(pos_id, action).status_code == 200
    accept, ready, fulfil = job_ids(site.db, pos_id)
    with HandQueue(site.settings, site.db) as queue:
        list(queue.backoffs(accept))  # every attempt the queue makes, the clock moved past each wait
        assert queue.states([accept, ready, fulfil]) == [
            ("FAILED", outbound.MAX_ATTEMPTS),
            ("PENDING", 0),
            ("PENDING", 0),
        ]
        shown = manual.order(pos_id)
        assert shown["wixPushStatus"] == "FAILED"
        assert shown["attention"]["kind"] == "STATUS_PUSH_FAILED"
        assert "ACCEPTED" in shown["attention"]["reason"] and "502" in shown["attention"]["reason"]
        assert "retry" in shown["attention"]["actions"]
        assert manual.fulfillments(wix_id) == []  # nothing overtook the accept
        listed = manual.admin.get("/api/v1/orders", params={"attention": "true", "instanceId": site.instance_id})
        assert pos_id in [o["posOrderId"] for o in listed.json()["items"]]

        manual.sim.clear_faults()
        manual.sim.clear_request_log()
        retried = manual.admin.post(f"/api/v1/orders/{pos_id}/retry")  # one action
        assert retried.status_code == 200, retried.text
        queue.run(accept)
    assert queue.states([accept, ready, fulfil])[1:] == [("DONE", 1), ("DONE", 1)]
    assert [w[1:] for w in fulfillment_writes(manual, wix_id)] == [
        (200, "Accepted"),
        (200, "Ready"),
        (200, "Fulfilled"),
    ]
    assert [f["status"] for f in manual.fulfillments(wix_id)] == ["Fulfilled"]
    shown = manual.order(pos_id)
    assert shown["wixPushStatus"] == "PUSHED" and shown["attention"] is None


# ---- order_approved however Wix delivers it --------------------------------------------------------------


@contextmanager
def stalled_orders(db: Database) -> Iterator[None]:
    """Another writer holds the orders table: posbridge's order writes wait, and give up after their budget."""
    if db.is_sqlite:
        locker = sqlite3.connect(str(db.engine.url.database), isolation_level=None)
        try:
            locker.execute("BEGIN IMMEDIATE")
            yield
        finally:
            locker.rollback()
            locker.close()
        return
    with db.engine.connect() as connection:
        connection.execute(text("LOCK TABLE orders IN ACCESS EXCLUSIVE MODE"))
        try:
            yield
        finally:
            connection.rollback()


@contextmanager
def wix_waits(sim: WixSimClient, seconds: float) -> Iterator[None]:
    """How long Wix waits for the provider's answer to a webhook, for a while."""
    before = sim.settings()["spiTimeoutSeconds"]
    sim.settings(spi_timeout_seconds=seconds)
    try:
        yield
    finally:
        sim.settings(spi_timeout_seconds=before)


def approved_deliveries(kitchen: NewGenKitchen, wix_order_id: str) -> list[dict[str, Any]]:
    events = kitchen.sim.ecom_events(kitchen.instance_id, APPROVED)
    return [e for e in events if e["orderId"] == wix_order_id]


def test_an_approved_event_twice_or_late_gives_one_kitchen_order(kitchen: NewGenKitchen) -> None:
    placed = kitchen.checkout()
    wix_id = placed["orderId"]
    [delivered] = approved_deliveries(kitchen, wix_id)
    assert delivered["status"] == 200
    assert kitchen.sim.redeliver_ecom_event(delivered["eventId"])["status"] == 200  # twice
    assert len(kitchen.orders_of(wix_id)) == 1
    kitchen.sim.ecom_cancel(wix_id, custom_message="the customer called")
    assert kitchen.sim.redeliver_ecom_event(delivered["eventId"])["status"] == 200  # late: after the cancel
    [order] = kitchen.orders_of(wix_id)
    assert order.status == "CANCELED"  # a late approval does not bring it back


@pytest.mark.all_backends  # how a stalled table shows differs (SQLite busy wait, PostgreSQL lock)
def test_an_approved_event_to_a_slow_posbridge_gives_one_kitchen_order(kitchen: NewGenKitchen) -> None:
    with wix_waits(kitchen.sim, 0.3), stalled_orders(kitchen.site.db):
        placed = kitchen.checkout()  # Wix gives up on each webhook while posbridge waits for the table
    wix_id = placed["orderId"]
    [first] = approved_deliveries(kitchen, wix_id)
    assert first["status"] is None and first["error"], first  # Wix heard nothing in time
    again = kitchen.sim.redeliver_ecom_event(first["eventId"])
    assert again["status"] == 200, again
    wait_until(lambda: len(kitchen.orders_of(wix_id)) == 1)
    assert len(kitchen.orders_of(wix_id)) == 1


@pytest.mark.all_backends  # how a stalled table shows differs (SQLite busy wait, PostgreSQL lock)
@pytest.mark.slow
def test_an_approved_event_answered_5xx_is_placed_once_wix_redelivers_it(kitchen: NewGenKitchen) -> None:
    with wix_waits(kitchen.sim, DB_BUDGET_SECONDS * 3), stalled_orders(kitchen.site.db):
        placed = kitchen.checkout()
    wix_id = placed["orderId"]
    [first] = approved_deliveries(kitchen, wix_id)
    assert first["status"] == 503, first  # posbridge's database did not answer in time: Wix must retry
    assert kitchen.orders_of(wix_id) == []
    again = kitchen.sim.redeliver_ecom_event(first["eventId"])
    assert again["status"] == 200, again
    [order] = kitchen.orders_of(wix_id)
    assert order.status == "NEW" and order.location_id == kitchen.site.location
    assert kitchen.sim.redeliver_ecom_event(first["eventId"])["status"] == 200
    assert len(kitchen.orders_of(wix_id)) == 1


# ---- tenancy ----------------------------------------------------------------------------------------------


def test_another_sites_newgen_order_is_not_found(kitchen: NewGenKitchen) -> None:
    placed = kitchen.checkout()
    wix_id = placed["orderId"]
    pos_id = kitchen.pos_order_id(wix_id)
    stranger = str(uuid.uuid4())
    for order_id in (pos_id, wix_id):
        for action in ("accept", "ready", "fulfill", "cancel", "retry"):
            response = kitchen.admin.post(f"/api/v1/orders/{order_id}/{action}", params={"instanceId": stranger})
            assert response.status_code == 404, (order_id, action, response.text)
        assert kitchen.admin.get(f"/api/v1/orders/{order_id}", params={"instanceId": stranger}).status_code == 404
    assert kitchen.order(pos_id)["status"] == "NEW"
    assert kitchen.fulfillments(wix_id) == []
    mine = kitchen.admin.get(f"/api/v1/orders/{wix_id}", params={"instanceId": kitchen.instance_id})
    assert mine.status_code == 200


# ---- the merchant's own POS ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def pos() -> Iterator[PosEmulator]:
    with running_pos(PosEmulator()) as emulator:
        yield emulator


@pytest.fixture(scope="module")
def pos_kitchen(
    db: Database,
    signer: TestSigner,
    sim: WixSimClient,
    pos: PosEmulator,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[NewGenKitchen]:
    """A new-generation tenant whose merchant takes its orders in its own POS (the emulator)."""
    # A short delivery backoff: the outage test waits out a few attempts, not 5 s + 10 s.
    settings = kitchen_settings(db, signer, sim, tmp_path_factory.mktemp("newgen-pos"), **FAST_POS_RETRY)
    with running_newgen_kitchen(settings, db, sim) as served:
        info = pos_deliveries.set_pos(db, merchant_id=merchant_of(served), url=pos.url, secret_key=settings.secret_key)
        assert info.secret is not None
        pos.secret = info.secret
        yield served


def merchant_of(kitchen: NewGenKitchen) -> str:
    with kitchen.site.db.transaction(write=False) as session:
        return str(session.scalar(select(Merchant.pos_id).where(Merchant.id == kitchen.site.merchant)))


def received(pos: PosEmulator, wix_order_id: str) -> list[str]:
    """The webhooks the POS took about one order, each message once, in arrival order."""
    return [r.body["type"] for r in pos.unique() if r.body["data"]["wixOrderId"] == wix_order_id]


@pytest.mark.slow
def test_a_pos_down_for_a_while_gets_every_newgen_delivery_once_back(
    pos_kitchen: NewGenKitchen, pos: PosEmulator
) -> None:
    pos.down = True
    try:
        placed = pos_kitchen.checkout()
        wix_id = placed["orderId"]
        wait_until(lambda: pos.attempts > 0 and received(pos, wix_id) == [])
        pos_kitchen.sim.ecom_cancel(wix_id, custom_message="changed their mind")
        before = pos.attempts
        wait_until(lambda: pos.attempts > before)  # still trying, the cancel still behind the create
        assert received(pos, wix_id) == []
    finally:
        pos.down = False
    wait_until(lambda: received(pos, wix_id) == ["order.created", "order.canceled"], timeout=60)
    pos_id = pos_kitchen.pos_order_id(wix_id)
    # The POS may have its answer before posbridge records it: wait for the record.
    wait_until(
        lambda: [d["status"] for d in pos_deliveries.delivery_log(pos_kitchen.site.db, pos_id)] == ["DELIVERED"] * 2
    )
    log = pos_deliveries.delivery_log(pos_kitchen.site.db, pos_id)
    assert log[0]["attempts"] >= 2 and [entry["statusCode"] for entry in log[0]["log"]][-1] == 200


def test_a_pos_cannot_report_on_another_merchants_newgen_order(
    pos_kitchen: NewGenKitchen, kitchen: NewGenKitchen, pos: PosEmulator
) -> None:
    theirs = kitchen.checkout()
    their_pos_id = kitchen.pos_order_id(theirs["orderId"])
    api_key = issue_api_key(pos_kitchen.site.db, merchant_id=merchant_of(pos_kitchen))
    for order_id in (their_pos_id, theirs["orderId"]):
        refused = report_status(pos_kitchen.url, api_key, order_id, "ACCEPTED")
        assert refused.status_code == 404, refused.text
    assert kitchen.order(their_pos_id)["status"] == "NEW"
    assert kitchen.fulfillments(theirs["orderId"]) == []
