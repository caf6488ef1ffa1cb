"""`Database.reading()`: the reads of a page share one transaction; writes keep their own."""

from __future__ import annotations

import pytest
from sqlalchemy import event, select

from posbridge.store.db import Database
from posbridge.store.models import Instance

pytestmark = pytest.mark.all_backends  # a transaction's BEGIN and its connection differ per backend


def test_reads_inside_a_reading_block_share_one_transaction_and_writes_keep_theirs(
    db: Database, instance_id: str
) -> None:
    checkouts: list[object] = []

    def checked_out(*args: object) -> None:
        checkouts.append(args[0])

    event.listen(db.engine, "checkout", checked_out)
    try:
        with db.reading():
            with db.transaction(write=False) as first:
                first.execute(select(1))
            with db.transaction(write=False) as second:
                second.execute(select(1))
            with db.reading(), db.transaction(write=False) as nested:  # a reading block inside one: the same
                nested.execute(select(1))
            assert first is second is nested and len(checkouts) == 1
            with db.transaction() as writer:  # a write: its own transaction, committed at its end
                assert writer is not first
                writer.add(Instance(id=instance_id, status="ACTIVE"))
        with db.transaction(write=False) as after:
            assert after is not first and after.get(Instance, instance_id) is not None
    finally:
        event.remove(db.engine, "checkout", checked_out)
    assert len(checkouts) == 3  # the shared read, the write, the read after the block
