"""A merchant's own POS, small and real: it takes posbridge's order webhooks over HTTP and talks back.

It verifies every webhook's Standard Webhooks signature with the `standardwebhooks` package (a
webhook whose signature does not verify is answered 401 and recorded as rejected), records what it
took, can fail on purpose (`fail_next`, `down`, `refuse`), answers the created webhook with its own
order id (`<id_prefix><n>`, unless `answer_ids` is off; the prefix differs per emulator, so tests
sharing a database never find two merchants' orders by one POS id), and reports status changes to
posbridge with the merchant's API key (`report_status`).

Timestamps are judged against `clock` (the tests' injected clock when they move time), within the
spec's five minutes.
"""

from __future__ import annotations

import json
import secrets
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from standardwebhooks.webhooks import Webhook
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.support.server import free_port, serve_in_thread

TOLERANCE = timedelta(minutes=5)


@dataclass
class Received:
    """A webhook the POS took."""

    message_id: str
    timestamp: int
    body: dict[str, Any]
    headers: dict[str, str]


@dataclass
class PosEmulator:
    """The POS's state; `url` is where it takes webhooks once started."""

    secret: str = ""
    clock: Callable[[], datetime] = lambda: datetime.now(UTC)
    answer_ids: bool = True
    id_prefix: str = field(default_factory=lambda: f"T{secrets.token_hex(3)}-")
    down: bool = False  # answer 503 to everything
    refuse: bool = False  # answer 422 (the POS will never take the order)
    retry_after: int | None = None
    url: str = ""
    received: list[Received] = field(default_factory=list)
    rejected: list[str] = field(default_factory=list)  # why a webhook was not accepted (bad signature…)
    attempts: int = 0
    _fail_next: int = 0
    _ids: dict[str, str] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def fail_next(self, count: int) -> None:
        """Answer the next `count` webhooks 503."""
        with self._lock:
            self._fail_next = count

    def events(self) -> list[tuple[str, str]]:
        """(type, wixOrderId) of each webhook taken, in arrival order (repeats included)."""
        return [(r.body["type"], r.body["data"]["wixOrderId"]) for r in self.received]

    def unique(self) -> list[Received]:
        """What it took, each message once (a repeat of a message id is the same message)."""
        seen: dict[str, Received] = {}
        for r in self.received:
            seen.setdefault(r.message_id, r)
        return list(seen.values())

    async def webhook(self, request: Request) -> Response:
        raw = (await request.body()).decode()
        with self._lock:
            self.attempts += 1
            if self.down or self._fail_next > 0:
                self._fail_next = max(self._fail_next - 1, 0)
                headers = {"Retry-After": str(self.retry_after)} if self.retry_after is not None else None
                return JSONResponse({"error": "POS unavailable"}, status_code=503, headers=headers)
        problem = self._verify(raw, dict(request.headers))
        if problem is not None:
            self.rejected.append(problem)
            return JSONResponse({"error": problem}, status_code=401)
        if self.refuse:
            return JSONResponse({"error": "item 86'd in the POS"}, status_code=422)
        body = json.loads(raw)
        with self._lock:
            self.received.append(
                Received(
                    request.headers["webhook-id"],
                    int(request.headers["webhook-timestamp"]),
                    body,
                    dict(request.headers),
                )
            )
            wix_id = body["data"]["wixOrderId"]
            own = self._ids.setdefault(wix_id, f"{self.id_prefix}{len(self._ids) + 1}")
        if body["type"] == "order.created" and self.answer_ids:
            return JSONResponse({"posOrderId": own})
        return JSONResponse({"ok": True})

    def _verify(self, raw: str, headers: dict[str, str]) -> str | None:
        try:
            timestamp = int(headers.get("webhook-timestamp", ""))
        except ValueError:
            return "no webhook-timestamp"
        sent = datetime.fromtimestamp(timestamp, UTC)
        if abs(self.clock() - sent) > TOLERANCE:
            return "timestamp outside the tolerance"
        # The package judges time by the wall clock, so it verifies at the send time; the check above
        # judged the timestamp against the (possibly injected) clock.
        expected = Webhook(self.secret).sign(headers.get("webhook-id", ""), sent, raw)
        given = headers.get("webhook-signature", "").split(" ")
        return None if expected in given else "signature does not verify"

    def app(self) -> Starlette:
        return Starlette(routes=[Route("/webhooks", self.webhook, methods=["POST"])])


def report_status(
    posbridge_url: str, api_key: str, order_id: str, status: str, reason: str | None = None
) -> httpx.Response:
    """The POS reports a status change of one of its orders to posbridge."""
    body: dict[str, Any] = {"status": status}
    if reason is not None:
        body["reason"] = reason
    return httpx.post(
        f"{posbridge_url}/api/v1/pos/orders/{order_id}/status",
        json=body,
        headers={"Authorization": f"Bearer {api_key}"},
        timeout=10,
    )


@contextmanager
def running_pos(emulator: PosEmulator, *, port: int | None = None) -> Iterator[PosEmulator]:
    """Serve the emulator on a free (or the given) port until the block ends."""
    with serve_in_thread(emulator.app(), port=port or free_port()) as base:
        emulator.url = f"{base}/webhooks"
        yield emulator
