"""Time helpers: one place that says what "now" is and how it is written on the wire."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime


def now() -> float:
    """Seconds since the epoch."""
    return time.time()


def rfc3339(ts: float | None = None) -> str:
    """RFC 3339 UTC timestamp with milliseconds, e.g. 2026-11-28T04:00:00.000Z."""
    moment = datetime.fromtimestamp(now() if ts is None else ts, tz=UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def new_id() -> str:
    """A fresh GUID, the form of every id Wix assigns."""
    return str(uuid.uuid4())
