"""Routing on the path suffix, the request id echo, unknown paths and the 500 answer."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from sqlalchemy import func, select

from posbridge.logs import request_id_var
from posbridge.services import configurations
from posbridge.store.db import Database
from posbridge.store.models import Instance
from tests.spi.conftest import SPI, SpiServer, assert_wix_error, signed_call
from tests.support.signer import TestSigner


@pytest.mark.parametrize("prefix", [SPI, f"{SPI}/v1", f"{SPI}/some/deeper/prefix"])
def test_any_prefix_reaches_the_method(spi: httpx.Client, signer: TestSigner, instance_id: str, prefix: str) -> None:
    response = signed_call(spi, signer, "account-ids", {}, instance_id, prefix=prefix)
    assert response.status_code == 200, response.text
    assert response.json() == {"accountIds": []}


def test_trailing_slash_is_tolerated(spi: httpx.Client, signer: TestSigner, instance_id: str) -> None:
    token = signer.envelope({}, instance_id)
    assert spi.post(f"{SPI}/account-ids/", content=token).status_code == 200


@pytest.mark.parametrize("suffix", ["nope", "account-ids-extra", "v1", "create-orders"])
def test_unknown_suffix_is_404_in_wix_shape(
    spi: httpx.Client, signer: TestSigner, instance_id: str, suffix: str
) -> None:
    assert_wix_error(signed_call(spi, signer, suffix, {}, instance_id), 404, "OTHER")


def test_get_on_a_method_is_405(spi: httpx.Client) -> None:
    response = spi.get(f"{SPI}/account-ids")
    assert_wix_error(response, 405, "OTHER")
    assert response.headers["Allow"] == "POST"


def test_response_request_id_is_wix_request_id(spi: httpx.Client, signer: TestSigner, instance_id: str) -> None:
    metadata = signer.metadata(instance_id, requestId="1732770000.wix-req-42")
    response = signed_call(spi, signer, "account-ids", {}, instance_id, metadata=metadata)
    assert response.status_code == 200
    assert response.headers["X-Request-Id"] == "1732770000.wix-req-42"


def test_error_responses_carry_wix_request_id_too(spi: httpx.Client, signer: TestSigner, instance_id: str) -> None:
    metadata = signer.metadata(instance_id, requestId="wix-req-err")
    request = {"accountId": "missing", "configurationId": "c"}
    response = signed_call(spi, signer, "sync-catalog", request, instance_id, metadata=metadata)
    assert_wix_error(response, 404, "ACCOUNT_NOT_FOUND")
    assert response.headers["X-Request-Id"] == "wix-req-err"


@pytest.mark.parametrize("request_id", ["has space", "new\nline", "", "é" * 3, "x" * 500, 17])
def test_unsafe_request_ids_are_replaced_not_echoed(
    spi: httpx.Client, signer: TestSigner, instance_id: str, request_id: object
) -> None:
    metadata = signer.metadata(instance_id, requestId=request_id)
    response = signed_call(spi, signer, "account-ids", {}, instance_id, metadata=metadata)
    assert response.status_code == 200
    assert response.headers["X-Request-Id"] and response.headers["X-Request-Id"] != request_id


def test_unknown_fields_are_ignored(spi: httpx.Client, signer: TestSigner, instance_id: str) -> None:
    metadata = signer.metadata(instance_id, futureField={"a": 1}, identity={"identityType": "NEW_KIND", "x": 1})
    token = signer.sign(
        signer.claims({"someNewFlag": True}, metadata, data={"request": {"z": 1}, "metadata": metadata, "more": 1})
        | {"extraClaim": "ok"}
    )
    response = spi.post(f"{SPI}/account-ids", content=token)
    assert response.status_code == 200, response.text


def test_unexpected_failure_is_500_with_request_id_and_no_internals(
    spi: httpx.Client, signer: TestSigner, instance_id: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    def explode(*_args: object, **_kwargs: object) -> list[str]:
        raise RuntimeError("secret internals: password=hunter2")

    monkeypatch.setattr(configurations, "list_account_ids", explode)
    metadata = signer.metadata(instance_id, requestId="wix-req-500")
    response = signed_call(spi, signer, "account-ids", {}, instance_id, metadata=metadata)
    body = assert_wix_error(response, 500, "SYSTEM_ERROR")
    assert "wix-req-500" in body["message"]
    assert body["applicationError"]["data"]["errors"][0]["params"] == {"requestId": "wix-req-500"}
    assert "secret" not in response.text and "RuntimeError" not in response.text
    assert response.headers["X-Request-Id"] == "wix-req-500"


def test_first_valid_call_records_the_instance(
    spi: httpx.Client, signer: TestSigner, instance_id: str, db: Database
) -> None:
    assert signed_call(spi, signer, "account-ids", {}, instance_id).status_code == 200
    with db.transaction(write=False) as session:
        instance = session.get(Instance, instance_id)
    assert instance is not None and instance.status == "ACTIVE"


def test_handler_thread_sees_wix_request_id_for_its_logs(
    spi: httpx.Client, signer: TestSigner, instance_id: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[str | None] = []

    def spy(*_args: object, **_kwargs: object) -> list[str]:
        seen.append(request_id_var.get())  # what every structured log line of the handler carries
        return []

    monkeypatch.setattr(configurations, "list_account_ids", spy)
    metadata = signer.metadata(instance_id, requestId="wix-req-logs")
    assert signed_call(spi, signer, "account-ids", {}, instance_id, metadata=metadata).status_code == 200
    assert seen == ["wix-req-logs"]


def test_concurrent_first_calls_record_the_instance_once(
    spi_server: SpiServer, signer: TestSigner, db: Database, instance_id: str
) -> None:
    tokens = [signer.envelope({}, instance_id) for _ in range(12)]
    with httpx.Client(base_url=spi_server.url, timeout=60) as client, ThreadPoolExecutor(12) as pool:
        statuses = list(pool.map(lambda t: client.post(f"{SPI}/account-ids", content=t).status_code, tokens))
    assert statuses == [200] * 12
    with db.transaction(write=False) as session:
        assert session.scalar(select(func.count()).select_from(Instance).where(Instance.id == instance_id)) == 1
