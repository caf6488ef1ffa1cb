"""SPI responses: success bodies exactly as Wix reads them, errors in Wix's shape (wix-pos-spi.md §4).

Every body renders, whatever its strings hold: an error message may quote what the caller sent,
and a lone surrogate (`"\\ud800"` in the request JSON) cannot be encoded as UTF-8. Such characters
are rendered as U+FFFD rather than failing the response (which would reset the connection).
"""

from __future__ import annotations

import json
from typing import Any

from fastapi.responses import JSONResponse

from posbridge.errors import ErrorDetail, WixError
from posbridge.spi.wire import WireModel


class WixJSONResponse(JSONResponse):
    """A JSON response that renders any string: lone surrogates become U+FFFD."""

    def render(self, content: Any) -> bytes:
        """Compact UTF-8 JSON."""
        text = json.dumps(content, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
        try:
            return text.encode("utf-8")
        except UnicodeEncodeError:
            # UTF-16 pairs up what surrogates it can and replaces the lone ones.
            return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace").encode("utf-8")


def ok(model: WireModel) -> JSONResponse:
    """200 with the response's camelCase JSON."""
    return WixJSONResponse(model.to_wire())


def error(err: WixError) -> JSONResponse:
    """The error's HTTP status and its Wix-shaped body."""
    return WixJSONResponse(err.body(), status_code=err.http_status)


def internal_error(request_id: str | None, *, http_status: int = 500) -> JSONResponse:
    """A failure that is ours: the request id to quote, nothing about the internals."""
    params: dict[str, Any] = {"requestId": request_id} if request_id else {}
    message = "Internal error" if http_status == 500 else "Service temporarily unavailable"
    if request_id:
        message += f" (request id {request_id})"
    return error(WixError(ErrorDetail("SYSTEM_ERROR", message, params), http_status=http_status))


def not_found() -> JSONResponse:
    """No SPI method answers at this path."""
    return error(WixError.of("OTHER", "No such SPI method", http_status=404))


def method_not_allowed() -> JSONResponse:
    """SPI methods are POST only."""
    response = error(WixError.of("OTHER", "SPI methods accept POST only", http_status=405))
    response.headers["Allow"] = "POST"
    return response
