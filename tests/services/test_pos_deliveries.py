"""A merchant's own POS: signed order webhooks, at least once, in order per order, for up to 24 h."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import select
from standardwebhooks.webhooks import Webhook

from posbridge.config import Settings
from posbridge.pos import connector
from posbridge.services import order_flow, pos_deliveries
from posbridge.services.ordering import create_order
from posbridge.store.db import Database
from posbridge.store.models import ConnectedPosOrder, Merchant, OrderRow
from tests.support.fixtures_pos import PosWorld, build_pos
from tests.support.orders import FRIDAY_EVENING, line, wix_order
from tests.support.pos_emulator import PosEmulator, running_pos

# all_backends where the database backend matters (claims and ordering are row locks); a bad URL is refused
# before any write


class Clock:
    """Time the test moves by hand (starts now: the POS judges signature timestamps by it)."""

    def __init__(self) -> None:
        # Half a minute ahead: deliveries owed "now" by code that reads the wall clock are due at once
        # (the package's own verifier, on the wall clock, allows five minutes).
        self.now = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=30)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture()
def world(db: Database, instance_id: str) -> PosWorld:
    return build_pos(db, instance_id)


@pytest.fixture()
def clock() -> Clock:
    return Clock()


@pytest.fixture()
def pos(clock: Clock) -> Iterator[PosEmulator]:
    with running_pos(PosEmulator(clock=clock)) as emulator:
        yield emulator


@pytest.fixture()
def http() -> Iterator[httpx.Client]:
    with pos_deliveries.http_client(timeout=5) as client:
        yield client


def merchant_id(db: Database, world: PosWorld) -> str:
    with db.transaction(write=False) as session:
        return str(session.scalar(select(Merchant.pos_id).where(Merchant.id == world.merchant)))


def connect(db: Database, settings: Settings, world: PosWorld, pos: PosEmulator) -> str:
    info = pos_deliveries.set_pos(db, merchant_id=merchant_id(db, world), url=pos.url, secret_key=settings.secret_key)
    assert info.secret is not None
    pos.secret = info.secret
    return info.secret


def placed(db: Database, world: PosWorld, *, paid_in_wix: bool = False) -> OrderRow:
    """An order Wix handed over (placing it owes the POS its created webhook)."""
    created = create_order(
        db,
        **world.ids(),
        order=wix_order([line("item-2", 2, options={"Size": ["var-large"]}), line("item-3")]),
        paid_by_pos_gateway=not paid_in_wix,
        now=FRIDAY_EVENING,
    )
    with db.transaction(write=False) as session:
        order = session.scalars(select(OrderRow).where(OrderRow.pos_order_id == created.pos_order_id)).one()
        session.expunge(order)
        return order


def cancel(db: Database, order: OrderRow, clock: Clock, reason: str = "customer called") -> None:
    with db.transaction() as session:
        row = session.get(OrderRow, order.id)
        assert row is not None
        assert pos_deliveries.queue_cancel(session, row, reason=reason, at=clock())


def deliver(db: Database, settings: Settings, order: OrderRow, http: httpx.Client, clock: Clock) -> float | None:
    return pos_deliveries.deliver_order(db, order.pos_order_id, secret_key=settings.secret_key, http=http, clock=clock)


@pytest.mark.all_backends
def test_set_pos_makes_a_secret_shown_once_and_sealed_at_rest(
    db: Database, settings: Settings, world: PosWorld
) -> None:
    merchant = merchant_id(db, world)
    first = pos_deliveries.set_pos(
        db, merchant_id=merchant, url="https://pos.example/hooks", secret_key=settings.secret_key
    )
    assert first.secret is not None and first.secret.startswith("whsec_")
    Webhook(first.secret)  # the package reads it as a secret
    assert pos_deliveries.get_pos(db, merchant_id=merchant) == pos_deliveries.PosConnectionInfo(
        merchant_id=merchant, url="https://pos.example/hooks"
    )
    with db.transaction(write=False) as session:
        row = session.get(Merchant, world.merchant)
        assert row is not None and row.pos_secret_encrypted is not None
        assert first.secret.encode() not in row.pos_secret_encrypted
    again = pos_deliveries.set_pos(
        db, merchant_id=merchant, url="https://pos.example/v2", secret_key=settings.secret_key
    )
    assert again.secret != first.secret


@pytest.mark.parametrize("url", ["ftp://pos.example/x", "not a url", "/relative", "https://" + "a" * 2050])
def test_set_pos_refuses_a_bad_url_and_changes_nothing(
    db: Database, settings: Settings, world: PosWorld, url: str
) -> None:
    with pytest.raises(Exception, match="absolute http"):
        pos_deliveries.set_pos(db, merchant_id=merchant_id(db, world), url=url, secret_key=settings.secret_key)
    assert pos_deliveries.get_pos(db, merchant_id=merchant_id(db, world)) is None


@pytest.mark.all_backends
def test_built_in_kitchen_merchants_owe_no_deliveries(db: Database, world: PosWorld) -> None:
    order = placed(db, world)
    with db.transaction() as session:
        row = session.get(OrderRow, order.id)
        assert row is not None and not pos_deliveries.queue_cancel(session, row, reason="x")
    assert pos_deliveries.delivery_log(db, order.pos_order_id) == []


@pytest.mark.all_backends
def test_created_and_cancelled_reach_the_pos_signed_once_each_naming_both_ids(
    db: Database, settings: Settings, world: PosWorld, pos: PosEmulator, http: httpx.Client, clock: Clock
) -> None:
    secret = connect(db, settings, world, pos)
    order = placed(db, world)
    assert deliver(db, settings, order, http, clock) is None
    cancel(db, order, clock)
    assert deliver(db, settings, order, http, clock) is None

    assert pos.rejected == []
    assert pos.events() == [("order.created", order.wix_order_id), ("order.canceled", order.wix_order_id)]
    created, cancelled = pos.received
    # Verified by the package itself (real time: the clock started now).
    raw = connector.body_text(created.body)
    assert Webhook(secret).verify(raw, created.headers) == created.body
    assert created.body["data"]["posOrderId"] == order.pos_order_id
    first_line = created.body["data"]["order"]["lines"][0]
    assert (first_line["itemId"], first_line["quantity"]) == ("item-2", 2)
    assert [c["variationId"] for c in first_line["choices"]] == ["var-large"]
    assert created.body["data"]["posLocationId"] == world.location_pos_id
    # The POS answered its own id: it is kept, and the cancel names it.
    with db.transaction(write=False) as session:
        assert pos_deliveries.connected_pos_order_id(session, order.pos_order_id) == f"{pos.id_prefix}1"
    assert cancelled.body["data"]["posOrderId"] == f"{pos.id_prefix}1"
    assert cancelled.body["data"]["reason"] == "customer called"
    log = pos_deliveries.delivery_log(db, order.pos_order_id)
    assert [(d["event"], d["status"], d["attempts"]) for d in log] == [
        ("order.created", "DELIVERED", 1),
        ("order.canceled", "DELIVERED", 1),
    ]


@pytest.mark.all_backends
def test_a_failing_pos_is_retried_with_backoff_and_order_is_kept(
    db: Database, settings: Settings, world: PosWorld, pos: PosEmulator, http: httpx.Client, clock: Clock
) -> None:
    connect(db, settings, world, pos)
    order = placed(db, world)
    cancel(db, order, clock)
    pos.fail_next(3)
    waits = []
    for _ in range(3):
        wait = deliver(db, settings, order, http, clock)
        assert wait is not None
        waits.append(wait)
        assert pos.received == []  # the cancel never overtakes the failing create
        clock.advance(seconds=wait)
    assert waits == [5.0, 10.0, 20.0]
    assert deliver(db, settings, order, http, clock) is None
    assert pos.events() == [("order.created", order.wix_order_id), ("order.canceled", order.wix_order_id)]
    first = pos_deliveries.delivery_log(db, order.pos_order_id)[0]
    assert [entry["statusCode"] for entry in first["log"]] == [503, 503, 503, 200]
    assert first["attempts"] == 4


@pytest.mark.all_backends
def test_the_backoff_follows_the_pos_retry_settings(
    db: Database, settings: Settings, world: PosWorld, pos: PosEmulator, http: httpx.Client, clock: Clock
) -> None:
    connect(db, settings, world, pos)
    order = placed(db, world)
    pos.fail_next(4)
    tuned = settings.model_copy(update={"pos_retry_first_seconds": 0.25, "pos_retry_max_seconds": 1.5})
    backoff = pos_deliveries.backoff_of(tuned)
    waits = []
    for _ in range(5):
        wait = pos_deliveries.deliver_order(
            db, order.pos_order_id, secret_key=settings.secret_key, http=http, clock=clock, backoff=backoff
        )
        if wait is None:
            break
        waits.append(wait)
        assert pos.received == []
        pos.retry_after = 120 if len(waits) == 3 else None  # what a POS asks for is capped by the longest wait too
        clock.advance(seconds=wait)
    assert waits == [0.25, 0.5, 1.0, 1.5]  # doubling, then held at the longest wait
    assert pos.events() == [("order.created", order.wix_order_id)]


@pytest.mark.all_backends
def test_retry_after_is_honoured(
    db: Database, settings: Settings, world: PosWorld, pos: PosEmulator, http: httpx.Client, clock: Clock
) -> None:
    connect(db, settings, world, pos)
    order = placed(db, world)
    pos.fail_next(1)
    pos.retry_after = 120
    assert deliver(db, settings, order, http, clock) == 120.0


@pytest.mark.all_backends
def test_a_pos_down_for_24_hours_puts_the_order_in_needs_attention_and_retry_resumes(
    db: Database, settings: Settings, world: PosWorld, pos: PosEmulator, http: httpx.Client, clock: Clock
) -> None:
    connect(db, settings, world, pos)
    order = placed(db, world)
    cancel(db, order, clock)
    pos.down = True
    attempts = 0
    while (wait := deliver(db, settings, order, http, clock)) is not None:
        attempts += 1
        assert wait <= 3600
        clock.advance(seconds=wait)
        assert attempts < 100
    log = pos_deliveries.delivery_log(db, order.pos_order_id)
    assert [d["status"] for d in log] == ["FAILED", "PENDING"]
    assert log[0]["attempts"] >= 20  # kept trying for the whole day
    with db.transaction(write=False) as session:
        row = session.get(OrderRow, order.id)
        assert row is not None and row.needs_attention is not None and "24 hours" in row.needs_attention
    # Nothing more goes out until an operator retries; then both, in order, once each.
    assert deliver(db, settings, order, http, clock) is None
    pos.down = False
    assert pos_deliveries.retry_order(db, order.pos_order_id, at=clock()) == 1
    assert deliver(db, settings, order, http, clock) is None
    assert [event for event, _ in pos.events()] == ["order.created", "order.canceled"]


@pytest.mark.all_backends
def test_a_pos_refusing_a_paid_order_asks_for_the_refund(
    db: Database, settings: Settings, world: PosWorld, pos: PosEmulator, http: httpx.Client, clock: Clock
) -> None:
    connect(db, settings, world, pos)
    order = placed(db, world, paid_in_wix=True)
    cancel(db, order, clock)
    pos.refuse = True
    assert deliver(db, settings, order, http, clock) is None  # no retry helps; the cancel is owed no more
    with db.transaction(write=False) as session:
        row = session.get(OrderRow, order.id)
        assert row is not None and row.needs_attention is not None
        assert row.needs_attention.startswith(f"The POS refused order {order.pos_order_id}: HTTP 422")
        assert row.needs_attention.endswith("the customer paid 41.00 USD: refund them in Wix")
        assert (row.attention_kind, row.attention_actions) == ("POS_DELIVERY_FAILED", ["refund", "cancel", "resolve"])
    assert [d["status"] for d in pos_deliveries.delivery_log(db, order.pos_order_id)] == ["REFUSED", "SKIPPED"]
    assert order.pos_order_id not in pos_deliveries.due_orders(db, clock())  # the sweep leaves it alone
    assert pos_deliveries.retry_order(db, order.pos_order_id, at=clock()) == 0  # a refusal is for good
    assert pos.attempts == 1


@pytest.mark.all_backends
def test_a_cancel_of_an_order_the_pos_refused_resolves_without_a_delivery(
    db: Database, settings: Settings, world: PosWorld, pos: PosEmulator, http: httpx.Client, clock: Clock
) -> None:
    connect(db, settings, world, pos)
    order = placed(db, world, paid_in_wix=True)
    with db.transaction() as session:  # a new-generation order in yen: eCommerce's balance and number
        row = session.get(OrderRow, order.id)
        assert row is not None
        row.currency = "JPY"
        row.wix_order = {
            **row.wix_order,
            "number": "10042",
            "balanceSummary": {"paid": {"amount": "4100"}, "refunded": {"amount": "0"}},
        }
    pos.refuse = True
    assert deliver(db, settings, order, http, clock) is None
    with db.transaction(write=False) as session:
        row = session.get(OrderRow, order.id)
        assert row is not None and row.needs_attention is not None
        assert row.attention_kind == "ORDER_REFUSED"
        assert f"eCom order #10042 ({order.wix_order_id})" in row.needs_attention
        assert row.needs_attention.endswith("the customer paid 4100 JPY: refund them in Wix's dashboard")  # no sen
    # Wix cancels it, twice, and an operator once more: each resolves, nothing is owed to the POS.
    for _ in range(2):
        order_flow.change_status(db, order.pos_order_id, "CANCELED", actor="WIX", reason="refunded")
    order_flow.change_status(db, order.pos_order_id, "CANCELED", actor="OPERATOR")
    assert [d["status"] for d in pos_deliveries.delivery_log(db, order.pos_order_id)] == ["REFUSED"]
    assert order.pos_order_id not in pos_deliveries.due_orders(db, clock() + timedelta(days=2))
    assert deliver(db, settings, order, http, clock) is None
    assert pos.attempts == 1


@pytest.mark.all_backends
def test_a_pos_refusing_an_order_its_own_gateway_takes_asks_for_no_refund(
    db: Database, settings: Settings, world: PosWorld, pos: PosEmulator, http: httpx.Client, clock: Clock
) -> None:
    connect(db, settings, world, pos)
    order = placed(db, world)
    pos.refuse = True
    assert deliver(db, settings, order, http, clock) is None
    with db.transaction(write=False) as session:
        row = session.get(OrderRow, order.id)
        assert row is not None and row.needs_attention is not None and "refund" not in row.needs_attention
        assert row.attention_actions == ["cancel", "resolve"]


@pytest.mark.all_backends
def test_a_claimed_delivery_is_not_sent_twice_at_once(
    db: Database, settings: Settings, world: PosWorld, clock: Clock
) -> None:
    # A worker holds the claim while its call is in flight: another worker waits for the claim to end.
    info = pos_deliveries.set_pos(
        db, merchant_id=merchant_id(db, world), url="http://127.0.0.1:9/none", secret_key=settings.secret_key
    )
    assert info.secret
    order = placed(db, world)
    first = pos_deliveries._claim(db, order.pos_order_id, clock())
    assert isinstance(first, pos_deliveries._Claim)
    second = pos_deliveries._claim(db, order.pos_order_id, clock())
    assert second == pos_deliveries.CLAIM.total_seconds()
    assert order.pos_order_id not in pos_deliveries.due_orders(db, clock())
    clock.advance(seconds=61)
    assert order.pos_order_id in pos_deliveries.due_orders(db, clock())


@pytest.mark.all_backends
def test_a_wrong_secret_does_not_verify_at_the_pos(
    db: Database, settings: Settings, world: PosWorld, pos: PosEmulator, http: httpx.Client, clock: Clock
) -> None:
    connect(db, settings, world, pos)
    pos.secret = connector.new_secret()  # the POS holds an old secret
    order = placed(db, world)
    wait = deliver(db, settings, order, http, clock)
    assert wait is not None and pos.received == [] and pos.rejected == ["signature does not verify"]
    with db.transaction(write=False) as session:
        assert session.get(ConnectedPosOrder, order.pos_order_id) is None
