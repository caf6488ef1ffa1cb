"""A running server forgets an instance `posbridge instances remove` deleted: its next call records it again."""

from __future__ import annotations

import uuid

import httpx

from posbridge.services.strays import DELETED, remove_instance
from posbridge.store.db import Database
from posbridge.store.models import Instance
from tests.spi.conftest import signed_call
from tests.support.signer import TestSigner


def _recorded(db: Database, instance_id: str) -> bool:
    with db.transaction(write=False) as session:
        return session.get(Instance, instance_id) is not None


def test_a_removed_stray_is_recorded_again_by_its_next_call_without_a_restart(
    http: httpx.Client, signer: TestSigner, db: Database
) -> None:
    instance_id = str(uuid.uuid4())
    assert signed_call(http, signer, "account-ids", {}, instance_id).json() == {"accountIds": []}
    assert _recorded(db, instance_id)
    # As `posbridge instances remove` does, from another process: the server's cache is not told.
    assert remove_instance(db, instance_id).outcome == DELETED
    assert not _recorded(db, instance_id)
    assert signed_call(http, signer, "account-ids", {}, instance_id).json() == {"accountIds": []}
    assert _recorded(db, instance_id)
