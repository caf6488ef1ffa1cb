"""Counts of Wix calls per endpoint (path template) and status, retries and throttled waits."""

from __future__ import annotations

import re
import threading
from collections import Counter
from typing import Any

# Literal path segments of the Wix APIs posbridge calls; any other segment is an id.
_VOCABULARY = frozenset(
    [
        "oauth2",
        "token",
        "token-info",
        "pos-integration",
        "configurations",
        "accounts",
        "disconnect",
        "catalogs",
        "draft-catalogs",
        "create",
        "bulk",
        "menus",
        "sections",
        "items",
        "dishes",
        "variations",
        "update",
        "archive",
        "unarchive",
        "publish",
        "discard",
        "orders",
        "accept",
        "cancel",
        "fulfill",
        "modifier-groups",
        "modifiers",
        "labels",
        "query",
        "search",
        "count",
    ]
)
_VERSION = re.compile(r"^v\d+$")


def path_template(path: str) -> str:
    """`/v3/catalogs/abc/items/42` → `/v3/catalogs/{id}/items/{id}` (ids become `{id}`)."""
    path = path.split("?", 1)[0]
    segments = [s if (s in _VOCABULARY or _VERSION.match(s) or not s) else "{id}" for s in path.split("/")]
    return "/".join(segments)


class CallStats:
    """Thread-safe counters; `as_dict()` is what a sync records as "calls made per endpoint"."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.calls: Counter[str] = Counter()  # "GET /v3/catalogs/{id}/menus" -> attempts sent
        self.statuses: Counter[str] = Counter()  # "200", "429", "TIMEOUT", ... -> attempts
        self.by_endpoint: dict[str, Counter[str]] = {}
        self.retries = 0
        self.throttled_waits = 0
        self.throttled_seconds = 0.0
        self.token_fetches = 0

    def record_call(self, endpoint: str, outcome: str) -> None:
        """One attempt sent to `endpoint` ("METHOD /template") ended with `outcome` (status or error code)."""
        with self._lock:
            self.calls[endpoint] += 1
            self.statuses[outcome] += 1
            self.by_endpoint.setdefault(endpoint, Counter())[outcome] += 1

    def record_retry(self) -> None:
        """One attempt is being repeated."""
        with self._lock:
            self.retries += 1

    def record_throttle(self, seconds: float) -> None:
        """The rate budget made a call wait."""
        with self._lock:
            self.throttled_waits += 1
            self.throttled_seconds += seconds

    def record_token_fetch(self) -> None:
        """An access token was requested from Wix."""
        with self._lock:
            self.token_fetches += 1

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready snapshot."""
        with self._lock:
            return {
                "calls": dict(self.calls),
                "statuses": dict(self.statuses),
                "byEndpoint": {k: dict(v) for k, v in self.by_endpoint.items()},
                "totalCalls": sum(self.calls.values()),
                "retries": self.retries,
                "throttledWaits": self.throttled_waits,
                "throttledSeconds": round(self.throttled_seconds, 3),
                "tokenFetches": self.token_fetches,
            }
