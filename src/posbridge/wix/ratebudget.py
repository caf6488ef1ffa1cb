"""The per-instance request budget toward Wix, shared by every worker: a sliding window, never a fixed one.

Wix documents 200 requests per minute per app instance without saying how it counts; the
emulator counts over a rolling 60 s. A fixed-window client could send 200 at 0:59 and 200 more
at 1:00, twice the rate within one rolling minute, so both budgets here count over a sliding
window instead: at most `limit` sends in ANY span of `window + margin` seconds. The margin
absorbs network jitter (a call counted on send may reach Wix later than the next one) and small
clock differences between machines. A client that may not send now is told how long to wait.

`DatabaseRateBudget` keeps per-second buckets in `wix_rate_budget` (SQLite or PostgreSQL, the
embedded mode); `RedisRateBudget` keeps a sorted set of send times per instance (scaled mode).
"""

from __future__ import annotations

import math
import time
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol

from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from posbridge.config import Settings
from posbridge.store.db import Database
from posbridge.store.models import RateBudget

if TYPE_CHECKING:  # only the scaled mode needs redis installed and imported
    import redis

# Buckets per window: a bucket is a second of a 60 s window (finer buckets, more rows).
BUCKETS_PER_WINDOW = 60
# Extra span counted on top of the window: 2 s of a minute, and never under a quarter second
# (network jitter is absolute, it does not shrink with a short test window).
MARGIN_FRACTION = 1 / 30
MIN_MARGIN_SECONDS = 0.25
LOCK_ROW = -1  # window_start of the per-instance lock row
MIN_WAIT = 0.001


class Budget(Protocol):
    """Anything that can grant (and count) one request for an instance, or say how long to wait."""

    def acquire(self, instance_id: str) -> float:
        """0.0 when one request may be sent now (it is counted), else the seconds to wait before asking again."""
        ...


class _SlidingWindow:
    """The arithmetic both budgets share."""

    def __init__(self, limit: int, window: float) -> None:
        if limit < 1 or window <= 0:
            raise ValueError("rate limit and window must be positive")
        self.limit = limit
        self.window = window
        self.span = window + max(window * MARGIN_FRACTION, MIN_MARGIN_SECONDS)
        self.bucket = window / BUCKETS_PER_WINDOW
        # Any `span` seconds overlap at most ceil(span/bucket)+1 buckets, so counting that many is safe.
        self.buckets = math.ceil(self.span / self.bucket - 1e-9) + 1

    def bucket_of(self, now: float) -> int:
        return math.floor(now / self.bucket)


class DatabaseRateBudget(_SlidingWindow):
    """A sliding-window budget in the database, shared by every process that uses it."""

    def __init__(
        self, db: Database, *, limit: int, window: float = 60.0, clock: Callable[[], float] = time.time
    ) -> None:
        super().__init__(limit, window)
        self._db = db
        self._clock = clock
        self._insert = sqlite_insert if db.is_sqlite else pg_insert

    @classmethod
    def from_settings(cls, settings: Settings, db: Database) -> DatabaseRateBudget:
        """The configured budget over this database."""
        return cls(db, limit=settings.wix_rate_limit_per_minute, window=settings.wix_rate_window_seconds)

    def acquire(self, instance_id: str) -> float:
        """Count one request if the last `span` seconds hold fewer than `limit`; else the wait."""
        with self._db.transaction(write=True) as session:
            self._lock_instance(session, instance_id)
            now = self._clock()
            current = self.bucket_of(now)
            first = current - self.buckets + 1
            rows = session.execute(
                select(RateBudget.window_start, RateBudget.spent).where(
                    RateBudget.instance_id == instance_id,
                    RateBudget.window_start >= first,
                    RateBudget.window_start <= current,
                )
            ).all()
            if sum(spent for _start, spent in rows) >= self.limit:
                oldest = min(start for start, spent in rows if spent > 0)
                # The oldest bucket leaves the counted range when `current` reaches oldest + buckets.
                return max(MIN_WAIT, (oldest + self.buckets) * self.bucket - now)
            upsert = self._insert(RateBudget).values(instance_id=instance_id, window_start=current, spent=1)
            session.execute(
                upsert.on_conflict_do_update(
                    index_elements=[RateBudget.instance_id, RateBudget.window_start],
                    set_={"spent": RateBudget.spent + 1},
                )
            )
            session.execute(
                delete(RateBudget).where(
                    RateBudget.instance_id == instance_id,
                    RateBudget.window_start > LOCK_ROW,
                    RateBudget.window_start < first,
                )
            )
            return 0.0

    def _lock_instance(self, session: Session, instance_id: str) -> None:
        """Serialise budget decisions per instance across processes (PostgreSQL row lock on the lock row).

        Without it two transactions counting different buckets could each see room for the last
        request. On SQLite the IMMEDIATE write transaction already serialises every writer.
        """
        session.execute(
            self._insert(RateBudget)
            .values(instance_id=instance_id, window_start=LOCK_ROW, spent=0)
            .on_conflict_do_nothing(index_elements=[RateBudget.instance_id, RateBudget.window_start])
        )
        session.execute(
            select(RateBudget.spent)
            .where(RateBudget.instance_id == instance_id, RateBudget.window_start == LOCK_ROW)
            .with_for_update()
        )


# Atomic in Redis: drop sends older than the span, grant if fewer than the limit remain, else the wait.
_REDIS_ACQUIRE = """
local key = KEYS[1]
local now = tonumber(ARGV[1])
local span = tonumber(ARGV[2])
local limit = tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', key, '-inf', now - span)
if redis.call('ZCARD', key) < limit then
  redis.call('ZADD', key, now, ARGV[4])
  redis.call('PEXPIRE', key, math.ceil(span * 1000) + 1000)
  return '0'
end
local oldest = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')
return tostring(tonumber(oldest[2]) + span - now)
"""


class RedisRateBudget(_SlidingWindow):
    """A sliding-window budget in Redis (a sorted set of send times per instance), for scaled-out workers."""

    def __init__(
        self,
        client: redis.Redis,
        *,
        limit: int,
        window: float = 60.0,
        prefix: str = "posbridge:wix-budget",
        clock: Callable[[], float] = time.time,
    ) -> None:
        super().__init__(limit, window)
        self._redis = client
        self._prefix = prefix
        self._clock = clock
        self._script = client.register_script(_REDIS_ACQUIRE)

    @classmethod
    def from_settings(cls, settings: Settings, *, prefix: str = "posbridge:wix-budget") -> RedisRateBudget:
        """The configured budget on the configured Redis."""
        import redis  # here, not at the top: only the scaled mode needs redis

        return cls(
            redis.Redis.from_url(settings.redis_url),
            limit=settings.wix_rate_limit_per_minute,
            window=settings.wix_rate_window_seconds,
            prefix=prefix,
        )

    def acquire(self, instance_id: str) -> float:
        """Count one request if the last `span` seconds hold fewer than `limit`; else the wait."""
        now = self._clock()
        member = f"{now:.6f}:{uuid.uuid4().hex}"
        wait = float(self._script(keys=[f"{self._prefix}:{instance_id}"], args=[now, self.span, self.limit, member]))
        return 0.0 if wait <= 0 else max(MIN_WAIT, wait)


def budget_for(settings: Settings, db: Database) -> Budget:
    """Redis in scaled mode (queue = redis), the database otherwise."""
    if settings.queue == "redis":
        return RedisRateBudget.from_settings(settings)
    return DatabaseRateBudget.from_settings(settings, db)
