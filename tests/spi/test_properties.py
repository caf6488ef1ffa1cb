"""Property: validly signed but random or mutated requests to any method never get a 500 and never write halfway.

Every answer is either the method's success shape or a Wix-shaped error. A refused call leaves every
table as it was; an answered one may record the instance it names (a Wix-signed call proves the app is
installed). Examples are derandomized and never read from `.hypothesis/` (the profile in
tests/conftest.py); the finds of earlier runs are regression tests in test_refusals_write_nothing.py.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

import httpx
import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select, update

from posbridge.store.db import Database
from posbridge.store.models import Instance, Sync
from tests.spi.conftest import assert_wix_error, table_counts
from tests.support.fixtures_pos import EVERY_DAY, PosWorld, build_pos
from tests.support.orders import line, order_dict
from tests.support.signer import TestSigner

pytestmark = pytest.mark.all_backends  # the database backend matters here

METHODS = [
    "account-ids",
    "get-configuration-status",
    "sync-catalog",
    "get-catalog-sync-status",
    "validate-order",
    "create-order",
]
SUCCESS_KEYS = {
    "account-ids": {"accountIds"},
    "get-configuration-status": {"status"},
    "sync-catalog": set(),
    "get-catalog-sync-status": {"status", "inProgress", "synced", "failed"},
    "validate-order": {"posOrderStatus"},
    "create-order": {"posOrderId", "posLocationId"},
}
ALWAYS_OPEN = {"hours": [{"day": day, "open": "00:00", "close": "24:00"} for day in EVERY_DAY]}

# Any JSON value, including control characters, huge numbers and deep nesting.
json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=8,
)


@st.composite
def mutated(draw: st.DrawFn, base: dict[str, Any], depth: int = 2) -> dict[str, Any]:
    """`base` with some members dropped, replaced by random JSON or (for objects) mutated in turn."""
    out: dict[str, Any] = {}
    for key, value in base.items():
        action = draw(st.sampled_from(["keep", "keep", "keep", "drop", "replace", "recurse"]))
        if action == "keep":
            out[key] = value
        elif action == "replace":
            out[key] = draw(json_values)
        elif action == "recurse" and depth > 0 and isinstance(value, dict):
            out[key] = draw(mutated(value, depth - 1))
        elif action == "recurse" and depth > 0 and isinstance(value, list) and value and isinstance(value[0], dict):
            out[key] = [draw(mutated(value[0], depth - 1)), *value[1:]]
        elif action != "drop":
            out[key] = value
    if draw(st.booleans()):
        out[draw(st.text(max_size=10))] = draw(json_values)
    return out


# Each example is a real HTTP call against a real database: few examples (the shared profile in
# tests/conftest.py sets no deadline, no example database and a derandomized search).
PROPERTY_SETTINGS = settings(max_examples=60)


@pytest.fixture()
def worlds(db: Database) -> tuple[PosWorld, PosWorld]:
    """Two READY tenants: the caller's and a stranger's."""
    return build_pos(db, str(uuid.uuid4()), location=ALWAYS_OPEN), build_pos(db, str(uuid.uuid4()))


@PROPERTY_SETTINGS
@given(data=st.data())
def test_signed_garbage_never_500s_or_writes_halfway(
    data: st.DataObject, spi: httpx.Client, signer: TestSigner, db: Database, worlds: tuple[PosWorld, PosWorld]
) -> None:
    mine, theirs = worlds
    method = data.draw(st.sampled_from(METHODS), label="method")
    baseline = {
        "accountId": data.draw(st.sampled_from([mine.account_id, theirs.account_id])),
        "configurationId": data.draw(st.sampled_from([mine.configuration_id, theirs.configuration_id])),
        "order": order_dict([line("item-3")]),
        "paidByPosGateway": False,
    }
    request: Any = data.draw(st.one_of(mutated(baseline), json_values, st.just(baseline)), label="request")
    # Known tenants, a new site, and ids Wix never sends (the search once found "\U00020305\u00db,;" by chance).
    instance = data.draw(
        st.sampled_from([mine.instance_id, mine.instance_id, theirs.instance_id, str(uuid.uuid4())])
        | st.text(max_size=70),
        label="instance",
    )
    metadata: Any = data.draw(
        st.one_of(mutated(signer.metadata(instance)), st.just(signer.metadata(instance))), label="metadata"
    )
    token = signer.sign(signer.claims({}, {}, data={"request": request, "metadata": metadata}))

    before = table_counts(db)
    response = spi.post(f"/wix/pos-spi/{method}", content=token)
    after = table_counts(db)

    event(f"{method} → {response.status_code}")
    assert response.status_code < 500, response.text
    if response.status_code == 200:
        assert set(response.json()) <= SUCCESS_KEYS[method]
        assert before["instances"] <= after["instances"] <= before["instances"] + 1
    else:
        assert_wix_error(response, response.status_code)
        assert after == before
    with db.transaction(write=False) as session:
        pending = session.scalar(
            select(func.count())
            .select_from(Sync)
            .where(Sync.configuration_id == mine.configuration, Sync.status == "PENDING")
        )
    assert pending <= 1


@PROPERTY_SETTINGS
@given(data=st.data())
def test_signed_garbage_webhooks_never_500_and_write_only_what_they_apply(
    data: st.DataObject, spi: httpx.Client, signer: TestSigner, db: Database, worlds: tuple[PosWorld, PosWorld]
) -> None:
    mine, _theirs = worlds
    inner = {
        "eventType": data.draw(st.sampled_from(["AppInstalled", "AppRemoved", "SomethingElse"]), label="type"),
        "instanceId": data.draw(st.sampled_from([mine.instance_id, str(uuid.uuid4())]), label="instance"),
        "data": json.dumps({"appId": signer.app_id, "originInstanceId": ""}),
        "identity": json.dumps({"identityType": "WIX_USER", "wixUserId": "u-1"}),
    }
    layered = data.draw(
        st.one_of(mutated(inner).map(json.dumps), mutated(inner), json_values, st.just(json.dumps(inner))),
        label="data",
    )
    token = signer.sign(signer.claims({}, {}, data=layered))

    before = table_counts(db)
    response = spi.post("/wix/webhooks", content=token)
    after = table_counts(db)

    event(f"webhook → {response.status_code}")
    assert response.status_code < 500, response.text
    if response.status_code == 200:
        assert response.json() == {}
        # One event recorded (none for a repeat of an identical body); at most one instance (a new site's).
        recorded = after["webhook_events"] - before["webhook_events"]
        assert recorded in (0, 1)
        assert 0 <= after["instances"] - before["instances"] <= recorded
        assert {k: v for k, v in after.items() if k not in ("webhook_events", "instances")} == {
            k: v for k, v in before.items() if k not in ("webhook_events", "instances")
        }
    else:
        assert_wix_error(response, response.status_code)
        assert after == before
    with db.transaction() as session:
        # Put the tenant back for the next example: a removal is applied for real.
        session.execute(
            update(Instance).where(Instance.id == mine.instance_id).values(status="ACTIVE", removed_at=None)
        )
