"""The kitchen flow against real servers: posbridge (with its job worker) and wixsim as Wix.

Kitchen actions reach Wix's order in order through 5xx, 429 and latency; repeats are harmless; a
cancel in Wix's dashboard cancels posbridge's order once; another instance's order is refused.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from posbridge.store.db import Database
from tests.orders.kitchen_world import Kitchen, kitchen_settings, running_kitchen, wait_until
from tests.support.signer import TestSigner
from wixsim.client import WixSimClient

# all_backends where the database backend matters (row locks, money columns); another instance's 404 is a lookup
# like any other


@pytest.fixture(scope="module")
def kitchen(
    db: Database, signer: TestSigner, sim: WixSimClient, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Kitchen]:
    """posbridge and a synced tenant for the module."""
    folder: Path = tmp_path_factory.mktemp("kitchen")
    with running_kitchen(kitchen_settings(db, signer, sim, folder), db, sim) as served:
        yield served


@pytest.fixture(autouse=True)
def _no_faults(sim: WixSimClient) -> Iterator[None]:
    yield
    sim.clear_faults()


def wix_history(kitchen: Kitchen, wix_order_id: str) -> list[str]:
    """The statuses Wix's order went through, oldest first."""
    return [step["status"] for step in kitchen.sim.order(wix_order_id)["statusHistory"]]


@pytest.mark.all_backends
@pytest.mark.slow
def test_accept_ready_fulfil_reach_wix_in_order(kitchen: Kitchen) -> None:
    placed = kitchen.checkout(dishes=2)
    pos_id, wix_id = placed["posOrderId"], placed["orderId"]
    shown = kitchen.order(pos_id)
    assert shown["status"] == "NEW" and shown["wixOrderId"] == wix_id
    assert len(shown["lines"]) == 2 and shown["customer"]["firstName"] == "Ada"
    assert shown["fulfillment"]["type"] == "PICKUP" and shown["totals"]["total"] == placed["order"]["totals"]["total"]

    for action in ("accept", "ready", "fulfill"):
        response = kitchen.act(pos_id, action, reason="ready in 15 minutes" if action == "accept" else None)
        assert response.status_code == 200, response.text
    kitchen.wait_for_wix(wix_id, "FULFILLED")
    assert wix_history(kitchen, wix_id) == ["NEW", "ACCEPTED", "FULFILLED"]  # READY is the kitchen's own
    at_wix = kitchen.sim.order(wix_id)["order"]
    assert at_wix["activities"][0]["message"] == "ready in 15 minutes"
    order = kitchen.order(pos_id)
    assert [(h["previousStatus"], h["status"], h["actor"]) for h in order["history"]] == [
        (None, "NEW", "WIX"),
        ("NEW", "ACCEPTED", "OPERATOR"),
        ("ACCEPTED", "READY", "OPERATOR"),
        ("READY", "FULFILLED", "OPERATOR"),
    ]
    wait_until(lambda: kitchen.order(pos_id)["wixPushStatus"] == "PUSHED")
    pushes = kitchen.order(pos_id)["pushes"]
    assert [(p["payload"]["status"], p["status"]) for p in pushes] == [("ACCEPTED", "DONE"), ("FULFILLED", "DONE")]


@pytest.mark.all_backends
@pytest.mark.slow
def test_pushes_get_through_5xx_429_and_latency_in_order(kitchen: Kitchen) -> None:
    placed = kitchen.checkout()
    pos_id, wix_id = placed["posOrderId"], placed["orderId"]
    instance = kitchen.instance_id
    kitchen.sim.inject_fault("acceptOrder", "5xx", count=2, status=503, instance_id=instance)
    kitchen.sim.inject_fault("fulfillOrder", "429", count=2, retry_after=1, instance_id=instance)
    kitchen.sim.inject_fault("*", "latency", latency_ms=150, instance_id=instance)
    kitchen.sim.clear_request_log()
    assert kitchen.act(pos_id, "accept").status_code == 200
    assert kitchen.act(pos_id, "fulfill").status_code == 200  # straight from ACCEPTED: READY is optional
    kitchen.wait_for_wix(wix_id, "FULFILLED")
    assert wix_history(kitchen, wix_id) == ["NEW", "ACCEPTED", "FULFILLED"]
    calls = [(r["endpoint"], r["status"]) for r in kitchen.sim.request_log(instance_id=instance)["requests"]]
    status_calls = [c for c in calls if c[0] in ("acceptOrder", "fulfillOrder")]
    assert status_calls == [
        ("acceptOrder", 503),
        ("acceptOrder", 503),
        ("acceptOrder", 200),
        ("fulfillOrder", 429),
        ("fulfillOrder", 429),
        ("fulfillOrder", 200),
    ]
    # Wix took the last push before posbridge read its answer: wait for posbridge to record it.
    wait_until(lambda: kitchen.order(pos_id)["wixPushStatus"] == "PUSHED")
    assert kitchen.order(pos_id)["attention"] is None


@pytest.mark.all_backends
def test_repeated_actions_change_nothing_and_forbidden_ones_are_refused(kitchen: Kitchen) -> None:
    placed = kitchen.checkout()
    pos_id, wix_id = placed["posOrderId"], placed["orderId"]
    for _ in range(3):
        assert kitchen.act(wix_id, "accept").status_code == 200  # the Wix order id works too
    kitchen.wait_for_wix(wix_id, "ACCEPTED")
    order = kitchen.order(pos_id)
    assert [h["status"] for h in order["history"]] == ["NEW", "ACCEPTED"]
    assert len(order["pushes"]) == 1
    assert kitchen.act(pos_id, "fulfill").status_code == 200
    again = kitchen.act(pos_id, "ready")
    assert again.status_code == 409, again.text
    assert again.json()["code"] == "STATUS_TRANSITION_NOT_ALLOWED"
    kitchen.wait_for_wix(wix_id, "FULFILLED")
    assert kitchen.order(pos_id)["status"] == "FULFILLED"
    assert wix_history(kitchen, wix_id) == ["NEW", "ACCEPTED", "FULFILLED"]


@pytest.mark.all_backends
def test_a_cancel_in_wix_cancels_the_pos_order_once(kitchen: Kitchen) -> None:
    placed = kitchen.checkout()
    pos_id, wix_id = placed["posOrderId"], placed["orderId"]
    assert kitchen.act(pos_id, "accept").status_code == 200
    kitchen.wait_for_wix(wix_id, "ACCEPTED")
    kitchen.sim.set_order_status(wix_id, "CANCELED", message="customer called: wrong address")
    events = kitchen.sim.order_events(instance_id=kitchen.instance_id, event_type="wix.restaurants.v3.order_canceled")
    mine = [e for e in events if e["payload"] and wix_id in e["payload"]["data"]]
    assert [e["status"] for e in mine] == [200]
    order = kitchen.order(pos_id)
    assert order["status"] == "CANCELED"
    assert order["history"][-1]["actor"] == "WIX"
    assert "wrong address" in order["history"][-1]["reason"]
    kitchen.sim.redeliver_order_event(mine[0]["seq"])  # Wix's retry of the same event
    again = kitchen.order(pos_id)
    assert [h["status"] for h in again["history"]] == ["NEW", "ACCEPTED", "CANCELED"]
    assert [p["payload"]["status"] for p in again["pushes"]] == ["ACCEPTED"]  # the cancel is not echoed to Wix
    refused = kitchen.act(pos_id, "fulfill")
    assert refused.status_code == 409


@pytest.mark.all_backends
def test_a_wix_cancel_after_fulfilment_needs_attention(kitchen: Kitchen) -> None:
    placed = kitchen.checkout()
    pos_id, wix_id = placed["posOrderId"], placed["orderId"]
    kitchen.act(pos_id, "accept")
    kitchen.act(pos_id, "fulfill")
    kitchen.wait_for_wix(wix_id, "FULFILLED")
    kitchen.sim.set_order_status(wix_id, "CANCELED")
    kitchen.sim.order_events()  # delivered
    order = kitchen.order(pos_id)
    assert order["status"] == "CANCELED"
    assert order["attention"]["kind"] == "CANCELED_AFTER_FULFILLED"
    assert "refund" in order["attention"]["actions"]
    listed = kitchen.admin.get("/api/v1/orders", params={"attention": "true", "instanceId": kitchen.instance_id})
    assert [o["posOrderId"] for o in listed.json()["items"]] == [pos_id]
    health = kitchen.admin.get("/healthz").json()
    assert health["details"]["ordersNeedingAttention"] >= 1
    assert kitchen.admin.post(f"/api/v1/orders/{pos_id}/resolve").status_code == 200
    assert kitchen.order(pos_id)["attention"] is None


def test_another_instances_order_is_not_found(kitchen: Kitchen) -> None:
    placed = kitchen.checkout()
    pos_id = placed["posOrderId"]
    stranger = str(uuid.uuid4())
    for action in ("accept", "cancel"):
        response = kitchen.admin.post(f"/api/v1/orders/{pos_id}/{action}", params={"instanceId": stranger})
        assert response.status_code == 404, response.text
    assert kitchen.admin.get(f"/api/v1/orders/{pos_id}", params={"instanceId": stranger}).status_code == 404
    assert kitchen.order(pos_id)["status"] == "NEW"
    assert kitchen.admin.get(f"/api/v1/orders/{pos_id}", params={"instanceId": kitchen.instance_id}).status_code == 200
