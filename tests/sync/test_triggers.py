"""POS changes request a debounced sync; the periodic reconcile requests a full one."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import event, select, update
from sqlalchemy.orm import Session

from posbridge.services.syncing import request_pos_change_sync, request_reconcile
from posbridge.store.models import SectionItem, Sync
from posbridge.sync.runner import claim_sync, next_due, run_sync
from tests.sync.world import SyncWorld

pytestmark = pytest.mark.all_backends  # the database backend matters here


def test_pos_changes_coalesce_into_one_debounced_sync(world: SyncWorld) -> None:
    due: list[tuple[int, object]] = []
    first = request_pos_change_sync(
        world.db, world.merchant, delay_seconds=30, notify=lambda c, at: due.append((c, at))
    )
    again = request_pos_change_sync(world.db, world.merchant, delay_seconds=30)
    assert [s.id for s in first] == [s.id for s in again]
    assert first[0].not_before is not None and first[0].not_before > first[0].requested_at
    assert due == [(world.configuration, first[0].not_before)]
    assert claim_sync(world.db, world.configuration) is None  # not due yet
    assert run_sync(world.db, world.settings, world.configuration, client=world.client) is True
    assert world.counts() == {}
    # Once due, it runs.
    with world.db.transaction() as session:
        session.execute(update(Sync).where(Sync.id == first[0].id).values(not_before=first[0].requested_at))
    assert next_due(world.db, world.configuration) == first[0].requested_at
    assert run_sync(world.db, world.settings, world.configuration, client=world.client) is False
    assert world.row(first[0].id).status == "SYNCED"


def test_debounce_is_capped_after_the_first_request(world: SyncWorld) -> None:
    (sync,) = request_pos_change_sync(world.db, world.merchant, delay_seconds=100, max_wait_seconds=10)
    assert sync.not_before is not None
    assert sync.not_before - sync.requested_at <= timedelta(seconds=10)


def test_a_wix_request_is_not_delayed_by_a_pos_change(world: SyncWorld) -> None:
    world.request("WIX")
    (sync,) = request_pos_change_sync(world.db, world.merchant, delay_seconds=60)
    assert sync.trigger == "WIX" and sync.not_before is None


def test_reconcile_repairs_pos_order_changes_and_reports_them(world: SyncWorld) -> None:
    world.sync()
    with world.db.transaction() as session:
        first_section = session.scalar(
            select(SectionItem.section_id).limit(1).where(SectionItem.item_id == world.item("item-1").id)
        )
        for row in session.scalars(select(SectionItem).where(SectionItem.section_id == first_section)):
            row.position = 1000 - row.position
    (sync,) = [s for s in request_reconcile(world.db) if s.configuration_id == world.configuration]
    assert sync.trigger == "RECONCILE"
    run_sync(world.db, world.settings, world.configuration, client=world.client)
    assert world.row(sync.id).summary["counts"] == {"SECTION": {"update": 1}}
    with world.db.transaction(write=False) as session:
        pos_order = list(
            session.scalars(
                select(SectionItem.item_id)
                .where(SectionItem.section_id == first_section)
                .order_by(SectionItem.position)
            )
        )
    ids = world.id_map()
    wix_section = world.live()["sections"][ids[("SECTION", first_section)].wix_id]
    assert wix_section["itemIds"]["values"] == [ids[("DISH", ref)].wix_id for ref in pos_order]


def test_the_debounce_is_committed_with_the_request(world: SyncWorld) -> None:
    """No committed state ever holds the POS change's sync undelayed (a sweep would claim it at once)."""
    undelayed: list[int] = []

    def check(session: Session) -> None:
        pending = select(Sync.id).where(
            Sync.configuration_id == world.configuration,
            Sync.status == "PENDING",
            Sync.trigger == "POS_CHANGE",
            Sync.not_before.is_(None),
        )
        undelayed.extend(session.scalars(pending))

    event.listen(Session, "before_commit", check)
    try:
        (sync,) = request_pos_change_sync(world.db, world.merchant, delay_seconds=30)
    finally:
        event.remove(Session, "before_commit", check)
    assert undelayed == []
    assert sync.not_before is not None and sync.not_before - sync.requested_at == timedelta(seconds=30)
    assert claim_sync(world.db, world.configuration) is None


def test_a_due_sync_stays_due_when_a_pos_change_joins_it(world: SyncWorld) -> None:
    (debounced,) = request_pos_change_sync(world.db, world.merchant, delay_seconds=60)
    pulled = world.request("WIX")  # Wix asks now: the debounced sync becomes due
    assert pulled.id == debounced.id and pulled.not_before is None
    (joined,) = request_pos_change_sync(world.db, world.merchant, delay_seconds=60)
    assert joined.id == debounced.id and joined.not_before is None


def test_a_burst_of_pos_changes_pushes_the_sync_back_up_to_the_cap(world: SyncWorld) -> None:
    (first,) = request_pos_change_sync(world.db, world.merchant, delay_seconds=5, max_wait_seconds=6)
    assert first.not_before is not None
    (again,) = request_pos_change_sync(world.db, world.merchant, delay_seconds=5, max_wait_seconds=6)
    assert again.id == first.id and again.not_before is not None
    assert first.not_before < again.not_before <= first.requested_at + timedelta(seconds=6)
