"""When to try a Wix call again and how long to wait: Retry-After, else exponential backoff with full jitter."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime

from posbridge.config import Settings


@dataclass(frozen=True)
class RetryPolicy:
    """Bounded attempts and bounded total time; waits grow as base·2ⁿ (capped) with full jitter."""

    max_attempts: int = 5
    base_delay: float = 0.5
    max_delay: float = 30.0
    max_total: float = 120.0
    rng: random.Random = field(default_factory=random.Random, compare=False, repr=False)

    @classmethod
    def from_settings(cls, settings: Settings) -> RetryPolicy:
        """The policy configured for this deployment."""
        return cls(
            max_attempts=max(1, settings.wix_max_attempts),
            base_delay=settings.wix_retry_base_seconds,
            max_total=settings.wix_retry_max_seconds,
        )

    def backoff(self, attempt: int) -> float:
        """Full jitter after the `attempt`-th failure: uniform in [0, min(cap, base·2^(attempt-1))]."""
        # Full jitter spreads the retries of many workers hit by the same outage (AWS architecture blog).
        return self.rng.uniform(0.0, min(self.max_delay, self.base_delay * 2 ** max(0, attempt - 1)))

    def delay(self, attempt: int, retry_after: float | None) -> float:
        """Seconds to wait before the next attempt; Wix's Retry-After wins when it sent one."""
        return retry_after if retry_after is not None else self.backoff(attempt)


def parse_retry_after(value: str | None, *, now: float) -> float | None:
    """Retry-After as seconds (delta-seconds or an HTTP date), None when absent or unreadable."""
    if value is None or not value.strip():
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - now)
    except (TypeError, ValueError):
        return None
