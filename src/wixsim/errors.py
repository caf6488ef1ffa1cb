"""Wix's error shapes: application errors and validation errors, as Wix's own APIs send them."""

from __future__ import annotations

import json
from typing import Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse


class WixApiError(Exception):
    """An error answered in Wix's shape: {message, details: {applicationError{code, description, data}}}."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        data: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.data = data or {}
        self.headers = headers or {}

    def body(self) -> dict[str, Any]:
        """The JSON body Wix sends for this error."""
        return application_error_body(self.code, self.message, self.data)


class WixValidationError(WixApiError):
    """A 400 with Wix's validationError.fieldViolations detail."""

    def __init__(self, field: str, description: str, rule: str = "INVALID") -> None:
        super().__init__(400, "INVALID_ARGUMENT", f"{field}: {description}")
        self.field = field
        self.rule = rule

    def body(self) -> dict[str, Any]:
        """Validation error body with one field violation."""
        return {
            "message": self.message,
            "details": {
                "validationError": {
                    "fieldViolations": [{"field": self.field, "description": self.message, "violatedRule": self.rule}]
                }
            },
        }


def application_error_body(code: str, message: str, data: dict[str, Any] | None = None) -> dict[str, Any]:
    """Wix's application error body."""
    return {
        "message": message,
        "details": {"applicationError": {"code": code, "description": message, "data": data or {}}},
    }


async def wix_error_handler(_request: Request, exc: Exception) -> JSONResponse:
    """Render a WixApiError."""
    assert isinstance(exc, WixApiError)
    return JSONResponse(exc.body(), status_code=exc.status, headers=exc.headers)


async def request_validation_handler(_request: Request, exc: Exception) -> JSONResponse:
    """Render FastAPI's request validation failures as Wix validation errors (400)."""
    assert isinstance(exc, RequestValidationError)
    violations = [
        {
            "field": ".".join(str(p) for p in err.get("loc", ()) if p != "body"),
            "description": err.get("msg", "invalid"),
            "violatedRule": err.get("type", "INVALID"),
        }
        for err in exc.errors()
    ]
    return JSONResponse(
        {"message": "Invalid request", "details": {"validationError": {"fieldViolations": violations}}},
        status_code=400,
    )


async def json_body(request: Request) -> dict[str, Any]:
    """The request's JSON object body ({} when empty); 400 when it is not a JSON object."""
    raw = await request.body()
    if not raw.strip():
        return {}
    try:
        value = json.loads(raw)
    except ValueError as exc:
        raise WixValidationError("body", "Body is not valid JSON", "FORMAT") from exc
    if not isinstance(value, dict):
        raise WixValidationError("body", "Body must be a JSON object", "FORMAT")
    return value
