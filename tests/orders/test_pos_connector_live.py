"""A merchant's own POS against real servers: posbridge (with its job worker), wixsim as Wix, the POS emulator.

A checkout through wixsim reaches the POS as a signed webhook; the POS's status report reaches Wix's
order; a cancel in Wix reaches the POS naming the POS's own id; a POS that is down for a while gets
every delivery once it is back, in order.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from posbridge.services import pos_deliveries
from posbridge.services.accounts import issue_api_key
from posbridge.store.db import Database
from posbridge.store.models import Merchant
from tests.orders.kitchen_world import FAST_POS_RETRY, Kitchen, kitchen_settings, running_kitchen, wait_until
from tests.support.pos_emulator import PosEmulator, report_status, running_pos
from tests.support.signer import TestSigner
from wixsim.client import WixSimClient


@pytest.fixture(scope="module")
def pos() -> Iterator[PosEmulator]:
    with running_pos(PosEmulator()) as emulator:
        yield emulator


@pytest.fixture(scope="module")
def kitchen(
    db: Database, signer: TestSigner, sim: WixSimClient, pos: PosEmulator, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Kitchen]:
    """posbridge and a synced tenant whose merchant takes its orders in its own POS."""
    folder: Path = tmp_path_factory.mktemp("pos-connector")
    # A short delivery backoff: the outage test waits out a few attempts, not 5 s + 10 s.
    settings = kitchen_settings(db, signer, sim, folder, **FAST_POS_RETRY)
    with running_kitchen(settings, db, sim) as served:
        info = pos_deliveries.set_pos(
            db, merchant_id=merchant_id(db, served), url=pos.url, secret_key=settings.secret_key
        )
        assert info.secret is not None
        pos.secret = info.secret
        yield served


@pytest.fixture(autouse=True)
def _pos_answers(pos: PosEmulator) -> Iterator[None]:
    yield
    pos.down = pos.refuse = False


def merchant_id(db: Database, kitchen: Kitchen) -> str:
    with db.transaction(write=False) as session:
        return str(session.scalar(select(Merchant.pos_id).where(Merchant.id == kitchen.world.merchant)))


def received(pos: PosEmulator, wix_order_id: str) -> list[str]:
    """The webhooks the POS took about one order, each message once, in arrival order."""
    return [r.body["type"] for r in pos.unique() if r.body["data"]["wixOrderId"] == wix_order_id]


def statuses(db: Database, pos_order_id: str) -> list[str]:
    """The status of each delivery of one order, in order."""
    return [d["status"] for d in pos_deliveries.delivery_log(db, pos_order_id)]


def test_a_checkout_reaches_the_pos_and_its_status_reaches_wix(
    kitchen: Kitchen, pos: PosEmulator, db: Database
) -> None:
    placed = kitchen.checkout(dishes=2)
    wix_id = placed["orderId"]
    wait_until(lambda: received(pos, wix_id) == ["order.created"])
    created = next(r for r in pos.unique() if r.body["data"]["wixOrderId"] == wix_id)
    assert created.body["data"]["posOrderId"] == placed["posOrderId"]
    assert len(created.body["data"]["order"]["lines"]) == 2
    assert pos.rejected == []
    own_id = pos._ids[wix_id]  # what the POS answered
    wait_until(lambda: _own_id(db, placed["posOrderId"]) == own_id)
    shown = kitchen.order(own_id)  # the POS's own id finds the order, as ours and Wix's do
    assert (shown["posOrderId"], shown["wixOrderId"], shown["posOwnOrderId"]) == (placed["posOrderId"], wix_id, own_id)
    api_key = issue_api_key(db, merchant_id=merchant_id(db, kitchen))
    accepted = report_status(kitchen.url, api_key, own_id, "ACCEPTED", reason="on the grill")
    assert accepted.status_code == 200, accepted.text
    kitchen.wait_for_wix(wix_id, "ACCEPTED")


def _own_id(db: Database, pos_order_id: str) -> str | None:
    with db.transaction(write=False) as session:
        return pos_deliveries.connected_pos_order_id(session, pos_order_id)


def test_a_cancel_in_wix_reaches_the_pos_with_its_own_id(kitchen: Kitchen, pos: PosEmulator) -> None:
    placed = kitchen.checkout()
    wix_id = placed["orderId"]
    wait_until(lambda: received(pos, wix_id) == ["order.created"])
    kitchen.sim.set_order_status(wix_id, "CANCELED", message="customer called")
    wait_until(lambda: received(pos, wix_id) == ["order.created", "order.canceled"])
    cancelled = [r for r in pos.unique() if r.body["data"]["wixOrderId"] == wix_id][-1]
    assert cancelled.body["data"]["posOrderId"] == pos._ids[wix_id]
    assert "customer called" in (cancelled.body["data"]["reason"] or "")


@pytest.mark.slow
def test_a_pos_down_for_a_while_gets_every_delivery_once_back(kitchen: Kitchen, pos: PosEmulator, db: Database) -> None:
    pos.down = True
    placed = kitchen.checkout()
    wix_id = placed["orderId"]
    wait_until(lambda: pos.attempts > 0 and received(pos, wix_id) == [])
    kitchen.sim.set_order_status(wix_id, "CANCELED", message="changed their mind")
    before = pos.attempts
    wait_until(lambda: pos.attempts > before)  # still trying, the cancel still behind the create
    assert received(pos, wix_id) == []
    pos.down = False
    wait_until(lambda: received(pos, wix_id) == ["order.created", "order.canceled"], timeout=60)
    # The POS took the cancel before its answer reached posbridge, which then records the delivery.
    wait_until(lambda: statuses(db, placed["posOrderId"]) == ["DELIVERED", "DELIVERED"])
    log = pos_deliveries.delivery_log(db, placed["posOrderId"])
    assert log[0]["attempts"] >= 2 and [entry["statusCode"] for entry in log[0]["log"]][-1] == 200
