"""The shared rate budget: a sliding window that never lets a rolling-window limiter of the same rate say 429."""

from __future__ import annotations

import random
import threading
import uuid
from collections.abc import Callable, Iterator

import pytest
import redis

from posbridge.config import Settings
from posbridge.store.db import Database
from posbridge.wix.client import WixClient
from posbridge.wix.ratebudget import Budget, DatabaseRateBudget, RedisRateBudget
from posbridge.wix.retry import RetryPolicy
from tests.support.clock import ManualClock
from tests.wix.fakewix import FakeWixState

pytestmark = pytest.mark.all_backends  # the database backend matters here

REDIS_URL = "redis://127.0.0.1:6379/0"
EPOCH = 1_800_000_000.0  # the budgets count in epoch seconds


@pytest.fixture()
def redis_prefix() -> Iterator[str]:
    """A Redis key prefix of this test's own, removed afterwards."""
    prefix = f"posbridge-test:{uuid.uuid4().hex}"
    yield prefix
    conn = redis.Redis.from_url(REDIS_URL)
    for key in conn.scan_iter(f"{prefix}:*"):
        conn.delete(key)


@pytest.fixture(params=["database", "redis"])
def budget_factory(request: pytest.FixtureRequest, db: Database, redis_prefix: str) -> Callable[..., Budget]:
    """Builds a budget of the kind under test: (limit, window, clock) -> Budget."""

    def build(limit: int, window: float, clock: Callable[[], float] | None = None) -> Budget:
        extra = {"clock": clock} if clock else {}
        if request.param == "database":
            return DatabaseRateBudget(db, limit=limit, window=window, **extra)
        return RedisRateBudget(
            redis.Redis.from_url(REDIS_URL), limit=limit, window=window, prefix=redis_prefix, **extra
        )

    return build


SCHEDULING_JITTER = 0.05  # seconds between a grant and its request's arrival that a busy machine may add


def max_in_rolling_window(times: list[float], window: float) -> int:
    """The most events within any half-open span (t - window, t]."""
    times = sorted(times)
    best, start = 0, 0
    for end, t in enumerate(times):
        while times[start] <= t - window:
            start += 1
        best = max(best, end - start + 1)
    return best


def test_grants_up_to_the_limit_then_names_the_wait(budget_factory: Callable[..., Budget]) -> None:
    clock = ManualClock(EPOCH)
    budget = budget_factory(5, 60.0, clock)
    instance = uuid.uuid4().hex
    assert [budget.acquire(instance) for _ in range(5)] == [0.0] * 5
    wait = budget.acquire(instance)
    # Sent at t, counted until t + 60 s + the 2 s margin (plus at most one bucket of rounding).
    assert 62.0 <= wait <= 63.0
    assert budget.acquire(uuid.uuid4().hex) == 0.0  # other instances have their own budget
    clock.now += wait
    assert budget.acquire(instance) == 0.0


def test_never_more_than_the_limit_in_any_rolling_window(budget_factory: Callable[..., Budget]) -> None:
    clock = ManualClock(EPOCH)
    budget = budget_factory(20, 60.0, clock)
    instance = uuid.uuid4().hex
    rng = random.Random(7)
    granted: list[float] = []
    while clock.now < EPOCH + 400:
        # Bursty callers: some ask again at once, some after a pause, some honour the wait.
        wait = budget.acquire(instance)
        if wait == 0:
            granted.append(clock.now)
            clock.now += rng.choice([0.0, 0.0, 0.01, 0.5, 3.0])
        else:
            clock.now += rng.choice([wait, wait / 3, 0.2])
    assert max_in_rolling_window(granted, 60.0) <= 20
    # Not stingy either: over ~400 s it granted close to 20 per (60 + margin) s.
    assert len(granted) >= 20 * 6


@pytest.mark.slow
def test_two_clients_in_many_threads_never_trip_a_rolling_limiter(
    budget_factory: Callable[..., Budget],
    wix_settings: Callable[..., Settings],
    db: Database,
    fake_wix: FakeWixState,
    instance: str,
) -> None:
    limit, window = 8, 0.6  # 8 requests per 0.6 s rolling, like Wix's 200/min scaled down
    settings = wix_settings()
    clients = [
        WixClient(settings, db, budget=budget_factory(limit, window), retry=RetryPolicy(max_attempts=1))
        for _ in range(2)
    ]
    errors: list[BaseException] = []

    def work(client: WixClient) -> None:
        try:
            for _ in range(4):
                client.call(instance, "GET", "/v3/catalogs/c/items")
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(clients[n % 2],)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    arrivals = [c["at"] for c in fake_wix.calls]
    assert len(arrivals) == 24
    # Arrivals are seen after the grant, each delayed by its thread's scheduling: on a loaded machine two
    # grants a whole window apart can arrive up to a few tens of ms closer. At Wix's real 60 s window that is
    # nothing; at this test's 0.6 s it is several percent, so the window checked here allows it (50 ms).
    assert max_in_rolling_window(arrivals, window - SCHEDULING_JITTER) <= limit
    assert sum(c.stats.throttled_waits for c in clients) > 0
