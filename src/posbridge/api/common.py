"""What every admin API module shares: the operator-token guard, one error shape, the database.

Routers of the admin API are built with `admin_router()`, so their errors render as
`{"message", "code", "details"}` with a proper status code, whatever raised them (a service's
`WixError`, a rejected body, the token guard).
"""

from __future__ import annotations

import hmac
from collections.abc import Callable, Coroutine, Iterator
from typing import Any

from fastapi import APIRouter, Depends, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.exc import OperationalError
from starlette.exceptions import HTTPException

from posbridge.errors import WixError
from posbridge.logs import get_logger, request_id_var
from posbridge.services.queries import ApiModel
from posbridge.store.db import Database, unavailable_reason
from posbridge.wix.client import WixClient
from posbridge.wix.errors import WixApiError

log = get_logger("api")


class ErrorBody(ApiModel):
    """Every admin API error: a readable message, a stable code, and details (per-field or per-problem)."""

    message: str
    code: str
    details: dict[str, Any] = {}


class ApiError(Exception):
    """An admin API refusal that is not a business rule (auth, body size, malformed JSON)."""

    def __init__(self, status: int, code: str, message: str, details: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.details = status, code, message, details or {}


def error_response(status: int, code: str, message: str, details: dict[str, Any] | None = None) -> JSONResponse:
    """The one error shape."""
    body = ErrorBody(message=message, code=code, details=details or {})
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return JSONResponse(body.model_dump(mode="json"), status_code=status, headers=headers)


class AdminRoute(APIRoute):
    """A route whose failures all render as `ErrorBody`."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        """Wrap FastAPI's handler so errors raised while solving dependencies or running it are rendered."""
        handler = super().get_route_handler()

        async def render_errors(request: Request) -> Response:
            try:
                return await handler(request)
            except ApiError as exc:
                return error_response(exc.status, exc.code, exc.message, exc.details)
            except WixError as exc:
                return error_response(
                    exc.http_status, exc.code, exc.message, {"errors": [d.to_wire() for d in exc.details]}
                )
            except RequestValidationError as exc:
                return _validation_response(exc)
            except WixApiError as exc:
                # Wix's trouble is not the operator's request, nor a bug here: a gateway error naming it.
                details = {"wixStatus": exc.status}
                return error_response(502, "WIX_UNAVAILABLE", f"Wix could not be asked: {exc}", details)
            except OperationalError as exc:
                # The database is down, frozen or locked past its budget: transient, so the operator
                # may retry. One line per call, not a traceback (an outage would flood the log).
                log.warning(
                    "api.database_unavailable",
                    path=request.url.path,
                    request_id=request_id_var.get(),
                    error=unavailable_reason(exc),
                )
                return error_response(503, "DATABASE_UNAVAILABLE", "The database is not answering; try again shortly")
            except HTTPException as exc:
                # FastAPI's own refusals (e.g. a body it cannot parse) speak `{"detail"}`; not here.
                code = _HTTP_CODES.get(exc.status_code, "INVALID_REQUEST")
                return error_response(exc.status_code, code, _detail(exc))

        return render_errors


_HTTP_CODES = {400: "INVALID_JSON", 413: "TOO_LARGE", 415: "UNSUPPORTED_MEDIA_TYPE"}


def _detail(exc: HTTPException) -> str:
    return exc.detail if isinstance(exc.detail, str) and exc.detail else "The request is not valid"


def _validation_response(exc: RequestValidationError) -> JSONResponse:
    errors = [
        {"field": ".".join(str(part) for part in error.get("loc", ())), "message": str(error.get("msg", ""))}
        for error in exc.errors()
    ]
    if any(error.get("type") == "json_invalid" for error in exc.errors()):
        return error_response(400, "INVALID_JSON", "The request body is not valid JSON", {"errors": errors})
    return error_response(422, "INVALID_ARGUMENT", "The request is not valid", {"errors": errors})


_bearer = HTTPBearer(auto_error=False, description="The operator token (POSBRIDGE_ADMIN_TOKEN).")


def require_operator(request: Request, credentials: HTTPAuthorizationCredentials | None = Depends(_bearer)) -> None:
    """Let only the operator through: `Authorization: Bearer <POSBRIDGE_ADMIN_TOKEN>`, compared in constant time."""
    expected = request.app.state.settings.admin_token
    if not expected:
        raise ApiError(503, "ADMIN_API_DISABLED", "admin API disabled (POSBRIDGE_ADMIN_TOKEN is not set)")
    given = credentials.credentials if credentials is not None else ""
    if not hmac.compare_digest(given.encode(), expected.encode()):
        raise ApiError(401, "UNAUTHENTICATED", "A valid operator token is required (Authorization: Bearer …)")


def admin_router(**kwargs: Any) -> APIRouter:
    """A router for an admin API module: operator-only, errors in the one shape."""
    return APIRouter(route_class=AdminRoute, dependencies=[Depends(require_operator)], **kwargs)


def database(request: Request) -> Database:
    """The application's database (a dependency)."""
    db: Database = request.app.state.db
    return db


def wix_client(request: Request) -> Iterator[WixClient]:
    """A Wix client (a dependency): the job queue's when the app has one, else one for this request."""
    jobs = getattr(request.app.state, "jobs", None)
    if jobs is not None:
        # The queue's client: one token cache and one rate budget for every caller in this process.
        yield jobs.client
        return
    client = WixClient(request.app.state.settings, request.app.state.db)
    try:
        yield client
    finally:
        client.close()


# What each status means on the admin API; every route lists the ones it can answer (`errors()`).
_STATUSES = {
    400: "Malformed request (body not JSON), or input a business rule refuses",
    401: "Missing or wrong operator token",
    403: "The POS credentials are not valid for the account",
    404: "Not found (or another instance's)",
    409: "Conflicts with the current state",
    413: "Body too large",
    422: "Invalid body, path or query parameters",
    428: "A precondition does not hold (app not installed, account not connected or not authorized)",
    502: "Wix could not be asked, or answered unexpectedly (nothing was written)",
    503: "Admin API disabled (POSBRIDGE_ADMIN_TOKEN is not set), or the database is not answering",
}
# Every route answers these: the token guard, parameter validation, the switched-off API or database.
_ALWAYS = (401, 422, 503)


def errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """The OpenAPI `responses` of a route: the error statuses it answers, all in the one ErrorBody shape."""
    return {status: {"model": ErrorBody, "description": _STATUSES[status]} for status in sorted({*_ALWAYS, *statuses})}
