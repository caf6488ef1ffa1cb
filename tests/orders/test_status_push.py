"""Status pushes that keep failing: backoff, then needs attention with the reason; one retry sends them in order.

The queue's runner (`outbound.run_job`) is driven by hand with an injected clock against a real wixsim,
so hours of backoff take no time and every attempt is visible in wixsim's request log.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from posbridge.config import Settings
from posbridge.errors import WixError
from posbridge.services import attention, order_flow, outbound
from posbridge.services import status_push as _installs_handler  # noqa: F401
from posbridge.services.order_views import get_order
from posbridge.services.ordering import create_order
from posbridge.store.db import Database
from tests.orders.kitchen_world import HandQueue, Kitchen, running_kitchen
from tests.support.orders import parse_order
from wixsim.client import WixSimClient

pytestmark = pytest.mark.all_backends  # the database backend matters here (row locks, money columns)


@pytest.fixture(scope="module")
def kitchen(db: Database, sim: WixSimClient, no_worker_settings: Settings) -> Iterator[Kitchen]:
    with running_kitchen(no_worker_settings, db, sim) as served:
        yield served


@pytest.fixture()
def queue(kitchen: Kitchen) -> Iterator[HandQueue]:
    """The job queue driven by hand: its backoff is what is under test."""
    try:
        with HandQueue(kitchen.world.settings, kitchen.world.db) as hand:
            yield hand
    finally:
        kitchen.sim.clear_faults()


def test_a_push_that_keeps_failing_needs_attention_and_one_retry_sends_everything_in_order(
    kitchen: Kitchen, queue: HandQueue
) -> None:
    placed = kitchen.checkout()
    pos_id, wix_id = placed["posOrderId"], placed["orderId"]
    db = kitchen.world.db
    kitchen.sim.inject_fault("acceptOrder", "5xx", count=1000, status=502, instance_id=kitchen.instance_id)
    accept = order_flow.change_status(db, pos_id, "ACCEPTED", actor="KITCHEN").jobs[0]
    fulfil = order_flow.change_status(db, pos_id, "FULFILLED", actor="KITCHEN").jobs[0]
    waits = []
    for wait in queue.backoffs(accept):
        waits.append(wait)
        assert queue.run(fulfil) == pytest.approx(wait, abs=1)  # the fulfil waits its turn
    assert waits == sorted(waits) and waits[0] == pytest.approx(outbound.BACKOFF_BASE_SECONDS, abs=0.5)
    assert queue.states([accept, fulfil]) == [("FAILED", outbound.MAX_ATTEMPTS), ("PENDING", 0)]
    detail = get_order(db, pos_id)
    assert detail.wix_push_status == "FAILED" and detail.attention is not None
    assert detail.attention.kind == attention.STATUS_PUSH_FAILED
    assert "ACCEPTED" in detail.attention.reason and "502" in detail.attention.reason
    assert "retry" in detail.attention.actions
    assert kitchen.wix_status(wix_id) == "NEW"  # the fulfil never overtook the accept
    assert queue.run(fulfil) is None  # still blocked behind the failed accept
    assert fulfil not in outbound.due_jobs(db, now=queue.clock.now)  # the sweep leaves a blocked order alone

    kitchen.sim.clear_faults()
    assert outbound.retry(db, pos_id) == [accept]
    assert accept in outbound.due_jobs(db, now=queue.clock.now)
    assert get_order(db, pos_id).attention is None
    assert queue.run(accept) is None
    assert queue.states([accept, fulfil]) == [("DONE", 1), ("DONE", 1)]
    assert [s["status"] for s in kitchen.sim.order(wix_id)["statusHistory"]] == ["NEW", "ACCEPTED", "FULFILLED"]
    assert get_order(db, pos_id).wix_push_status == "PUSHED"
    with pytest.raises(WixError) as caught:
        outbound.retry(db, pos_id)
    assert caught.value.code == "NOTHING_TO_RETRY"


def test_an_order_wix_does_not_know_needs_attention_at_once(kitchen: Kitchen, queue: HandQueue) -> None:
    world = kitchen.world
    wire = kitchen.checkout()["order"]  # a valid order, then the same again under an id Wix never issued
    order = parse_order({**wire, "id": f"never-at-wix-{uuid.uuid4().hex[:8]}"})
    ids = {"instance_id": world.instance_id, "account_id": world.account_id}
    created = create_order(
        world.db, **ids, configuration_id=world.configuration_wix_id, order=order, paid_by_pos_gateway=True
    )
    job = order_flow.change_status(world.db, created.pos_order_id, "ACCEPTED", actor="KITCHEN").jobs[0]
    assert queue.run(job) is None
    assert queue.states([job]) == [("FAILED", 1)]
    detail = get_order(world.db, created.pos_order_id)
    assert detail.attention is not None and "404" in detail.attention.reason


def test_a_push_after_wix_cancelled_the_order_itself_is_done_not_refused(kitchen: Kitchen, queue: HandQueue) -> None:
    placed = kitchen.checkout()
    pos_id, wix_id = placed["posOrderId"], placed["orderId"]
    kitchen.sim.set_order_status(wix_id, "CANCELED", emit=False)  # its webhook is still on its way
    job = order_flow.change_status(kitchen.world.db, pos_id, "ACCEPTED", actor="KITCHEN").jobs[0]
    assert queue.run(job) is None
    assert queue.states([job]) == [("DONE", 1)]
    assert kitchen.wix_status(wix_id) == "CANCELED"
    assert get_order(kitchen.world.db, pos_id).attention is None
