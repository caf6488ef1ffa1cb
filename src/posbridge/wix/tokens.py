"""Per-instance OAuth access tokens (client credentials): cached, refreshed before expiry, dropped on 401."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

# Refresh this long before Wix's expiry so a token never expires in flight (at most half its life).
REFRESH_MARGIN_SECONDS = 60.0


@dataclass(frozen=True)
class AccessToken:
    """A token and the monotonic time from which it should be replaced."""

    value: str
    refresh_at: float


class TokenCache:
    """Tokens per app instance, in memory; one fetch at a time per instance, instances never block each other."""

    def __init__(
        self, fetch: Callable[[str], tuple[str, float]], *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._fetch = fetch  # instance_id -> (access token, expires_in seconds)
        self._clock = clock
        self._tokens: dict[str, AccessToken] = {}
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()

    def _lock_for(self, instance_id: str) -> threading.Lock:
        with self._guard:
            return self._locks.setdefault(instance_id, threading.Lock())

    def get(self, instance_id: str) -> str:
        """A token for the instance that is not about to expire, fetching one when needed."""
        token = self._tokens.get(instance_id)
        if token is not None and self._clock() < token.refresh_at:
            return token.value
        with self._lock_for(instance_id):
            # Another thread may have refreshed it while we waited for the lock.
            token = self._tokens.get(instance_id)
            if token is not None and self._clock() < token.refresh_at:
                return token.value
            started = self._clock()
            value, expires_in = self._fetch(instance_id)
            margin = min(REFRESH_MARGIN_SECONDS, expires_in / 2)
            self._tokens[instance_id] = AccessToken(value, started + expires_in - margin)
            return value

    def invalidate(self, instance_id: str, value: str) -> None:
        """Forget the instance's token if it is still `value` (Wix refused it); a newer one is kept."""
        with self._lock_for(instance_id):
            current = self._tokens.get(instance_id)
            if current is not None and current.value == value:
                del self._tokens[instance_id]
