"""Per-instance sliding-window rate limit (Wix: 200 requests per minute per app instance)."""

from __future__ import annotations

import math
from collections import deque

from wixsim.clock import now

WINDOW_SECONDS = 60.0


class RateLimiter:
    """Counts requests per instance over the last minute."""

    def __init__(self) -> None:
        self._hits: dict[str, deque[float]] = {}

    def check(self, instance_id: str, limit: int | None) -> int | None:
        """Record a request; None if allowed, else the Retry-After seconds (request not counted)."""
        if not limit or limit <= 0:
            return None
        moment = now()
        hits = self._hits.setdefault(instance_id, deque())
        while hits and hits[0] <= moment - WINDOW_SECONDS:
            hits.popleft()
        if len(hits) >= limit:
            return max(1, math.ceil(hits[0] + WINDOW_SECONDS - moment))
        hits.append(moment)
        return None

    def reset(self) -> None:
        """Forget all counts."""
        self._hits.clear()
