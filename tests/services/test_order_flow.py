"""The kitchen flow's rules, its record (history with actor and reason), needs attention, and Wix's own changes."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select

from posbridge.errors import WixError
from posbridge.services import attention, order_flow
from posbridge.services.lifecycle import AppEvent
from posbridge.services.order_checks import CheckMode, OrderPolicy
from posbridge.services.order_events import (
    APPLIED,
    DUPLICATE,
    KEPT,
    STALE,
    OrderEvent,
    apply_order_event,
)
from posbridge.services.order_views import get_order
from posbridge.services.ordering import create_order
from posbridge.services.queries import list_orders
from posbridge.spi import order_event_wire
from posbridge.store.db import Database
from posbridge.store.models import ConnectedPosOrder, Location, Merchant, OrderRow, OutboundJob, WebhookEvent
from tests.support.fixtures_pos import PosWorld, build_pos
from tests.support.orders import FRIDAY_EVENING, line, wix_order

# all_backends where the database backend matters (row locks, money columns); a forbidden move is refused before
# any write, and another instance's order is a lookup like any other


@pytest.fixture()
def world(db: Database, instance_id: str) -> PosWorld:
    return build_pos(db, instance_id, stock={"item-2": 50})


def place(db: Database, world: PosWorld, wix_id: str | None = None) -> tuple[str, str]:
    """A new order; (POS order id, Wix order id)."""
    wix_id = wix_id or f"wix-{uuid.uuid4().hex[:12]}"
    created = create_order(
        db,
        **world.ids(),
        order=wix_order([line("item-3")], order_id=wix_id),
        paid_by_pos_gateway=True,
        now=FRIDAY_EVENING,
    )
    return created.pos_order_id, wix_id


def jobs_of(db: Database, pos_id: str) -> list[dict[str, Any]]:
    with db.transaction(write=False) as session:
        order = session.scalar(select(OrderRow).where(OrderRow.pos_order_id == pos_id))
        assert order is not None
        rows = session.scalars(select(OutboundJob).where(OutboundJob.order_id == order.id).order_by(OutboundJob.id))
        return [dict(r.payload) for r in rows]


def wix_event(world: PosWorld, wix_id: str, slug: str, *, event_id: str | None = None, **extra: Any) -> OrderEvent:
    """An Orders v3 event as spi/webhooks unwraps and reads it."""
    order = {"id": wix_id, "status": slug.upper(), "activities": [{"message": extra.pop("message", None)}]}
    return order_event_wire.parse_event(
        AppEvent(
            event_id=uuid.uuid4().hex,
            event_type=f"wix.restaurants.v3.order_{slug}",
            instance_id=extra.pop("instance_id", world.instance_id),
            at=datetime.now(UTC),
            data={
                "id": event_id or str(uuid.uuid4()),
                "entityFqdn": "wix.restaurants.v3.order",
                "slug": slug,
                "entityId": wix_id,
                "actionEvent": {"body": {"order": order}},
            },
            identity={"identityType": "WIX_USER"},
        )
    )


@pytest.mark.all_backends
def test_the_whole_flow_is_recorded_with_actor_reason_and_previous_status(db: Database, world: PosWorld) -> None:
    pos_id, _ = place(db, world)
    order_flow.change_status(db, pos_id, "ACCEPTED", actor="KITCHEN", reason="15 minutes")
    order_flow.change_status(db, pos_id, "READY", actor="KITCHEN")
    order_flow.change_status(db, pos_id, "FULFILLED", actor="OPERATOR", reason="picked up")
    detail = get_order(db, pos_id)
    steps = [(h.previous_status, h.status, h.actor, h.reason) for h in detail.history]
    assert steps[1:] == [
        ("NEW", "ACCEPTED", "KITCHEN", "15 minutes"),
        ("ACCEPTED", "READY", "KITCHEN", None),
        ("READY", "FULFILLED", "OPERATOR", "picked up"),
    ]
    assert all(a.at <= b.at for a, b in zip(detail.history, detail.history[1:], strict=False))
    # READY is not Wix's: two reports owed, in order.
    assert [(j["status"], j["message"]) for j in jobs_of(db, pos_id)] == [
        ("ACCEPTED", "15 minutes"),
        ("FULFILLED", None),
    ]


@pytest.mark.parametrize(
    ("path", "refused"),
    [
        ((), "READY"),
        ((), "FULFILLED"),
        (("CANCELED",), "ACCEPTED"),
        (("ACCEPTED", "FULFILLED"), "READY"),
        (("ACCEPTED", "FULFILLED"), "ACCEPTED"),
        (("ACCEPTED", "READY"), "ACCEPTED"),
    ],
)
def test_a_forbidden_move_is_refused_and_changes_nothing(
    db: Database, world: PosWorld, path: tuple[str, ...], refused: str
) -> None:
    pos_id, _ = place(db, world)
    for status in path:
        order_flow.change_status(db, pos_id, status, actor="KITCHEN")
    before = get_order(db, pos_id)
    with pytest.raises(WixError) as caught:
        order_flow.change_status(db, pos_id, refused, actor="KITCHEN")
    assert caught.value.code == "STATUS_TRANSITION_NOT_ALLOWED" and caught.value.http_status == 409
    after = get_order(db, pos_id)
    assert (after.status, len(after.history), len(after.pushes)) == (
        before.status,
        len(before.history),
        len(before.pushes),
    )


@pytest.mark.all_backends
def test_cancel_is_allowed_from_every_status_even_after_fulfilment(db: Database, world: PosWorld) -> None:
    for path in ((), ("ACCEPTED",), ("ACCEPTED", "READY"), ("ACCEPTED", "FULFILLED")):
        pos_id, _ = place(db, world)
        for status in path:
            order_flow.change_status(db, pos_id, status, actor="KITCHEN")
        outcome = order_flow.change_status(db, pos_id, "CANCELED", actor="OPERATOR", reason="burnt")
        assert outcome.changed and outcome.status == "CANCELED"
        assert jobs_of(db, pos_id)[-1] == {"status": "CANCELED", "actor": "OPERATOR", "message": "burnt"}


@pytest.mark.all_backends
def test_repeating_a_status_changes_nothing(db: Database, world: PosWorld) -> None:
    pos_id, wix_id = place(db, world)
    first = order_flow.change_status(db, pos_id, "ACCEPTED", actor="KITCHEN")
    again = order_flow.change_status(db, wix_id, "ACCEPTED", actor="KITCHEN")  # by Wix's id this time
    assert first.changed and not again.changed and again.jobs == ()
    assert len(get_order(db, pos_id).history) == 2 and len(jobs_of(db, pos_id)) == 1


def test_another_instances_order_is_not_found(db: Database, world: PosWorld) -> None:
    pos_id, wix_id = place(db, world)
    stranger = str(uuid.uuid4())
    for ref in (pos_id, wix_id):
        with pytest.raises(WixError) as caught:
            order_flow.change_status(db, ref, "ACCEPTED", actor="KITCHEN", instance_id=stranger)
        assert caught.value.http_status == 404
        with pytest.raises(WixError):
            get_order(db, ref, instance_id=stranger)
    assert get_order(db, pos_id).status == "NEW"


@pytest.mark.all_backends
def test_a_wix_order_id_of_two_sites_must_be_named_by_pos_id(db: Database, world: PosWorld) -> None:
    other = build_pos(db, str(uuid.uuid4()), stock={"item-2": 50})
    pos_id, wix_id = place(db, world)
    other_pos, _ = place(db, other, wix_id)
    with pytest.raises(WixError) as caught:
        order_flow.change_status(db, wix_id, "ACCEPTED", actor="KITCHEN")
    assert caught.value.code == "ORDER_AMBIGUOUS"
    order_flow.change_status(db, wix_id, "ACCEPTED", actor="KITCHEN", instance_id=other.instance_id)
    assert (get_order(db, pos_id).status, get_order(db, other_pos).status) == ("NEW", "ACCEPTED")


@pytest.mark.all_backends
def test_a_merchant_poss_own_id_finds_its_order_and_two_merchants_may_share_one(db: Database, world: PosWorld) -> None:
    other = build_pos(db, str(uuid.uuid4()), stock={"item-2": 50})
    pos_id, _ = place(db, world)
    other_pos, _ = place(db, other)
    with db.transaction() as session:  # what each merchant's POS answered to its created webhook
        session.add(ConnectedPosOrder(pos_order_id=pos_id, merchant_id=world.merchant, external_id="T-1"))
        session.add(ConnectedPosOrder(pos_order_id=other_pos, merchant_id=other.merchant, external_id="T-1"))
    with pytest.raises(WixError) as caught:
        get_order(db, "T-1")
    assert caught.value.code == "ORDER_AMBIGUOUS"
    shown = get_order(db, "T-1", instance_id=other.instance_id)
    assert (shown.pos_order_id, shown.pos_own_order_id) == (other_pos, "T-1")
    order_flow.change_status(db, "T-1", "ACCEPTED", actor="KITCHEN", instance_id=world.instance_id)
    assert (get_order(db, pos_id).status, get_order(db, other_pos).status) == ("ACCEPTED", "NEW")
    with pytest.raises(WixError) as missing:
        get_order(db, "T-2")
    assert missing.value.code == "ORDER_NOT_FOUND"


@pytest.mark.all_backends
def test_auto_accept_accepts_new_orders_with_the_preparation_time(db: Database, world: PosWorld) -> None:
    with db.transaction(write=False) as session:
        merchant_pos_id = session.scalar(select(Merchant.pos_id).where(Merchant.id == world.merchant))
    assert merchant_pos_id is not None
    order_flow.set_auto_accept_at(db, merchant_pos_id, world.location_pos_id, enabled=True, prep_minutes=20)
    pos_id, _ = place(db, world)
    detail = get_order(db, pos_id)
    assert detail.status == "ACCEPTED" and detail.history[-1].actor == "SYSTEM"
    assert jobs_of(db, pos_id) == [{"status": "ACCEPTED", "actor": "SYSTEM", "message": "Ready in about 20 minutes"}]
    with pytest.raises(WixError):
        order_flow.set_auto_accept_at(db, merchant_pos_id, world.location_pos_id, enabled=True, prep_minutes=0)
    with pytest.raises(WixError) as missing:
        order_flow.set_auto_accept_at(db, merchant_pos_id, "no-such-location", enabled=True, prep_minutes=None)
    assert missing.value.http_status == 404
    with db.transaction(write=False) as session:
        location = session.get(Location, world.location)
        assert location is not None and location.prep_minutes == 20


@pytest.mark.all_backends
def test_needs_attention_is_flagged_listed_counted_and_resolved(db: Database, world: PosWorld) -> None:
    pos_id, _ = place(db, world)
    calm, _ = place(db, world)
    before = attention.count(db)
    with db.transaction() as session:
        order = session.scalar(select(OrderRow).where(OrderRow.pos_order_id == pos_id))
        assert order is not None
        attention.flag(
            session, order, kind=attention.PAYMENT_MISMATCH, reason="paid 10.00 of 12.50", actions=[attention.REFUND]
        )
    assert attention.count(db) == before + 1
    page = list_orders(db, instance_id=world.instance_id, attention=True)
    assert [o.pos_order_id for o in page.items] == [pos_id]
    assert page.items[0].attention is not None
    assert (page.items[0].attention.reason, page.items[0].attention.actions) == (
        "paid 10.00 of 12.50",
        ["refund", "resolve"],
    )
    assert [o.pos_order_id for o in list_orders(db, instance_id=world.instance_id, attention=False).items] == [calm]
    attention.resolve(db, pos_id)
    assert get_order(db, pos_id).attention is None and attention.count(db) == before
    with pytest.raises(WixError) as caught:
        attention.resolve(db, pos_id)
    assert caught.value.http_status == 409


@pytest.mark.all_backends
def test_a_cancel_from_wix_is_applied_once_and_never_echoed(db: Database, world: PosWorld) -> None:
    pos_id, wix_id = place(db, world)
    order_flow.change_status(db, pos_id, "ACCEPTED", actor="KITCHEN")
    event = wix_event(world, wix_id, "canceled", message="out of dough")
    assert apply_order_event(db, event) == APPLIED
    assert apply_order_event(db, event) == DUPLICATE
    resent = wix_event(
        world, wix_id, "canceled", event_id=event.received["data"]["id"]
    )  # re-signed copy, same event id
    assert apply_order_event(db, resent) == DUPLICATE
    detail = get_order(db, pos_id)
    assert [(h.status, h.actor) for h in detail.history] == [
        ("NEW", "WIX"),
        ("ACCEPTED", "KITCHEN"),
        ("CANCELED", "WIX"),
    ]
    assert detail.history[-1].reason == "in Wix: out of dough"
    assert [j["status"] for j in jobs_of(db, pos_id)] == ["ACCEPTED"]


@pytest.mark.all_backends
def test_a_cancel_from_wix_before_create_order_cancels_the_order_when_it_arrives(db: Database, world: PosWorld) -> None:
    wix_id = f"wix-{uuid.uuid4().hex[:12]}"
    assert apply_order_event(db, wix_event(world, wix_id, "canceled")) == KEPT
    pos_id, _ = place(db, world, wix_id)
    detail = get_order(db, pos_id)
    assert detail.status == "CANCELED" and detail.history[-1].actor == "WIX"
    assert jobs_of(db, pos_id) == []


@pytest.mark.parametrize("recorded", ["read at the edge", "before the edge read its message"])
def test_a_kept_cancel_gives_the_order_recorded_later_its_message(db: Database, world: PosWorld, recorded: str) -> None:
    wix_id = f"wix-{uuid.uuid4().hex[:12]}"
    event = wix_event(world, wix_id, "canceled", message="  The customer called  ")
    assert apply_order_event(db, event) == KEPT
    if recorded != "read at the edge":  # a record of that age holds only Wix's data and identity
        with db.transaction() as session:
            row = session.get(WebhookEvent, event.event_id)
            assert row is not None and row.payload["message"] == "The customer called"
            row.payload = {k: v for k, v in row.payload.items() if k != "message"}
    pos_id, _ = place(db, world, wix_id)
    assert get_order(db, pos_id).history[-1].reason == "in Wix: The customer called"


@pytest.mark.all_backends
def test_stale_wix_events_change_nothing_whatever_their_order(db: Database, world: PosWorld) -> None:
    pos_id, wix_id = place(db, world)
    assert apply_order_event(db, wix_event(world, wix_id, "fulfilled")) == APPLIED  # accepted was lost
    assert apply_order_event(db, wix_event(world, wix_id, "accepted")) == STALE
    assert [h.status for h in get_order(db, pos_id).history] == ["NEW", "ACCEPTED", "FULFILLED"]


@pytest.mark.all_backends
def test_a_wix_cancel_after_fulfilment_needs_attention(db: Database, world: PosWorld) -> None:
    pos_id, wix_id = place(db, world)
    order_flow.change_status(db, pos_id, "ACCEPTED", actor="KITCHEN")
    order_flow.change_status(db, pos_id, "FULFILLED", actor="KITCHEN")
    assert apply_order_event(db, wix_event(world, wix_id, "canceled")) == APPLIED
    detail = get_order(db, pos_id)
    assert detail.status == "CANCELED" and detail.attention is not None
    assert detail.attention.kind == attention.CANCELED_AFTER_FULFILLED
    assert detail.attention.actions == ["refund", "resolve"]


def test_an_event_of_another_instance_never_touches_the_order(db: Database, world: PosWorld) -> None:
    pos_id, wix_id = place(db, world)
    assert apply_order_event(db, wix_event(world, wix_id, "canceled", instance_id=str(uuid.uuid4()))) == KEPT
    assert get_order(db, pos_id).status == "NEW"


@pytest.mark.all_backends
def test_scheduled_orders_show_their_promised_time(db: Database, world: PosWorld) -> None:
    promised = FRIDAY_EVENING + timedelta(hours=1)
    created = create_order(
        db,
        **world.ids(),
        order=wix_order([line("item-3")], asap=False, promised_time=promised),
        paid_by_pos_gateway=True,
        now=FRIDAY_EVENING,
    )
    listed = {o.pos_order_id: o for o in list_orders(db, instance_id=world.instance_id).items}
    assert listed[created.pos_order_id].promised_time == promised


@pytest.mark.all_backends
def test_an_order_taken_although_its_payments_do_not_add_up_needs_attention(db: Database, world: PosWorld) -> None:
    order = wix_order([line("item-3")], order_id=f"wix-{uuid.uuid4().hex[:8]}")
    short = replace(order, payments=(replace(order.payments[0], amount=order.totals.total - Decimal("5")),))
    observing = OrderPolicy(mode=CheckMode.OBSERVE)
    created = create_order(
        db, **world.ids(), order=short, paid_by_pos_gateway=False, now=FRIDAY_EVENING, policy=observing
    )
    detail = get_order(db, created.pos_order_id)
    assert detail.status == "NEW" and detail.attention is not None
    assert detail.attention.kind == attention.PAYMENT_MISMATCH
    assert "payments" in detail.attention.reason and "Wix's dashboard" in detail.attention.reason
    assert detail.attention.actions == ["refund", "cancel", "resolve"]
    matching = create_order(
        db,
        **world.ids(),
        order=wix_order([line("item-3")]),
        paid_by_pos_gateway=False,
        now=FRIDAY_EVENING,
        policy=observing,
    )
    assert get_order(db, matching.pos_order_id).attention is None
