"""Query-string parameters as Wix's REST APIs take them (booleans, repeated lists, integers)."""

from __future__ import annotations

from fastapi import Request

from wixsim.errors import WixValidationError


def query_bool(request: Request, name: str, default: bool = False) -> bool:
    """A boolean query parameter ("true"/"false")."""
    raw = request.query_params.get(name)
    if raw is None:
        return default
    if raw.lower() not in ("true", "false", "1", "0"):
        raise WixValidationError(name, "must be true or false")
    return raw.lower() in ("true", "1")


def query_list(request: Request, name: str) -> list[str]:
    """A repeated (or comma-separated) query parameter."""
    values: list[str] = []
    for raw in request.query_params.getlist(name):
        values.extend(v for v in raw.split(",") if v)
    return values


def query_int(request: Request, name: str, default: int) -> int:
    """An integer query parameter."""
    raw = request.query_params.get(name)
    if raw is None:
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise WixValidationError(name, "must be an integer") from exc


def offset_paging(request: Request, default_limit: int, max_limit: int) -> tuple[int, int]:
    """(`paging.limit`, `paging.offset`) of a list call: 0..max_limit and non-negative, else 400."""
    limit = query_int(request, "paging.limit", default_limit)
    offset = query_int(request, "paging.offset", 0)
    if not 0 <= limit <= max_limit:
        raise WixValidationError("paging.limit", f"must be at most {max_limit}", "MAX")
    if offset < 0:
        raise WixValidationError("paging.offset", "must be non-negative", "MIN")
    return limit, offset
