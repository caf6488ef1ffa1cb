"""services.syncing directly: coalescing with debounce times, and a failing wake-up never loses the request."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from posbridge.errors import WixError
from posbridge.services import syncing
from posbridge.store.db import Database
from posbridge.store.models import Sync
from posbridge.store.types import utcnow
from tests.spi.conftest import make_tenant

# all_backends where the database backend matters (the debounce times stored, the request committed before the
# wake-up); who is woken is not the database's doing


def _pending(db: Database, configuration_pk: int) -> list[Sync]:
    with db.transaction(write=False) as session:
        rows = session.scalars(select(Sync).where(Sync.configuration_id == configuration_pk, Sync.status == "PENDING"))
        return list(rows)


@pytest.mark.all_backends
def test_explicit_request_pulls_a_debounced_sync_forward(db: Database, instance_id: str) -> None:
    tenant = make_tenant(db, instance_id)
    later = utcnow() + timedelta(minutes=5)
    first = syncing.request_sync(
        db, instance_id, tenant.account_id, tenant.configuration_id, "POS_CHANGE", not_before=later
    )
    assert first.not_before is not None
    joined = syncing.request_sync(db, instance_id, tenant.account_id, tenant.configuration_id, "WIX")
    assert joined.id == first.id
    [row] = _pending(db, tenant.configuration_pk)
    assert row.not_before is None and row.trigger == "POS_CHANGE"


@pytest.mark.all_backends
def test_a_debounced_request_never_delays_a_due_sync(db: Database, instance_id: str) -> None:
    tenant = make_tenant(db, instance_id)
    syncing.request_sync(db, instance_id, tenant.account_id, tenant.configuration_id, "WIX")
    later = utcnow() + timedelta(minutes=5)
    syncing.request_sync(db, instance_id, tenant.account_id, tenant.configuration_id, "POS_CHANGE", not_before=later)
    [row] = _pending(db, tenant.configuration_pk)
    assert row.not_before is None


@pytest.mark.all_backends
def test_a_failing_wake_up_keeps_the_request(db: Database, instance_id: str) -> None:
    tenant = make_tenant(db, instance_id)

    def broken_queue(_pk: int) -> None:
        raise ConnectionError("redis is down")

    sync = syncing.request_sync(db, instance_id, tenant.account_id, tenant.configuration_id, notify=broken_queue)
    assert [row.id for row in _pending(db, tenant.configuration_pk)] == [sync.id]


def test_wake_up_names_the_configuration(db: Database, instance_id: str) -> None:
    tenant = make_tenant(db, instance_id)
    woken: list[int] = []
    syncing.request_sync(db, instance_id, tenant.account_id, tenant.configuration_id, notify=woken.append)
    assert woken == [tenant.configuration_pk]


def test_refused_request_wakes_nobody(db: Database, instance_id: str) -> None:
    tenant = make_tenant(db, instance_id, paired=False)
    woken: list[int] = []
    with pytest.raises(WixError) as caught:
        syncing.request_sync(db, instance_id, tenant.account_id, tenant.configuration_id, notify=woken.append)
    assert (caught.value.code, caught.value.http_status, woken) == ("ACCOUNT_CONFIGURATION", 428, [])
