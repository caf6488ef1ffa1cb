"""WixClient against a fake Wix over real HTTP: tokens, retries, errors, stats and what is logged."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

import pytest
import structlog

from posbridge.config import Settings
from posbridge.store.db import Database
from posbridge.wix.client import WixClient
from posbridge.wix.errors import WixApiError
from posbridge.wix.retry import RetryPolicy
from tests.conftest import APP_SECRET
from tests.support.clock import ManualClock
from tests.wix.conftest import RecordingSleep
from tests.wix.fakewix import FakeWixState, Scripted

MENUS = "/v3/catalogs/cat-1/menus"
FULL_MENUS = "/restaurants" + MENUS


def make_client(
    settings: Settings, db: Database, sleeps: RecordingSleep, *, clock: ManualClock | None = None, **retry: Any
) -> WixClient:
    policy = RetryPolicy(**{"max_attempts": 4, "base_delay": 0.2, "max_total": 30.0, **retry})
    return WixClient(settings, db, sleep=sleeps, retry=policy, clock=clock or ManualClock())


def test_token_is_fetched_once_per_instance_and_sent_raw(
    wix_settings: Callable[..., Settings], db: Database, fake_wix: FakeWixState, sleeps: RecordingSleep, instance: str
) -> None:
    client = make_client(wix_settings(), db, sleeps)
    other = instance + "-other"
    for _ in range(3):
        assert client.call(instance, "GET", MENUS)["instance"] == instance
    assert client.call(other, "GET", MENUS)["instance"] == other
    assert [r["instance_id"] for r in fake_wix.token_requests] == [instance, other]
    assert fake_wix.token_requests[0] == {
        "grant_type": "client_credentials",
        "client_id": wix_settings().wix_app_id,
        "client_secret": APP_SECRET,
        "instance_id": instance,
    }
    assert all(not c["auth"].startswith("Bearer") for c in fake_wix.calls)
    assert {c["auth"] for c in fake_wix.calls if c["instance"] == instance} == {fake_wix.calls[0]["auth"]}


def test_token_is_refreshed_before_it_expires(
    wix_settings: Callable[..., Settings], db: Database, fake_wix: FakeWixState, sleeps: RecordingSleep, instance: str
) -> None:
    fake_wix.token_lifetime = 1  # refreshed after half its life
    clock = ManualClock()
    client = make_client(wix_settings(), db, sleeps, clock=clock)
    client.call(instance, "GET", MENUS)
    clock.advance(0.45)
    client.call(instance, "GET", MENUS)
    clock.advance(0.1)
    client.call(instance, "GET", MENUS)
    assert len(fake_wix.token_requests) == 2
    assert fake_wix.calls[1]["auth"] == fake_wix.calls[0]["auth"] != fake_wix.calls[2]["auth"]


def test_a_401_refreshes_the_token_once_and_retries(
    wix_settings: Callable[..., Settings], db: Database, fake_wix: FakeWixState, sleeps: RecordingSleep, instance: str
) -> None:
    client = make_client(wix_settings(), db, sleeps)
    client.call(instance, "GET", MENUS)
    fake_wix.revoke_all()
    assert client.call(instance, "GET", MENUS)["instance"] == instance
    assert len(fake_wix.token_requests) == 2
    assert [c["instance"] is not None for c in fake_wix.calls] == [True, False, True]
    assert sleeps.waits == []


def test_a_second_401_is_final(
    wix_settings: Callable[..., Settings], db: Database, fake_wix: FakeWixState, sleeps: RecordingSleep, instance: str
) -> None:
    client = make_client(wix_settings(), db, sleeps)
    fake_wix.push(FULL_MENUS, Scripted(401, {"message": "no"}), Scripted(401, {"message": "still no"}))
    with pytest.raises(WixApiError) as caught:
        client.call(instance, "GET", MENUS)
    assert caught.value.status == 401
    assert len(fake_wix.calls) == 2
    assert len(fake_wix.token_requests) == 2


def test_bad_app_credentials_fail_without_retrying(
    wix_settings: Callable[..., Settings], db: Database, fake_wix: FakeWixState, sleeps: RecordingSleep, instance: str
) -> None:
    client = make_client(wix_settings(wix_app_secret="wrong-secret-000"), db, sleeps)
    with pytest.raises(WixApiError) as caught:
        client.call(instance, "GET", MENUS)
    assert (caught.value.status, caught.value.code) == (401, "INVALID_CLIENT")
    assert len(fake_wix.token_requests) == 1 and fake_wix.calls == []


def test_429_waits_as_long_as_retry_after_says(
    wix_settings: Callable[..., Settings], db: Database, fake_wix: FakeWixState, sleeps: RecordingSleep, instance: str
) -> None:
    client = make_client(wix_settings(), db, sleeps)
    fake_wix.push(FULL_MENUS, Scripted(429, {"message": "slow down"}, {"Retry-After": "7"}))
    assert client.call(instance, "GET", MENUS)["instance"] == instance
    assert sleeps.waits == [7.0]
    assert client.stats.retries == 1
    assert client.stats.by_endpoint["GET /v3/catalogs/{id}/menus"] == {"429": 1, "200": 1}


def test_429_without_retry_after_backs_off_exponentially_with_jitter(
    wix_settings: Callable[..., Settings], db: Database, fake_wix: FakeWixState, sleeps: RecordingSleep, instance: str
) -> None:
    client = make_client(wix_settings(), db, sleeps, max_attempts=5, base_delay=1.0)
    fake_wix.push(FULL_MENUS, *[Scripted(429, {"message": "slow down"})] * 3)
    client.call(instance, "GET", MENUS)
    assert len(sleeps.waits) == 3
    for attempt, wait in enumerate(sleeps.waits, start=1):
        assert 0 <= wait <= 1.0 * 2 ** (attempt - 1)


def test_5xx_is_retried_and_gives_up_after_the_attempts(
    wix_settings: Callable[..., Settings], db: Database, fake_wix: FakeWixState, sleeps: RecordingSleep, instance: str
) -> None:
    client = make_client(wix_settings(), db, sleeps, max_attempts=3)
    error = {"message": "boom", "details": {"applicationError": {"code": "INTERNAL_ERROR", "description": "boom"}}}
    fake_wix.push(FULL_MENUS, *[Scripted(503, error)] * 3)
    with pytest.raises(WixApiError) as caught:
        client.call(instance, "GET", MENUS)
    assert (caught.value.status, caught.value.code, caught.value.message) == (503, "INTERNAL_ERROR", "boom")
    assert caught.value.request_id == "wix-req-2"
    assert len(fake_wix.calls) == 3 and len(sleeps.waits) == 2


def test_retries_stop_when_the_total_time_would_be_exceeded(
    wix_settings: Callable[..., Settings], db: Database, fake_wix: FakeWixState, sleeps: RecordingSleep, instance: str
) -> None:
    client = make_client(wix_settings(), db, sleeps, max_total=5.0)
    fake_wix.push(FULL_MENUS, Scripted(429, {"message": "later"}, {"Retry-After": "60"}))
    with pytest.raises(WixApiError) as caught:
        client.call(instance, "GET", MENUS)
    assert caught.value.status == 429 and sleeps.waits == []


def test_a_timeout_is_retried_then_reported(
    wix_settings: Callable[..., Settings], db: Database, fake_wix: FakeWixState, sleeps: RecordingSleep, instance: str
) -> None:
    client = make_client(wix_settings(wix_timeout_seconds=0.2), db, sleeps, max_attempts=2)
    fake_wix.push(FULL_MENUS, Scripted(delay=0.6), Scripted(body={"late": False}))
    assert client.call(instance, "GET", MENUS) == {"late": False}
    fake_wix.push(FULL_MENUS, Scripted(delay=0.6), Scripted(delay=0.6))
    with pytest.raises(WixApiError) as caught:
        client.call(instance, "GET", MENUS)
    assert (caught.value.status, caught.value.code) == (0, "TIMEOUT")
    assert client.stats.statuses["TIMEOUT"] == 3


def test_a_refused_connection_is_retried_then_reported(
    wix_settings: Callable[..., Settings], db: Database, sleeps: RecordingSleep, instance: str
) -> None:
    client = make_client(wix_settings(wix_api_base="http://127.0.0.1:9"), db, sleeps, max_attempts=2)
    with pytest.raises(WixApiError) as caught:
        client.call(instance, "GET", MENUS)
    assert (caught.value.status, caught.value.code) == (0, "UNAVAILABLE")
    assert len(sleeps.waits) == 1


def test_a_4xx_is_final_and_carries_wix_error(
    wix_settings: Callable[..., Settings], db: Database, fake_wix: FakeWixState, sleeps: RecordingSleep, instance: str
) -> None:
    client = make_client(wix_settings(), db, sleeps)
    body = {"message": "Draft exists", "details": {"applicationError": {"code": "DRAFT_EXISTS", "description": "x"}}}
    fake_wix.push("/restaurants/v3/draft-catalogs/c9/create", Scripted(409, body))
    with pytest.raises(WixApiError) as caught:
        client.call(instance, "POST", "/v3/draft-catalogs/c9/create")
    error = caught.value
    assert (error.status, error.code, error.message, error.body) == (409, "DRAFT_EXISTS", "Draft exists", body)
    assert error.request_id == "wix-req-0" and error.path == "/v3/draft-catalogs/c9/create"
    assert not error.retryable and sleeps.waits == []


def test_json_params_and_empty_answers(
    wix_settings: Callable[..., Settings], db: Database, fake_wix: FakeWixState, sleeps: RecordingSleep, instance: str
) -> None:
    client = make_client(wix_settings(), db, sleeps)
    echoed = client.call(instance, "POST", "/v3/x", json={"a": 1}, params={"paging.limit": 5})
    assert echoed["echo"] == '{"a":1}' and echoed["query"] == "paging.limit=5"
    fake_wix.push("/restaurants/v3/empty", Scripted(204))
    assert client.call(instance, "DELETE", "/v3/empty") == {}


def test_stats_count_per_endpoint_template_and_per_tracked_context(
    wix_settings: Callable[..., Settings], db: Database, fake_wix: FakeWixState, sleeps: RecordingSleep, instance: str
) -> None:
    client = make_client(wix_settings(), db, sleeps)
    client.call(instance, "GET", "/v1/pos-integration/configurations")
    with client.track() as mine:
        client.call(instance, "POST", "/v3/draft-catalogs/c1/bulk/menus/create", json={"menus": []})
        client.call(instance, "POST", "/v3/draft-catalogs/c2/bulk/menus/create", json={"menus": []})
    assert mine.as_dict()["calls"] == {"POST /v3/draft-catalogs/{id}/bulk/menus/create": 2}
    assert client.stats.as_dict()["totalCalls"] == 4  # the token request counts too
    assert client.stats.calls["POST /oauth2/token"] == 1
    assert client.stats.token_fetches == 1


def test_concurrent_calls_share_one_token_per_instance(
    wix_settings: Callable[..., Settings], db: Database, fake_wix: FakeWixState, sleeps: RecordingSleep, instance: str
) -> None:
    client = make_client(wix_settings(), db, sleeps)
    errors: list[BaseException] = []

    def work(n: int) -> None:
        try:
            for _ in range(3):
                client.call(f"{instance}-{n % 2}", "GET", MENUS)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sorted(r["instance_id"] for r in fake_wix.token_requests) == [f"{instance}-0", f"{instance}-1"]
    assert len(fake_wix.calls) == 24


def test_each_attempt_is_logged_with_wix_request_id_and_no_secret(
    wix_settings: Callable[..., Settings], db: Database, fake_wix: FakeWixState, sleeps: RecordingSleep, instance: str
) -> None:
    client = make_client(wix_settings(), db, sleeps)
    fake_wix.push(FULL_MENUS, Scripted(503, {"message": "boom"}))
    saved = structlog.get_config()
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.DEBUG))  # suite logs at WARNING
    try:
        with structlog.testing.capture_logs() as logs:
            client.call(instance, "GET", MENUS)
    finally:
        structlog.configure(**saved)
    calls = [e for e in logs if e["event"] == "wix_call"]
    assert [(e["path"], e["status"]) for e in calls] == [("/oauth2/token", "200"), (MENUS, "503"), (MENUS, "200")]
    assert [e["wix_request_id"] for e in calls[1:]] == ["wix-req-0", "wix-req-1"]
    assert all(e["method"] and e["duration_ms"] >= 0 for e in calls)
    text = repr(logs)
    assert APP_SECRET not in text and "tok-" not in text


def test_a_call_that_must_not_run_twice_is_not_resent_after_a_timeout(
    wix_settings: Callable[..., Settings], db: Database, fake_wix: FakeWixState, sleeps: RecordingSleep, instance: str
) -> None:
    client = make_client(wix_settings(wix_timeout_seconds=0.2), db, sleeps)
    path = "/v3/draft-catalogs/c1/bulk/dishes/create"
    fake_wix.push("/restaurants" + path, Scripted(delay=0.6), Scripted(503, {"message": "busy"}), Scripted())
    with pytest.raises(WixApiError) as caught:
        client.call(instance, "POST", path, json={"createDishRequests": []}, idempotent=False)
    assert caught.value.code == "TIMEOUT" and len(fake_wix.calls) == 1
    # An answered 503 is still retried: Wix answered that it is unavailable.
    client.call(instance, "POST", path, json={"createDishRequests": []}, idempotent=False)
    assert len(fake_wix.calls) == 3


def test_an_at_most_once_call_is_resent_only_when_wix_surely_did_not_run_it(
    wix_settings: Callable[..., Settings], db: Database, fake_wix: FakeWixState, sleeps: RecordingSleep, instance: str
) -> None:
    client = make_client(wix_settings(wix_timeout_seconds=0.2), db, sleeps)
    path = "/restaurants/v1/things/create"  # the fake serves /restaurants/…; the rule is the same anywhere
    body = {"orderId": "o1", "fulfillment": {"lineItems": [], "status": "Accepted"}}
    fake_wix.push(path, Scripted(504, {"message": "gateway timeout"}))
    with pytest.raises(WixApiError) as caught:  # Wix may have made it: the caller must look before a resend
        client.call_api(instance, "POST", path, json=body, at_most_once=True)
    assert caught.value.status == 504 and len(fake_wix.calls) == 1
    fake_wix.push(path, Scripted(delay=0.6))
    with pytest.raises(WixApiError) as timed_out:
        client.call_api(instance, "POST", path, json=body, at_most_once=True)
    assert timed_out.value.code == "TIMEOUT" and len(fake_wix.calls) == 2
    # A 429 is Wix refusing to run it: waited out and resent.
    fake_wix.push(path, Scripted(429, {"message": "slow down"}, {"Retry-After": "2"}), Scripted())
    client.call_api(instance, "POST", path, json=body, at_most_once=True)
    assert len(fake_wix.calls) == 4 and sleeps.waits[-1] == 2.0
