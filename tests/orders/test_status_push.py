"""Status pushes that keep failing: backoff, then needs attention with the reason; one retry sends them in order.

The queue's runner (`outbound.run_job`) is driven by hand with an injected clock against a real wixsim,
so hours of backoff take no time and every attempt is visible in wixsim's request log.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from posbridge.errors import WixError
from posbridge.services import attention, order_flow, outbound
from posbridge.services import status_push as _installs_handler  # noqa: F401
from posbridge.services.order_views import get_order
from posbridge.services.ordering import create_order
from posbridge.store.db import Database
from posbridge.store.models import OutboundJob
from posbridge.wix.client import WixClient
from posbridge.wix.retry import RetryPolicy
from tests.orders.kitchen_world import Clock, Kitchen, kitchen_settings, running_kitchen
from tests.support.orders import parse_order
from tests.support.signer import TestSigner
from wixsim.client import WixSimClient

pytestmark = pytest.mark.all_backends  # the database backend matters here (row locks, money columns)


@pytest.fixture(scope="module")
def kitchen(
    db: Database, signer: TestSigner, sim: WixSimClient, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Kitchen]:
    folder: Path = tmp_path_factory.mktemp("push")
    settings = kitchen_settings(db, signer, sim, folder, queue="immediate", run_worker=False)
    with running_kitchen(settings, db, sim) as served:
        yield served


@pytest.fixture()
def client(kitchen: Kitchen) -> Iterator[WixClient]:
    """A Wix client that tries each call once: the job queue's backoff is what is under test."""
    wix = WixClient(kitchen.world.settings, kitchen.world.db, retry=RetryPolicy(max_attempts=1))
    try:
        yield wix
    finally:
        wix.close()
        kitchen.sim.clear_faults()


def run(kitchen: Kitchen, client: WixClient, job: int, clock: Clock) -> float | None:
    return outbound.run_job(kitchen.world.db, kitchen.world.settings, job, client=client, clock=clock)


def jobs(db: Database, ids: list[int]) -> list[tuple[str, int]]:
    with db.transaction(write=False) as session:
        rows = session.scalars(select(OutboundJob).where(OutboundJob.id.in_(ids)).order_by(OutboundJob.id))
        return [(r.status, r.attempts) for r in rows]


def test_a_push_that_keeps_failing_needs_attention_and_one_retry_sends_everything_in_order(
    kitchen: Kitchen, client: WixClient
) -> None:
    placed = kitchen.checkout()
    pos_id, wix_id = placed["posOrderId"], placed["orderId"]
    db = kitchen.world.db
    kitchen.sim.inject_fault("acceptOrder", "5xx", count=1000, status=502, instance_id=kitchen.instance_id)
    accept = order_flow.change_status(db, pos_id, "ACCEPTED", actor="KITCHEN").jobs[0]
    fulfil = order_flow.change_status(db, pos_id, "FULFILLED", actor="KITCHEN").jobs[0]
    clock = Clock()
    waits = []
    for _ in range(outbound.MAX_ATTEMPTS):
        wait = run(kitchen, client, accept, clock)
        if wait is None:
            break
        waits.append(wait)
        assert run(kitchen, client, fulfil, clock) == pytest.approx(wait, abs=1)  # the fulfil waits its turn
        clock.now += timedelta(seconds=wait)
    assert waits == sorted(waits) and waits[0] == pytest.approx(outbound.BACKOFF_BASE_SECONDS, abs=0.5)
    assert jobs(db, [accept, fulfil]) == [("FAILED", outbound.MAX_ATTEMPTS), ("PENDING", 0)]
    detail = get_order(db, pos_id)
    assert detail.wix_push_status == "FAILED" and detail.attention is not None
    assert detail.attention.kind == attention.STATUS_PUSH_FAILED
    assert "ACCEPTED" in detail.attention.reason and "502" in detail.attention.reason
    assert "retry" in detail.attention.actions
    assert kitchen.wix_status(wix_id) == "NEW"  # the fulfil never overtook the accept
    assert run(kitchen, client, fulfil, clock) is None  # still blocked behind the failed accept
    assert fulfil not in outbound.due_jobs(db, now=clock.now)  # the sweep leaves a blocked order alone

    kitchen.sim.clear_faults()
    assert outbound.retry(db, pos_id) == [accept]
    assert accept in outbound.due_jobs(db, now=clock.now)
    assert get_order(db, pos_id).attention is None
    assert run(kitchen, client, accept, clock) is None
    assert jobs(db, [accept, fulfil]) == [("DONE", 1), ("DONE", 1)]
    assert [s["status"] for s in kitchen.sim.order(wix_id)["statusHistory"]] == ["NEW", "ACCEPTED", "FULFILLED"]
    assert get_order(db, pos_id).wix_push_status == "PUSHED"
    with pytest.raises(WixError) as caught:
        outbound.retry(db, pos_id)
    assert caught.value.code == "NOTHING_TO_RETRY"


def test_an_order_wix_does_not_know_needs_attention_at_once(kitchen: Kitchen, client: WixClient) -> None:
    world = kitchen.world
    wire = kitchen.checkout()["order"]  # a valid order, then the same again under an id Wix never issued
    order = parse_order({**wire, "id": f"never-at-wix-{uuid.uuid4().hex[:8]}"})
    ids = {"instance_id": world.instance_id, "account_id": world.account_id}
    created = create_order(
        world.db, **ids, configuration_id=world.configuration_wix_id, order=order, paid_by_pos_gateway=True
    )
    job = order_flow.change_status(world.db, created.pos_order_id, "ACCEPTED", actor="KITCHEN").jobs[0]
    assert run(kitchen, client, job, Clock()) is None
    assert jobs(world.db, [job]) == [("FAILED", 1)]
    detail = get_order(world.db, created.pos_order_id)
    assert detail.attention is not None and "404" in detail.attention.reason


def test_a_push_after_wix_cancelled_the_order_itself_is_done_not_refused(kitchen: Kitchen, client: WixClient) -> None:
    placed = kitchen.checkout()
    pos_id, wix_id = placed["posOrderId"], placed["orderId"]
    kitchen.sim.set_order_status(wix_id, "CANCELED", emit=False)  # its webhook is still on its way
    job = order_flow.change_status(kitchen.world.db, pos_id, "ACCEPTED", actor="KITCHEN").jobs[0]
    assert run(kitchen, client, job, Clock()) is None
    assert jobs(kitchen.world.db, [job]) == [("DONE", 1)]
    assert kitchen.wix_status(wix_id) == "CANCELED"
    assert get_order(kitchen.world.db, pos_id).attention is None
