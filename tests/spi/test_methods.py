"""The six methods over real HTTP: happy paths, tenancy, status rules, sync coalescing and status rendering."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import select, update

from posbridge.store.db import Database
from posbridge.store.models import Account, Instance, Sync
from posbridge.store.types import utcnow
from tests.spi.conftest import SpiServer, Tenant, assert_wix_error, make_tenant, signed_call, table_counts
from tests.support.signer import TestSigner

CONFIGURATION_METHODS = ["get-configuration-status", "sync-catalog", "get-catalog-sync-status"]


def _ask(spi: httpx.Client, signer: TestSigner, suffix: str, tenant: Tenant, **request: object) -> httpx.Response:
    body = {"accountId": tenant.account_id, "configurationId": tenant.configuration_id} | request
    return signed_call(spi, signer, suffix, body, tenant.instance_id)


def _syncs(db: Database, configuration_pk: int) -> list[Sync]:
    with db.transaction(write=False) as session:
        return list(session.scalars(select(Sync).where(Sync.configuration_id == configuration_pk).order_by(Sync.id)))


# --- List Account IDs -----------------------------------------------------------------------


def test_account_ids_lists_active_accounts_only(
    spi: httpx.Client, signer: TestSigner, db: Database, instance_id: str
) -> None:
    first = make_tenant(db, instance_id)
    make_tenant(db, instance_id, account_status="DISCONNECTED")
    second = make_tenant(db, instance_id)
    make_tenant(db, str(uuid.uuid4()))  # another tenant's account never shows
    response = signed_call(spi, signer, "account-ids", {}, instance_id)
    assert response.status_code == 200
    assert response.json() == {"accountIds": [first.account_id, second.account_id]}


def test_removed_instance_answers_account_not_connected(
    spi: httpx.Client, signer: TestSigner, db: Database, instance_id: str
) -> None:
    tenant = make_tenant(db, instance_id)
    with db.transaction() as session:
        session.execute(
            update(Instance).where(Instance.id == instance_id).values(status="REMOVED", removed_at=utcnow())
        )
    assert_wix_error(signed_call(spi, signer, "account-ids", {}, instance_id), 428, "ACCOUNT_NOT_CONNECTED")
    for suffix in CONFIGURATION_METHODS:
        assert_wix_error(_ask(spi, signer, suffix, tenant), 428, "ACCOUNT_NOT_CONNECTED")


# --- tenancy --------------------------------------------------------------------------------


@pytest.mark.parametrize("suffix", CONFIGURATION_METHODS)
def test_another_instances_account_is_exactly_like_an_unknown_one(
    spi: httpx.Client, signer: TestSigner, db: Database, suffix: str
) -> None:
    mine = make_tenant(db, str(uuid.uuid4()))
    theirs = make_tenant(db, str(uuid.uuid4()))
    before = table_counts(db)
    foreign = signed_call(
        spi,
        signer,
        suffix,
        {"accountId": theirs.account_id, "configurationId": theirs.configuration_id},
        mine.instance_id,
    )
    unknown = signed_call(
        spi,
        signer,
        suffix,
        {"accountId": "acct-" + theirs.account_id[5:][::-1], "configurationId": theirs.configuration_id},
        mine.instance_id,
    )
    assert_wix_error(foreign, 404, "ACCOUNT_NOT_FOUND")
    assert_wix_error(unknown, 404, "ACCOUNT_NOT_FOUND")
    strip = lambda body: str(body).replace(theirs.account_id, "ID").replace("acct-" + theirs.account_id[5:][::-1], "ID")  # noqa: E731
    assert strip(foreign.json()) == strip(unknown.json())
    assert table_counts(db) == before


@pytest.mark.parametrize("suffix", ["sync-catalog", "get-configuration-status", "get-catalog-sync-status"])
def test_another_instances_configuration_is_not_ours(
    spi: httpx.Client, signer: TestSigner, db: Database, suffix: str
) -> None:
    mine = make_tenant(db, str(uuid.uuid4()))
    theirs = make_tenant(db, str(uuid.uuid4()))
    response = signed_call(
        spi,
        signer,
        suffix,
        {"accountId": mine.account_id, "configurationId": theirs.configuration_id},
        mine.instance_id,
    )
    if suffix == "sync-catalog":
        assert_wix_error(response, 404, "LOCATION_NOT_FOUND")
    else:
        assert response.json() == {"status": "PENDING"}
    assert _syncs(db, theirs.configuration_pk) == []


# --- Get Configuration Status ---------------------------------------------------------------


def test_status_not_started_without_a_connected_account(
    spi: httpx.Client, signer: TestSigner, db: Database, instance_id: str
) -> None:
    body = {"accountId": "whatever", "configurationId": "conf-1"}
    response = signed_call(spi, signer, "get-configuration-status", body, instance_id)
    assert response.json() == {"status": "NOT_STARTED"}


def test_status_not_started_when_the_account_was_disconnected(
    spi: httpx.Client, signer: TestSigner, db: Database, instance_id: str
) -> None:
    tenant = make_tenant(db, instance_id, account_status="DISCONNECTED")
    assert _ask(spi, signer, "get-configuration-status", tenant).json() == {"status": "NOT_STARTED"}


@pytest.mark.parametrize(
    ("setup", "expected"),
    [
        ({}, "READY"),
        ({"paired": False}, "PENDING"),
        ({"menus": False}, "PENDING"),
        ({"location_active": False}, "ERROR"),
        ({"authorized": False}, "ERROR"),
    ],
)
def test_configuration_status_rules(
    spi: httpx.Client, signer: TestSigner, db: Database, instance_id: str, setup: dict[str, bool], expected: str
) -> None:
    tenant = make_tenant(db, instance_id, **setup)
    response = _ask(spi, signer, "get-configuration-status", tenant)
    assert response.status_code == 200
    assert response.json() == {"status": expected}


def test_unknown_configuration_with_a_connected_account_is_pending_and_writes_nothing(
    spi: httpx.Client, signer: TestSigner, db: Database, instance_id: str
) -> None:
    tenant = make_tenant(db, instance_id)
    before = table_counts(db)
    response = _ask(spi, signer, "get-configuration-status", tenant, configurationId="wix-conf-new")
    assert response.json() == {"status": "PENDING"}
    assert table_counts(db) == before


def test_unknown_account_with_a_connected_one_is_404(
    spi: httpx.Client, signer: TestSigner, db: Database, instance_id: str
) -> None:
    tenant = make_tenant(db, instance_id)
    response = _ask(spi, signer, "get-configuration-status", tenant, accountId="nobody")
    assert_wix_error(response, 404, "ACCOUNT_NOT_FOUND")


# --- Sync Catalog ---------------------------------------------------------------------------


def test_sync_catalog_records_one_pending_sync_and_wakes_the_queue(
    spi: httpx.Client, spi_server: SpiServer, signer: TestSigner, db: Database, instance_id: str
) -> None:
    tenant = make_tenant(db, instance_id)
    response = _ask(spi, signer, "sync-catalog", tenant)
    assert response.status_code == 200
    assert response.json() == {}
    [sync] = _syncs(db, tenant.configuration_pk)
    assert (sync.status, sync.trigger) == ("PENDING", "WIX")
    assert tenant.configuration_pk in spi_server.jobs.calls
    assert _ask(spi, signer, "sync-catalog", tenant).json() == {}
    assert [s.id for s in _syncs(db, tenant.configuration_pk)] == [sync.id]


def test_sync_during_a_running_sync_queues_exactly_one_follow_up(
    spi: httpx.Client, signer: TestSigner, db: Database, instance_id: str
) -> None:
    tenant = make_tenant(db, instance_id)
    with db.transaction() as session:
        session.add(Sync(configuration_id=tenant.configuration_pk, status="IN_PROGRESS", started_at=utcnow()))
    for _ in range(3):
        assert _ask(spi, signer, "sync-catalog", tenant).status_code == 200
    assert [s.status for s in _syncs(db, tenant.configuration_pk)] == ["IN_PROGRESS", "PENDING"]


def test_twenty_concurrent_sync_requests_make_one_pending_row(
    spi_server: SpiServer, signer: TestSigner, db: Database, instance_id: str
) -> None:
    tenant = make_tenant(db, instance_id)
    body = {"accountId": tenant.account_id, "configurationId": tenant.configuration_id}
    tokens = [signer.envelope(body, instance_id) for _ in range(20)]
    with httpx.Client(base_url=spi_server.url, timeout=60) as client, ThreadPoolExecutor(20) as pool:
        statuses = list(pool.map(lambda t: client.post("/wix/pos-spi/sync-catalog", content=t).status_code, tokens))
    assert statuses == [200] * 20
    assert [s.status for s in _syncs(db, tenant.configuration_pk)] == ["PENDING"]


def test_sync_of_an_unpaired_configuration_is_428(
    spi: httpx.Client, signer: TestSigner, db: Database, instance_id: str
) -> None:
    tenant = make_tenant(db, instance_id, paired=False)
    before = table_counts(db)
    assert_wix_error(_ask(spi, signer, "sync-catalog", tenant), 428, "ACCOUNT_CONFIGURATION")
    assert table_counts(db) == before


def test_sync_of_an_unknown_configuration_is_404(
    spi: httpx.Client, signer: TestSigner, db: Database, instance_id: str
) -> None:
    tenant = make_tenant(db, instance_id)
    before = table_counts(db)
    response = _ask(spi, signer, "sync-catalog", tenant, configurationId="never-seen")
    assert_wix_error(response, 404, "LOCATION_NOT_FOUND")
    assert table_counts(db) == before


def test_sync_by_a_disconnected_account_is_refused(
    spi: httpx.Client, signer: TestSigner, db: Database, instance_id: str
) -> None:
    tenant = make_tenant(db, instance_id)
    with db.transaction() as session:
        session.execute(update(Account).where(Account.id == tenant.account_pk).values(status="DISCONNECTED"))
    assert_wix_error(_ask(spi, signer, "sync-catalog", tenant), 428, "ACCOUNT_NOT_CONNECTED")


# --- Get Catalog Sync Status ----------------------------------------------------------------


def _add_syncs(db: Database, tenant: Tenant, *rows: dict[str, object]) -> None:
    with db.transaction() as session:
        for row in rows:
            session.add(Sync(configuration_id=tenant.configuration_pk, **row))


def test_never_synced_is_pending(spi: httpx.Client, signer: TestSigner, db: Database, instance_id: str) -> None:
    tenant = make_tenant(db, instance_id)
    assert _ask(spi, signer, "get-catalog-sync-status", tenant).json() == {"status": "PENDING"}
    response = _ask(spi, signer, "get-catalog-sync-status", tenant, configurationId="unknown-yet")
    assert response.json() == {"status": "PENDING"}


def test_requested_sync_is_pending(spi: httpx.Client, signer: TestSigner, db: Database, instance_id: str) -> None:
    tenant = make_tenant(db, instance_id)
    assert _ask(spi, signer, "sync-catalog", tenant).status_code == 200
    assert _ask(spi, signer, "get-catalog-sync-status", tenant).json() == {"status": "PENDING"}


def test_running_sync_reports_elapsed_seconds(
    spi: httpx.Client, signer: TestSigner, db: Database, instance_id: str
) -> None:
    tenant = make_tenant(db, instance_id)
    _add_syncs(db, tenant, {"status": "IN_PROGRESS", "started_at": utcnow() - timedelta(seconds=42)})
    body = _ask(spi, signer, "get-catalog-sync-status", tenant).json()
    assert body["status"] == "IN_PROGRESS"
    assert set(body) == {"status", "inProgress"}
    assert 42 <= body["inProgress"]["elapsedSeconds"] <= 50


def test_synced_reports_its_date(spi: httpx.Client, signer: TestSigner, db: Database, instance_id: str) -> None:
    tenant = make_tenant(db, instance_id)
    ended = utcnow().replace(microsecond=123000) - timedelta(minutes=5)
    _add_syncs(db, tenant, {"status": "SYNCED", "started_at": ended - timedelta(seconds=9), "ended_at": ended})
    body = _ask(spi, signer, "get-catalog-sync-status", tenant).json()
    assert body == {"status": "SYNCED", "synced": {"lastSyncDate": ended.strftime("%Y-%m-%dT%H:%M:%S.123Z")}}


def test_failed_reports_reason_code_params_and_last_success(
    spi: httpx.Client, signer: TestSigner, db: Database, instance_id: str
) -> None:
    tenant = make_tenant(db, instance_id)
    ok_at = utcnow().replace(microsecond=0) - timedelta(hours=2)
    failed_at = utcnow().replace(microsecond=0) - timedelta(minutes=1)
    _add_syncs(
        db,
        tenant,
        {"status": "SYNCED", "ended_at": ok_at},
        {
            "status": "FAILED",
            "ended_at": failed_at,
            "failure_code": "OVERLOADED_MENU",
            "failure_reason": "Menu has 5001 items",
            "failure_params": {"items": 5001},
        },
    )
    body = _ask(spi, signer, "get-catalog-sync-status", tenant).json()
    assert body == {
        "status": "FAILED",
        "failed": {
            "lastSyncDate": failed_at.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
            "lastSuccessfullySyncDate": ok_at.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
            "reason": "Menu has 5001 items",
            "code": "OVERLOADED_MENU",
            "params": {"items": "5001"},
        },
    }


def test_failed_without_any_success_omits_the_last_success(
    spi: httpx.Client, signer: TestSigner, db: Database, instance_id: str
) -> None:
    tenant = make_tenant(db, instance_id)
    _add_syncs(db, tenant, {"status": "FAILED", "ended_at": utcnow(), "failure_code": "NOT_A_WIX_CODE"})
    failed = _ask(spi, signer, "get-catalog-sync-status", tenant).json()["failed"]
    assert "lastSuccessfullySyncDate" not in failed
    assert failed["code"] == "OTHER"
    assert failed["reason"] and failed["params"] == {}


def test_follow_up_pending_after_synced_reports_pending(
    spi: httpx.Client, signer: TestSigner, db: Database, instance_id: str
) -> None:
    tenant = make_tenant(db, instance_id)
    _add_syncs(db, tenant, {"status": "SYNCED", "ended_at": utcnow()}, {"status": "PENDING"})
    assert _ask(spi, signer, "get-catalog-sync-status", tenant).json() == {"status": "PENDING"}


def test_running_wins_over_a_queued_follow_up(
    spi: httpx.Client, signer: TestSigner, db: Database, instance_id: str
) -> None:
    tenant = make_tenant(db, instance_id)
    _add_syncs(db, tenant, {"status": "IN_PROGRESS", "started_at": utcnow()}, {"status": "PENDING"})
    assert _ask(spi, signer, "get-catalog-sync-status", tenant).json()["status"] == "IN_PROGRESS"


# --- Validate Order / Create Order (envelope and shape only) ----------------------------------


@pytest.mark.parametrize("suffix", ["validate-order", "create-order"])
@pytest.mark.parametrize(
    ("request_body", "fields"),
    [
        ({"accountId": "a", "configurationId": "c"}, {"order"}),
        ({"configurationId": "c", "order": {}}, {"accountId"}),
        ({"accountId": "a", "order": {}}, {"configurationId"}),
        ({"accountId": "a", "configurationId": "c", "order": "not an object"}, {"order"}),
        ({"accountId": ["a"], "configurationId": 3, "order": {}}, {"accountId", "configurationId"}),
        ({}, {"accountId", "configurationId", "order"}),
    ],
)
def test_order_methods_refuse_malformed_requests(
    spi: httpx.Client,
    signer: TestSigner,
    db: Database,
    instance_id: str,
    suffix: str,
    request_body: dict[str, object],
    fields: set[str],
) -> None:
    before = table_counts(db)
    body = assert_wix_error(signed_call(spi, signer, suffix, request_body, instance_id), 400, "OTHER")
    assert {e["params"]["field"] for e in body["applicationError"]["data"]["errors"]} == fields
    assert table_counts(db) == before


def test_create_order_refuses_a_non_boolean_paid_by_pos_gateway(
    spi: httpx.Client, signer: TestSigner, instance_id: str
) -> None:
    request = {"accountId": "a", "configurationId": "c", "order": {}, "paidByPosGateway": "true"}
    body = assert_wix_error(signed_call(spi, signer, "create-order", request, instance_id), 400)
    assert body["applicationError"]["data"]["errors"][0]["params"] == {"field": "paidByPosGateway"}


@pytest.mark.parametrize("suffix", CONFIGURATION_METHODS)
def test_configuration_methods_require_their_fields(
    spi: httpx.Client, signer: TestSigner, db: Database, instance_id: str, suffix: str
) -> None:
    before = table_counts(db)
    body = assert_wix_error(signed_call(spi, signer, suffix, {"accountId": ""}, instance_id), 400, "OTHER")
    assert {e["params"]["field"] for e in body["applicationError"]["data"]["errors"]} == {
        "accountId",
        "configurationId",
    }
    assert table_counts(db) == before
