"""The one error a Wix call raises: Wix's answer (or the lack of one) after retries are spent."""

from __future__ import annotations

from typing import Any

import httpx

REQUEST_ID_HEADER = "x-wix-request-id"
# Codes for failures that never got an HTTP answer from Wix.
TIMEOUT = "TIMEOUT"
UNAVAILABLE = "UNAVAILABLE"


class WixApiError(Exception):
    """Wix answered with an error (status ≥ 400), or did not answer at all (status 0)."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        body: Any = None,
        request_id: str | None = None,
        *,
        method: str | None = None,
        path: str | None = None,
    ) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.body = body if body is not None else {}
        self.request_id = request_id
        self.method = method
        self.path = path

    @property
    def retryable(self) -> bool:
        """Whether trying the same call again later may succeed (throttled, server-side or network trouble)."""
        return is_retryable_status(self.status) or self.status == 0

    @classmethod
    def from_response(cls, response: httpx.Response, *, method: str, path: str) -> WixApiError:
        """Read Wix's error shape: `{message, details: {applicationError{code, description} | validationError}}`."""
        try:
            body: Any = response.json()
        except ValueError:
            body = {"raw": response.text[:2000]}
        code, message = f"HTTP_{response.status_code}", response.reason_phrase or "error"
        if isinstance(body, dict):
            details = body.get("details")
            details = details if isinstance(details, dict) else {}
            app_error = details.get("applicationError") if isinstance(details.get("applicationError"), dict) else None
            if app_error is not None:
                code = str(app_error.get("code") or code)
                message = str(body.get("message") or app_error.get("description") or message)
            elif isinstance(details.get("validationError"), dict):
                code = "INVALID_ARGUMENT"
                message = str(body.get("message") or message)
            elif body.get("message"):
                message = str(body["message"])
        return cls(
            response.status_code,
            code,
            message,
            body,
            response.headers.get(REQUEST_ID_HEADER),
            method=method,
            path=path,
        )

    @classmethod
    def from_transport(cls, exc: httpx.HTTPError, *, method: str, path: str) -> WixApiError:
        """A call that got no answer: timed out, refused, or the connection dropped."""
        code = TIMEOUT if isinstance(exc, httpx.TimeoutException) else UNAVAILABLE
        return cls(
            0, code, f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__, method=method, path=path
        )


def is_retryable_status(status: int) -> bool:
    """429 (throttled), 408 and every 5xx are worth another attempt; other 4xx are final."""
    return status in (408, 429) or status >= 500


def is_retryable_exception(exc: Exception, *, idempotent: bool = True) -> bool:
    """Timeouts, network errors and dropped connections are transient; protocol misuse is not.

    A call that must not run twice is retried only when it surely never reached Wix (no connection).
    """
    if not idempotent:
        return isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout | httpx.PoolTimeout)
    return isinstance(exc, httpx.TimeoutException | httpx.NetworkError | httpx.RemoteProtocolError)
