"""The status enums are the words the rows already hold and the wire expects: renaming a member's value
would strand every stored row, and a member the SPI does not know would be an answer Wix refuses."""

from __future__ import annotations

import uuid
from enum import StrEnum
from typing import get_args

import pytest
from sqlalchemy import text

from posbridge.services.status import ReadinessStatus
from posbridge.spi.wire import CatalogSyncState, ConfigurationStatus
from posbridge.store.db import Database
from posbridge.store.models import Instance, OutboundJob
from posbridge.store.statuses import (
    AccountStatus,
    InstanceStatus,
    OutboundJobStatus,
    PosDeliveryStatus,
    SyncStatus,
    WixPushStatus,
)

STORED = {
    InstanceStatus: {"ACTIVE", "REMOVED"},
    AccountStatus: {"ACTIVE", "DISCONNECTED"},
    SyncStatus: {"PENDING", "IN_PROGRESS", "SYNCED", "FAILED"},
    OutboundJobStatus: {"PENDING", "DONE", "FAILED"},
    WixPushStatus: {"NONE", "PENDING", "PUSHED", "FAILED"},
    PosDeliveryStatus: {"PENDING", "DELIVERED", "FAILED", "REFUSED", "SKIPPED"},
}


@pytest.mark.parametrize("enum", list(STORED), ids=lambda e: e.__name__)
def test_each_member_is_the_word_rows_hold(enum: type[StrEnum]) -> None:
    assert {m.value for m in enum} == STORED[enum]
    assert all(m.name == m.value and len(m.value) <= 16 for m in enum)  # the columns are String(16)


def test_spi_answers_use_only_words_the_wire_knows() -> None:
    assert {s.value for s in ReadinessStatus} <= set(get_args(ConfigurationStatus))
    assert {s.value for s in SyncStatus} <= set(get_args(CatalogSyncState))


def test_a_member_is_stored_as_its_word(db: Database) -> None:
    instance_id = str(uuid.uuid4())
    with db.transaction() as session:
        session.add(Instance(id=instance_id))
        session.flush()
        fresh = OutboundJob(kind="STOCK", instance_id=instance_id, ordering_key=f"k-{instance_id}", payload={})
        done = OutboundJob(kind="STOCK", instance_id=instance_id, ordering_key=f"k-{instance_id}", payload={})
        done.status = OutboundJobStatus.DONE
        session.add_all([fresh, done])
        session.flush()
        ids = (fresh.id, done.id)
    with db.transaction(write=False) as session:
        raw = session.execute(
            text("SELECT id, status FROM outbound_jobs WHERE id IN (:a, :b) ORDER BY id"), {"a": ids[0], "b": ids[1]}
        ).all()
    assert [status for _, status in raw] == ["PENDING", "DONE"]
