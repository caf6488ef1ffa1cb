"""A refused request writes nothing; every refusal renders in Wix's shape, whatever the input held.

SPI calls and app webhooks alike, on both backends: an instance is recorded only by a call that is
answered 2xx; an instance id that is not a Wix GUID (NUL, a lone surrogate, 5,000 characters, a
CJK character…) is a 400 naming the field before anything is written; JSON nested 50,000 levels
deep is a 400, not a RecursionError; a lone surrogate never breaks the error rendering.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest

from posbridge.app import create_app
from posbridge.config import Settings
from posbridge.errors import WixError
from posbridge.spi import responses
from posbridge.store.db import Database
from posbridge.store.models import Instance
from tests.spi.conftest import SPI, assert_wix_error, make_tenant, table_counts
from tests.support.databases import database_url
from tests.support.orders import line, order_dict
from tests.support.server import serve_in_thread
from tests.support.signer import TestSigner

pytestmark = pytest.mark.all_backends  # what gets stored, and how it fails, differs per backend

WEBHOOKS = "/wix/webhooks"
DEEP = "[" * 50_000 + "]" * 50_000
NOT_INSTANCE_IDS = {
    "the fuzzer's find": "\U00020305\u00db,;",
    "NUL": "0f1e2d3c-4b5a-4968-8776-a5b4c3d2\x00e1f0",
    "lone surrogate": "0f1e2d3c-4b5a-4968-8776-\ud800a5b4c3d2e1f0",
    "5,000 characters": "a" * 5000,
    "a GUID and more": "0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0-x",
    "a name": "my-restaurant",
}


def _instance(db: Database, instance_id: str) -> Instance | None:
    with db.transaction(write=False) as session:
        return session.get(Instance, instance_id)


# --- SPI -----------------------------------------------------------------------------------------


def _spi(client: httpx.Client, signer: TestSigner, method: str, request: dict[str, Any], meta: dict[str, Any]) -> Any:
    return client.post(f"{SPI}/{method}", content=signer.sign(signer.claims(request, meta)))


def test_a_refused_call_does_not_record_its_instance(
    spi: httpx.Client, signer: TestSigner, db: Database, instance_id: str
) -> None:
    stranger = make_tenant(db, str(uuid.uuid4()))
    before = table_counts(db)
    request = {"accountId": stranger.account_id, "configurationId": stranger.configuration_id}
    for method in ("sync-catalog", "get-catalog-sync-status"):
        assert_wix_error(_spi(spi, signer, method, request, signer.metadata(instance_id)), 404, "ACCOUNT_NOT_FOUND")
    assert table_counts(db) == before
    assert _instance(db, instance_id) is None


def test_an_answered_call_records_its_instance_once(
    spi: httpx.Client, signer: TestSigner, db: Database, instance_id: str
) -> None:
    before = table_counts(db)
    for _ in range(2):
        answer = _spi(spi, signer, "account-ids", {}, signer.metadata(instance_id))
        assert answer.status_code == 200 and answer.json() == {"accountIds": []}
    recorded = _instance(db, instance_id)
    assert recorded is not None and recorded.status == "ACTIVE"
    assert table_counts(db) == {**before, "instances": before["instances"] + 1}


@pytest.mark.parametrize("bad", NOT_INSTANCE_IDS.values(), ids=NOT_INSTANCE_IDS.keys())
@pytest.mark.parametrize("method", ["account-ids", "get-configuration-status", "validate-order"])
def test_an_instance_id_wix_cannot_send_is_a_400_and_writes_nothing(
    spi: httpx.Client, signer: TestSigner, db: Database, method: str, bad: str
) -> None:
    before = table_counts(db)
    request = {"accountId": "a", "configurationId": "c", "order": {}}
    body = assert_wix_error(_spi(spi, signer, method, request, signer.metadata(bad)), 400, "OTHER")
    assert body["applicationError"]["data"]["errors"][0]["params"]["field"] == "metadata.instanceId"
    assert table_counts(db) == before


def test_upper_case_guids_are_instance_ids_too(spi: httpx.Client, signer: TestSigner, instance_id: str) -> None:
    answer = _spi(spi, signer, "account-ids", {}, signer.metadata(instance_id.upper()))
    assert answer.status_code == 200, answer.text


def test_a_lone_surrogate_never_breaks_the_error_rendering(
    spi: httpx.Client, signer: TestSigner, db: Database, instance_id: str
) -> None:
    tenant = make_tenant(db, instance_id)
    before = table_counts(db)
    order = {**order_dict([line("item-3")]), "currency": "\ud800"}
    request = {"accountId": tenant.account_id, "configurationId": tenant.configuration_id, "order": order}
    answer = _spi(spi, signer, "validate-order", request, signer.metadata(instance_id, currency="\ud800"))
    assert 400 <= answer.status_code < 500, answer.text
    assert_wix_error(answer, answer.status_code)
    assert table_counts(db) == before
    # The keep-alive connection survived: the same client is answered again.
    assert _spi(spi, signer, "account-ids", {}, signer.metadata(instance_id)).status_code == 200


def test_the_renderer_takes_any_string() -> None:
    rendered = responses.error(WixError.of("OTHER", "bad \ud800 \ud83d\ude00 \x00", field="\udfff"))
    body = json.loads(rendered.body)
    assert body["message"] == "bad \ufffd \U0001f600 \x00"
    assert body["applicationError"]["data"]["errors"][0]["params"] == {"field": "\ufffd"}


# --- webhooks ------------------------------------------------------------------------------------


def _event(instance_id: Any, event_type: str = "AppInstalled", **inner: Any) -> str:
    return json.dumps(
        {
            "eventType": event_type,
            "instanceId": instance_id,
            "data": json.dumps({"appId": "x", "originInstanceId": ""}),
            "identity": json.dumps({"identityType": "WIX_USER", "wixUserId": "u-1"}),
            **inner,
        }
    )


def _webhook(signer: TestSigner, data: Any, **claims: Any) -> str:
    now = int(time.time())
    return signer.sign({k: v for k, v in {"data": data, "iat": now, "exp": now + 300, **claims}.items() if v})


@pytest.mark.parametrize("bad", NOT_INSTANCE_IDS.values(), ids=NOT_INSTANCE_IDS.keys())
@pytest.mark.parametrize("event_type", ["AppInstalled", "AppRemoved", "PaidPlanPurchased"])
def test_a_webhook_for_an_instance_id_wix_cannot_send_is_a_400_and_writes_nothing(
    spi: httpx.Client, signer: TestSigner, db: Database, bad: str, event_type: str
) -> None:
    before = table_counts(db)
    answer = spi.post(WEBHOOKS, content=_webhook(signer, _event(bad, event_type)))
    body = assert_wix_error(answer, 400, "OTHER")
    assert body["applicationError"]["data"]["errors"][0]["params"]["field"] == "data.instanceId"
    assert table_counts(db) == before


UNSTORABLE_EVENTS = {
    "NUL in eventType": lambda i: _event(i, "AppInstalled\x00"),
    "eventType of 65 characters": lambda i: _event(i, "A" * 65),
    "lone surrogate in data": lambda i: _event(i, data=json.dumps({"appId": "\ud800"})),
    "NUL in a key of identity": lambda i: _event(i, identity=json.dumps({"wixUserId\x00": "u"})),
    "NUL deep in data": lambda i: _event(i, data=json.dumps({"a": [{"b": "\x00"}]})),
    "data nested 50,000 deep": lambda i: _event(i, data='{"a": ' + DEEP + "}"),
    "identity nested 50,000 deep": lambda i: _event(i, identity=DEEP),
    "the event nested 50,000 deep": lambda i: '{"eventType": "AppInstalled", "x": ' + DEEP + "}",
    "data NaN": lambda i: _event(i, data='{"appId": NaN}'),
}


@pytest.mark.parametrize("build", UNSTORABLE_EVENTS.values(), ids=UNSTORABLE_EVENTS.keys())
def test_a_webhook_holding_what_cannot_be_stored_is_a_400_and_writes_nothing(
    spi: httpx.Client, signer: TestSigner, db: Database, instance_id: str, build: Any
) -> None:
    before = table_counts(db)
    assert_wix_error(spi.post(WEBHOOKS, content=_webhook(signer, build(instance_id))), 400, "OTHER")
    assert table_counts(db) == before
    assert _instance(db, instance_id) is None


def test_a_webhook_token_nested_50000_deep_is_a_400(spi: httpx.Client, signer: TestSigner, db: Database) -> None:
    now = int(time.time())
    payload = f'{{"iat": {now}, "exp": {now + 300}, "data": {DEEP}}}'.encode()
    before = table_counts(db)
    assert_wix_error(spi.post(WEBHOOKS, content=jwt.api_jws.encode(payload, signer.key, algorithm="RS256")), 400)
    assert table_counts(db) == before


def test_a_webhook_is_judged_by_the_envelope_rules(
    spi: httpx.Client, signer: TestSigner, db: Database, instance_id: str
) -> None:
    before = table_counts(db)
    assert_wix_error(spi.post(WEBHOOKS, content=_webhook(signer, _event(instance_id), exp=10**30)), 401)
    old = int(time.time()) - 3600
    assert_wix_error(spi.post(WEBHOOKS, content=_webhook(signer, _event(instance_id), exp=None, iat=old)), 401)
    assert table_counts(db) == before
    # Without exp but freshly issued, as Wix's SDK accepts it.
    answer = spi.post(WEBHOOKS, content=_webhook(signer, _event(instance_id), exp=None))
    assert answer.status_code == 200, answer.text
    recorded = _instance(db, instance_id)
    assert recorded is not None and recorded.status == "ACTIVE"


def test_an_origin_instance_id_that_is_no_guid_is_not_stored(
    spi: httpx.Client, signer: TestSigner, db: Database, instance_id: str
) -> None:
    data = json.dumps({"appId": "x", "originInstanceId": "o" * 5000})
    answer = spi.post(WEBHOOKS, content=_webhook(signer, _event(instance_id, data=data)))
    assert answer.status_code == 200, answer.text
    recorded = _instance(db, instance_id)
    assert recorded is not None and recorded.origin_instance_id is None


# --- whatever fails, the answer is Wix-shaped ---------------------------------------------------


@pytest.fixture()
def unmigrated_url(backend: str, settings: Settings, tmp_path: Path) -> Iterator[str]:
    """posbridge over a database whose tables were never created: every query fails."""
    with database_url(backend, tmp_path) as url:
        app = create_app(settings.model_copy(update={"database_url": url}), Database(url))
        with serve_in_thread(app) as served:
            yield served


def test_an_unexpected_failure_is_answered_in_wix_shape(
    unmigrated_url: str, signer: TestSigner, instance_id: str
) -> None:
    with httpx.Client(base_url=unmigrated_url, timeout=30) as client:
        for answer in (
            _spi(client, signer, "account-ids", {}, signer.metadata(instance_id)),
            client.post(WEBHOOKS, content=_webhook(signer, _event(instance_id))),
        ):
            assert answer.status_code in (500, 503), answer.text
            assert_wix_error(answer, answer.status_code, "SYSTEM_ERROR")
