"""Business errors in Wix's vocabulary, raised by services and rendered by every adapter.

Services raise `WixError`; the SPI renders it in Wix's error shape (wix-pos-spi.md §4), the
admin API and CLI render the same code and message their own way.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# Wix's SyncFailedCode enum (wix-pos-spi.md §3).
SYNC_FAILED_CODES = [
    "NONE",
    "OTHER",
    "SYSTEM_ERROR",
    "ACCOUNT_NOT_FOUND",
    "ACCOUNT_NOT_AUTHORIZED",
    "LOCATION_NOT_FOUND",
    "ACCOUNT_NOT_CONNECTED",
    "ACCOUNT_CONFIGURATION",
    "OVERLOADED_MENU",
]

# HTTP status per code (wix-pos-spi.md §4): 404 unknown account/configuration, 428 failed
# precondition, 400 invalid argument or rejected order, 409 conflict.
_HTTP_STATUS = {
    "ACCOUNT_NOT_FOUND": 404,
    "LOCATION_NOT_FOUND": 404,
    "ACCOUNT_NOT_CONNECTED": 428,
    "ACCOUNT_NOT_AUTHORIZED": 428,
    "ACCOUNT_CONFIGURATION": 428,
    "CLOSED": 428,
    "SYSTEM_ERROR": 500,
}


@dataclass(frozen=True)
class ErrorDetail:
    """One failure: Wix's {code, message, params}."""

    code: str
    message: str
    params: dict[str, str] = field(default_factory=dict)

    def to_wire(self) -> dict[str, Any]:
        """The wire form, params as strings."""
        return {"code": self.code, "message": self.message, "params": {k: str(v) for k, v in self.params.items()}}


class WixError(Exception):
    """A failure reported to Wix: one or more details, an HTTP status, a top-level message."""

    def __init__(self, details: list[ErrorDetail] | ErrorDetail, *, http_status: int | None = None) -> None:
        self.details = [details] if isinstance(details, ErrorDetail) else list(details)
        if not self.details:
            raise ValueError("WixError needs at least one detail")
        first = self.details[0]
        self.code = first.code
        self.message = first.message if len(self.details) == 1 else "; ".join(d.message for d in self.details)
        self.http_status = http_status or _HTTP_STATUS.get(first.code, 400)
        super().__init__(self.message)

    @classmethod
    def of(cls, code: str, message: str, *, http_status: int | None = None, **params: Any) -> WixError:
        """One-detail shorthand."""
        return cls(ErrorDetail(code, message, {k: str(v) for k, v in params.items()}), http_status=http_status)

    def body(self) -> dict[str, Any]:
        """The body that satisfies both of Wix's error shapes (wix-pos-spi.md §4)."""
        data = {"errors": [d.to_wire() for d in self.details]}
        return {
            "message": self.message,
            "details": {"applicationError": {"code": self.code, "description": self.message, "data": data}},
            "applicationError": {"code": self.code, "data": data},
        }


class InvalidArgument(WixError):
    """The request itself is malformed (missing field, wrong type): 400."""

    def __init__(self, message: str, **params: Any) -> None:
        super().__init__(ErrorDetail("OTHER", message, {k: str(v) for k, v in params.items()}), http_status=400)
