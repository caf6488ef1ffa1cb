"""Talking to a merchant's own POS over HTTP: Standard Webhooks signing, one delivery attempt, backoff.

Each webhook is signed per the Standard Webhooks specification (https://www.standardwebhooks.com):
`webhook-id` (the message id, the same on every attempt so the POS can drop a repeat),
`webhook-timestamp` (unix seconds of this attempt) and `webhook-signature` (`v1,` + base64 of
HMAC-SHA256 over `id.timestamp.body` with the secret's bytes). Signing is the `standardwebhooks`
package's own, so what a POS verifies with any Standard Webhooks library is what was signed here.

How an answer is read (docs/decisions.md "A merchant's own POS"): any 2xx is delivered (a JSON body
`{"posOrderId": "..."}` gives the POS's own id for the order); 400, 409, 410 and 422 are the POS
refusing the message for good; everything else (other 4xx, 5xx, a timeout, a refused connection)
is tried again with backoff, honouring `Retry-After`, until the retry window ends.
"""

from __future__ import annotations

import base64
import json
import secrets
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any

import httpx
from standardwebhooks.webhooks import Webhook

SECRET_PREFIX = "whsec_"
EVENT_CREATED = "order.created"
EVENT_CANCELED = "order.canceled"
# Answers that mean "never send this again": the POS read the message and will not take it.
REFUSALS = frozenset({400, 409, 410, 422})
MAX_POS_ORDER_ID = 128  # the column it lands in
MAX_ERROR = 500
# Backoff: 5 s, 10 s, 20 s … doubling up to one hour between attempts; the whole window is 24 h.
# The first and longest wait are settings (POSBRIDGE_POS_RETRY_*), so a test's POS outage is short.
FIRST_DELAY = timedelta(seconds=5)
MAX_DELAY = timedelta(hours=1)
RETRY_WINDOW = timedelta(hours=24)


@dataclass(frozen=True)
class Backoff:
    """The waits between a delivery's failed attempts: `first`, doubling, never more than `maximum`."""

    first: timedelta = FIRST_DELAY
    maximum: timedelta = MAX_DELAY


def new_secret() -> str:
    """A fresh signing secret in the spec's form: `whsec_` + base64 of 32 random bytes."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def message_id() -> str:
    """A message id for `webhook-id` (unique per message, kept across its attempts)."""
    return "msg_" + secrets.token_hex(16)


def signed_headers(secret: str, msg_id: str, at: datetime, body: str) -> dict[str, str]:
    """The three Standard Webhooks headers for `body` sent at `at` (an aware datetime)."""
    at_utc = at.astimezone(UTC)  # the package reads the wall time as UTC: convert, never relabel
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(at_utc.timestamp())),
        "webhook-signature": Webhook(secret).sign(msg_id, at_utc, body),
        "content-type": "application/json",
    }


def body_text(payload: dict[str, Any]) -> str:
    """The exact text that is signed and sent (compact, key order kept)."""
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False)


@dataclass(frozen=True)
class Attempt:
    """How one attempt went."""

    delivered: bool
    refused: bool  # the POS refused the message for good (no retry helps)
    status_code: int | None
    error: str | None
    duration_ms: int
    pos_order_id: str | None = None  # the POS's own id for the order, when it answered one
    retry_after: float | None = None  # seconds the POS asked us to wait


def send(client: httpx.Client, url: str, secret: str, msg_id: str, body: str, at: datetime) -> Attempt:
    """POST one signed webhook to the POS and read its answer; never raises for what the POS does."""
    started = time.monotonic()
    try:
        response = client.post(url, content=body.encode(), headers=signed_headers(secret, msg_id, at, body))
    except httpx.HTTPError as exc:
        return Attempt(False, False, None, _short(f"{type(exc).__name__}: {exc}"), _ms(started))
    elapsed = _ms(started)
    code = response.status_code
    if 200 <= code < 300:
        return Attempt(True, False, code, None, elapsed, pos_order_id=_pos_order_id(response))
    error = _short(f"HTTP {code}: {response.text}")
    return Attempt(False, code in REFUSALS, code, error, elapsed, retry_after=_retry_after(response, at))


def next_delay(attempts: int, retry_after: float | None = None, backoff: Backoff = Backoff()) -> timedelta:
    """How long to wait after the `attempts`-th failed attempt (at least what the POS asked for)."""
    delay = min(backoff.first * (2 ** max(attempts - 1, 0)), backoff.maximum)
    if retry_after is not None:
        delay = max(delay, min(timedelta(seconds=retry_after), backoff.maximum))
    return delay


def _pos_order_id(response: httpx.Response) -> str | None:
    """The `posOrderId` of a JSON answer, when it is a usable string (anything else is ignored)."""
    try:
        body = response.json()
    except ValueError:
        return None
    value = body.get("posOrderId") if isinstance(body, dict) else None
    if isinstance(value, str) and 0 < len(value.strip()) <= MAX_POS_ORDER_ID:
        return value.strip()
    return None


def _retry_after(response: httpx.Response, at: datetime) -> float | None:
    raw = response.headers.get("retry-after")
    if raw is None:
        return None
    raw = raw.strip()
    if raw.isdigit():
        return float(raw)
    try:
        when = parsedate_to_datetime(raw)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        return None
    return max((when - at).total_seconds(), 0.0)


def _short(text: str) -> str:
    return text if len(text) <= MAX_ERROR else text[: MAX_ERROR - 1] + "…"


def _ms(started: float) -> int:
    return int((time.monotonic() - started) * 1000)
