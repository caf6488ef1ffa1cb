"""Webhooks Wix sends on its own (domain events): queued per instance, delivered in order, logged.

A write answers its caller first; its events go out right after, one instance's events strictly in the
order they were made, so a provider that calls back into the API while handling one never deadlocks
the emulator. `drain()` waits for everything queued (tests use it instead of sleeping).
"""

from __future__ import annotations

import asyncio
from collections import deque
from typing import Any

from wixsim import webhooks
from wixsim.clock import rfc3339
from wixsim.state import Store

LOG_CAPACITY = 10000


class Outbox:
    """Pending and sent webhooks, newest last."""

    def __init__(self) -> None:
        self.log: deque[dict[str, Any]] = deque(maxlen=LOG_CAPACITY)
        self._seq = 0
        self._tasks: set[asyncio.Task[None]] = set()
        self._locks: dict[str, asyncio.Lock] = {}

    def enqueue(self, store: Store, instance_id: str, event_type: str, payload: dict[str, Any]) -> dict[str, Any]:
        """Log an event and schedule its delivery to the site's (else the default) webhook URL."""
        site = store.data.sites.get(instance_id)
        url = (site.webhook_url if site else None) or store.data.settings.default_webhook_url
        self._seq += 1
        entry: dict[str, Any] = {
            "seq": self._seq,
            "time": rfc3339(),
            "instanceId": instance_id,
            "eventType": event_type,
            "url": url,
            "payload": payload,
            "delivered": False,
            "status": None,
            "error": None if url else "no webhook URL",
        }
        self.log.append(entry)
        if url:
            task = asyncio.get_running_loop().create_task(self._deliver(store, entry, url))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        return entry

    async def _deliver(self, store: Store, entry: dict[str, Any], url: str) -> None:
        lock = self._locks.setdefault(entry["instanceId"], asyncio.Lock())
        async with lock:
            result = await webhooks.deliver(store, url, entry["payload"])
        entry.update(
            {
                "status": result["status"],
                "error": result["error"],
                "delivered": result["status"] is not None and 200 <= result["status"] < 300,
                "response": result["body"],
            }
        )

    async def drain(self, timeout: float = 30.0) -> bool:
        """Wait until every queued event was delivered or failed; False when the timeout ran out first."""
        if not self._tasks:
            return True
        _done, pending = await asyncio.wait(set(self._tasks), timeout=timeout)
        return not pending

    async def stop(self) -> None:
        """Cut deliveries queued or in flight, so nothing from before a reset arrives later."""
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._locks.clear()

    def query(self, instance_id: str | None = None, event_type: str | None = None) -> list[dict[str, Any]]:
        """Logged events, filtered by instance and event type."""
        return [e for e in self.log if instance_id in (None, e["instanceId"]) and event_type in (None, e["eventType"])]

    def clear(self) -> None:
        """Forget the log (deliveries in flight still finish)."""
        self.log.clear()
