"""The running emulator: its store plus the parts that are not persisted (faults, rate counts, log)."""

from __future__ import annotations

from collections import Counter, deque
from typing import Any

from wixsim.faults import FaultInjector
from wixsim.newgen.ecom_events import EventOutbox
from wixsim.outbox import Outbox
from wixsim.ratelimit import RateLimiter
from wixsim.state import Store

LOG_CAPACITY = 10000


class RequestLog:
    """Every call that reached the Wix APIs, newest last, with counts per endpoint."""

    def __init__(self) -> None:
        self.entries: deque[dict[str, Any]] = deque(maxlen=LOG_CAPACITY)
        self.counts: Counter[str] = Counter()
        self._seq = 0

    def add(self, entry: dict[str, Any]) -> None:
        """Append one call."""
        self._seq += 1
        entry["seq"] = self._seq
        self.entries.append(entry)
        self.counts[entry["endpoint"]] += 1

    def clear(self) -> None:
        """Forget every call."""
        self.entries.clear()
        self.counts.clear()

    def query(self, endpoint: str | None = None, instance_id: str | None = None) -> dict[str, Any]:
        """Entries filtered by endpoint/instance, and counts per endpoint over the filtered set."""
        rows = [
            e
            for e in self.entries
            if (endpoint is None or e["endpoint"] == endpoint)
            and (instance_id is None or e["instanceId"] == instance_id)
        ]
        counts = Counter(e["endpoint"] for e in rows)
        return {"requests": rows, "counts": dict(counts), "total": len(rows)}


class Sim:
    """Everything one wixsim server holds."""

    def __init__(self, store: Store, endpoints: frozenset[str] = frozenset()) -> None:
        self.store = store
        self.endpoints = endpoints
        self.faults = FaultInjector()
        self.limiter = RateLimiter()
        self.log = RequestLog()
        self.ecom_outbox = EventOutbox()
        self.menu_outbox = Outbox()  # menu and operation events (eCom events have their own)
        self.order_outbox = Outbox()  # Restaurants Orders v3 events (legacy sites)

    def reset(self) -> None:
        """Back to an empty emulator with the same app credentials and start-up settings."""
        self.store.reset()
        self.faults.clear()
        self.limiter.reset()
        self.log.clear()
        self.ecom_outbox.clear()
        self.menu_outbox.clear()
        self.order_outbox.clear()
