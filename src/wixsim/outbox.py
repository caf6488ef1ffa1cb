"""Webhooks Wix sends on its own (domain events): queued per instance, delivered in order, logged.

A write answers its caller first; its events go out right after, one instance's events strictly in the
order they were made, so a provider that calls back into the API while handling one never deadlocks
the emulator. `drain()` waits for everything queued (tests use it instead of sleeping). `stop()` (a reset) drops what
is queued and lets what is on the wire land first, so nothing from before a reset reaches the provider
after it.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Coroutine
from typing import Any, TypeVar

from wixsim import webhooks
from wixsim.clock import rfc3339
from wixsim.state import Store

LOG_CAPACITY = 10000
T = TypeVar("T")


class InFlight:
    """Webhook POSTs on the wire, so a reset can let them land rather than cut them mid-air.

    Cancelling a POST whose bytes were already written does not take them back: the provider still
    handles the request, maybe only after the reset returned (a fresh-clone run saw one land in the
    next test's clean slate). So a reset waits for the answer instead, bounded for a provider that
    never gives one.
    """

    def __init__(self) -> None:
        self._sends: set[asyncio.Task[Any]] = set()

    async def run(self, send: Coroutine[Any, Any, T]) -> T | None:
        """Await `send` as a tracked task; None when `settle` had to cut it."""
        task = asyncio.get_running_loop().create_task(send)
        self._sends.add(task)
        task.add_done_callback(self._sends.discard)
        try:
            # wait() rather than await: a cut send must not cancel the caller too (a checkout's
            # request handler delivers its own events and still answers).
            await asyncio.wait({task})
        except asyncio.CancelledError:
            task.cancel()
            raise
        return None if task.cancelled() else task.result()

    async def settle(self, bound: float) -> None:
        """Wait until every send on the wire was answered; cut those still out after `bound` seconds."""
        sends = set(self._sends)
        if not sends:
            return
        _done, late = await asyncio.wait(sends, timeout=bound)
        for task in late:
            task.cancel()
        if late:
            await asyncio.wait(late)


class Outbox:
    """Pending and sent webhooks, newest last."""

    def __init__(self) -> None:
        self.log: deque[dict[str, Any]] = deque(maxlen=LOG_CAPACITY)
        self._seq = 0
        self._tasks: set[asyncio.Task[None]] = set()
        self._locks: dict[str, asyncio.Lock] = {}
        self._in_flight = InFlight()
        # Bumped by stop(): a delivery of an older epoch still waiting for its turn is dropped unsent.
        self._epoch = 0

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
            task = asyncio.get_running_loop().create_task(self._deliver(store, entry, url, self._epoch))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        return entry

    async def _deliver(self, store: Store, entry: dict[str, Any], url: str, epoch: int) -> None:
        lock = self._locks.setdefault(entry["instanceId"], asyncio.Lock())
        async with lock:
            if epoch != self._epoch:
                return
            result = await self._in_flight.run(webhooks.deliver(store, url, entry["payload"]))
        if result is None:
            entry["error"] = "cut by a reset"
            return
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

    async def stop(self, bound: float) -> None:
        """Drop deliveries queued and let those in flight land (cut after `bound` seconds), so that
        nothing from before a reset reaches the provider after it."""
        self._epoch += 1
        await self._in_flight.settle(bound)
        # Every task left is waiting for its instance's lock and drops its event when it gets it.
        await asyncio.gather(*self._tasks, return_exceptions=True)
        # A lock still held belongs to a write made during the reset: keep it, or that instance's next
        # event could overtake the one it is sending.
        self._locks = {instance: lock for instance, lock in self._locks.items() if lock.locked()}

    def query(self, instance_id: str | None = None, event_type: str | None = None) -> list[dict[str, Any]]:
        """Logged events, filtered by instance and event type."""
        return [e for e in self.log if instance_id in (None, e["instanceId"]) and event_type in (None, e["eventType"])]

    def clear(self) -> None:
        """Forget the log (deliveries in flight still finish)."""
        self.log.clear()
