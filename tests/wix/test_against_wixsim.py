"""WixClient against the Wix emulator (wixsim) over real HTTP: tokens, 401s, 429 storms, the rate limit."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest

import wixsim.ratelimit
from posbridge.config import Settings
from posbridge.store.db import Database
from posbridge.wix import connectivity
from posbridge.wix.client import WixClient
from posbridge.wix.errors import WixApiError
from posbridge.wix.ratebudget import DatabaseRateBudget
from posbridge.wix.retry import RetryPolicy
from tests.conftest import make_settings
from tests.support.clock import ManualClock, VirtualTime
from tests.support.signer import TestSigner
from tests.wix.conftest import RecordingSleep
from wixsim.client import WixSimClient
from wixsim.testing import start_wixsim


@pytest.fixture(scope="module")
def wixsim_module() -> Iterator[WixSimClient]:
    """One emulator for the module."""
    handle, client = start_wixsim()
    try:
        yield client
    finally:
        client.close()
        handle.stop()


@pytest.fixture()
def sim(wixsim_module: WixSimClient) -> WixSimClient:
    """The emulator, emptied for this test."""
    wixsim_module.reset()
    return wixsim_module


@pytest.fixture()
def sim_settings(sim: WixSimClient, db_url: str, signer: TestSigner) -> Callable[..., Settings]:
    """posbridge settings aimed at the emulator with its app credentials."""

    def build(**overrides: Any) -> Settings:
        values: dict[str, Any] = {
            "wix_api_base": sim.base_url,
            "wix_app_id": sim.app_id,
            "wix_app_secret": sim.app_secret,
            "wix_timeout_seconds": 5.0,
        }
        values.update(overrides)
        return make_settings(db_url, signer, **values)

    return build


def client_for(
    settings: Settings,
    db: Database,
    sleeps: RecordingSleep | None = None,
    *,
    clock: ManualClock | None = None,
    **retry: Any,
) -> WixClient:
    policy = RetryPolicy(**{"max_attempts": 5, "base_delay": 0.05, "max_total": 30.0, **retry})
    return WixClient(settings, db, sleep=sleeps or RecordingSleep(), retry=policy, clock=clock or ManualClock())


def test_each_instance_sees_its_own_configurations(
    sim: WixSimClient, sim_settings: Callable[..., Settings], db: Database
) -> None:
    first = sim.create_site(configurations=2)
    second = sim.create_site(configurations=1)
    client = client_for(sim_settings(), db)
    listed = connectivity.list_configurations(client, first["instanceId"])
    assert sorted(c["id"] for c in listed) == sorted(c["id"] for c in first["configurations"])
    other = connectivity.list_configurations(client, second["instanceId"])
    assert [c["id"] for c in other] == [second["configurations"][0]["id"]]
    one = connectivity.get_configuration(client, first["instanceId"], listed[0]["id"])
    assert one["catalogId"] == listed[0]["catalogId"]
    with pytest.raises(WixApiError) as caught:  # another site's configuration is not visible
        connectivity.get_configuration(client, second["instanceId"], listed[0]["id"])
    assert caught.value.status == 404 and caught.value.request_id  # Wix's x-wix-request-id, for support


def test_disconnects_reach_wix(sim: WixSimClient, sim_settings: Callable[..., Settings], db: Database) -> None:
    site = sim.create_site(configurations=2)
    instance, (conf_a, _conf_b) = site["instanceId"], site["configurations"]
    client = client_for(sim_settings(), db)
    connectivity.disconnect_configuration(client, instance, conf_a["id"])
    assert connectivity.get_configuration(client, instance, conf_a["id"])["enabled"] is False
    connectivity.disconnect_account(client, instance, "acct-1", sim.app_id)
    assert all(not c["enabled"] for c in connectivity.list_configurations(client, instance))


def test_an_expired_token_is_replaced_once(
    sim: WixSimClient, sim_settings: Callable[..., Settings], db: Database
) -> None:
    instance = sim.create_site()["instanceId"]
    client = client_for(sim_settings(), db)
    connectivity.list_configurations(client, instance)
    sim.expire_tokens(instance)
    connectivity.list_configurations(client, instance)
    statuses = [r["status"] for r in sim.request_log(endpoint="listConfigurations")["requests"]]
    assert statuses == [200, 401, 200]
    assert client.stats.token_fetches == 2


def test_short_lived_tokens_are_refreshed_before_expiry(
    sim: WixSimClient, sim_settings: Callable[..., Settings], db: Database
) -> None:
    sim.set_token_lifetime(2)
    instance = sim.create_site()["instanceId"]
    clock = ManualClock()
    client = client_for(sim_settings(), db, clock=clock)
    connectivity.list_configurations(client, instance)
    clock.advance(1.1)  # past half the token's life: refreshed ahead of expiry, no 401
    connectivity.list_configurations(client, instance)
    assert [r["status"] for r in sim.request_log(endpoint="listConfigurations")["requests"]] == [200, 200]
    assert client.stats.token_fetches == 2


@pytest.mark.parametrize("retry_after", [None, 3])
def test_a_429_storm_is_ridden_out(
    retry_after: int | None, sim: WixSimClient, sim_settings: Callable[..., Settings], db: Database
) -> None:
    instance = sim.create_site()["instanceId"]
    sim.inject_fault("listConfigurations", "429", count=3, retry_after=retry_after)
    sleeps = RecordingSleep()
    client = client_for(sim_settings(), db, sleeps)
    assert len(connectivity.list_configurations(client, instance)) == 1
    assert [r["status"] for r in sim.request_log(endpoint="listConfigurations")["requests"]] == [429, 429, 429, 200]
    if retry_after:
        assert sleeps.waits == [3.0, 3.0, 3.0]
    else:
        assert len(sleeps.waits) == 3 and all(w <= 0.05 * 2**n for n, w in enumerate(sleeps.waits))


def test_5xx_and_dropped_connections_are_retried(
    sim: WixSimClient, sim_settings: Callable[..., Settings], db: Database
) -> None:
    instance = sim.create_site()["instanceId"]
    sim.inject_fault("listConfigurations", "5xx", count=1, status=502)
    sim.inject_fault("listConfigurations", "drop", count=1)
    client = client_for(sim_settings(), db)
    assert len(connectivity.list_configurations(client, instance)) == 1
    assert client.stats.retries == 2


@pytest.fixture()
def short_wixsim_window(monkeypatch: pytest.MonkeyPatch) -> float:
    """The emulator's rolling window shortened to 1 s (same process), so the test needs no real minute."""
    monkeypatch.setattr(wixsim.ratelimit, "WINDOW_SECONDS", 1.0)
    return 1.0


def test_a_client_within_its_budget_never_meets_wix_rate_limit(
    short_wixsim_window: float,
    sim: WixSimClient,
    sim_settings: Callable[..., Settings],
    db: Database,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    limit = 6
    sim.set_rate_limit(limit)
    instance = sim.create_site()["instanceId"]
    settings = sim_settings(wix_rate_limit_per_minute=limit, wix_rate_window_seconds=short_wixsim_window)
    # One virtual clock for wixsim's window, posbridge's budget and the clients' waits: it moves only
    # when all six threads wait, so neither a loaded machine nor a slow request shifts one window
    # against the other (the real budget's margin absorbs that in production; here nothing must).
    clock = ManualClock()
    virtual = VirtualTime(clock, threads=6)
    monkeypatch.setattr(wixsim.ratelimit, "now", clock)
    budget = DatabaseRateBudget(db, limit=limit, window=short_wixsim_window, clock=clock)
    # Two clients (two "workers") over one database budget, three threads each; no retries allowed.
    clients = [
        WixClient(settings, db, budget=budget, retry=RetryPolicy(max_attempts=1), sleep=virtual.sleep, clock=clock)
        for _ in range(2)
    ]
    errors: list[BaseException] = []

    def work(client: WixClient) -> None:
        try:
            for _ in range(3):
                connectivity.list_configurations(client, instance)
        except BaseException as exc:
            errors.append(exc)
        finally:
            virtual.done()

    threads = [threading.Thread(target=work, args=(clients[n % 2],)) for n in range(6)]
    started = clock()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    statuses = [r["status"] for r in sim.request_log(instance_id=instance)["requests"]]
    assert statuses.count(200) == 18 and 429 not in statuses
    assert clock() - started >= 2 * short_wixsim_window  # 18 calls at 6 per window took 3 windows


def test_without_the_budget_the_same_burst_is_throttled(
    short_wixsim_window: float, sim: WixSimClient, sim_settings: Callable[..., Settings], db: Database
) -> None:
    sim.set_rate_limit(6)
    instance = sim.create_site()["instanceId"]
    settings = sim_settings()
    client = WixClient(
        settings, db, budget=DatabaseRateBudget(db, limit=1000, window=60), retry=RetryPolicy(max_attempts=1)
    )
    with pytest.raises(WixApiError) as caught:
        for _ in range(10):
            connectivity.list_configurations(client, instance)
    assert caught.value.status == 429 and caught.value.code == "TOO_MANY_REQUESTS"
