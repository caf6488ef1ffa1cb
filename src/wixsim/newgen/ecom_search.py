"""eCom SearchOrders: Wix's filter language over dotted field paths, sort and cursor paging."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any

from wixsim.errors import WixValidationError
from wixsim.newgen.ecom_state import Entity

DEFAULT_LIMIT = 50
MAX_LIMIT = 100
OPERATORS = ("$eq", "$ne", "$in", "$nin", "$gt", "$gte", "$lt", "$lte", "$exists", "$startsWith", "$hasSome")


def _get(entity: Entity, path: str) -> Any:
    node: Any = entity
    for key in path.split("."):
        if key == "_id":
            key = "id"
        elif key.startswith("_") and key[1:] in ("createdDate", "updatedDate"):
            key = key[1:]
        if isinstance(node, list):
            node = [n.get(key) for n in node if isinstance(n, dict)]
        elif isinstance(node, dict):
            node = node.get(key)
        else:
            return None
    return node


def _comparable(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return Decimal(value) if value.replace(".", "", 1).lstrip("-").isdigit() else value
        except InvalidOperation:
            return value
    return value


def _compare(actual: Any, op: str, expected: Any) -> bool:
    values = actual if isinstance(actual, list) else [actual]
    if op == "$exists":
        return (actual is not None and actual != []) == bool(expected)
    if op == "$ne":
        return expected not in values
    if op == "$nin":
        return not any(v in expected for v in values)
    if op in ("$in", "$hasSome"):
        if not isinstance(expected, list):
            raise WixValidationError("search.filter", f"{op} takes a list")
        return any(v in expected for v in values)
    if op == "$startsWith":
        return any(isinstance(v, str) and v.startswith(str(expected)) for v in values)
    if op == "$eq":
        return expected in values
    target = _comparable(expected)
    for v in values:
        if v is None:
            continue
        value = _comparable(v)
        try:
            if (
                (op == "$gt" and value > target)
                or (op == "$gte" and value >= target)
                or (op == "$lt" and value < target)
                or (op == "$lte" and value <= target)
            ):
                return True
        except TypeError:
            continue
    return False


def matches(entity: Entity, flt: Any) -> bool:
    """Whether an order satisfies a filter; unknown operators are a 400."""
    if not flt:
        return True
    if not isinstance(flt, dict):
        raise WixValidationError("search.filter", "must be an object")
    for key, cond in flt.items():
        if key == "$and":
            if not all(matches(entity, c) for c in cond):
                return False
        elif key == "$or":
            if not any(matches(entity, c) for c in cond):
                return False
        elif key == "$not":
            if matches(entity, cond):
                return False
        elif key.startswith("$"):
            raise WixValidationError("search.filter", f"unknown operator {key}")
        else:
            actual = _get(entity, key)
            if isinstance(cond, dict) and cond and all(k.startswith("$") for k in cond):
                for op, expected in cond.items():
                    if op not in OPERATORS:
                        raise WixValidationError("search.filter", f"unknown operator {op}")
                    if not _compare(actual, op, expected):
                        return False
            elif not _compare(actual, "$eq", cond):
                return False
    return True


def _encode(state: Entity) -> str:
    return base64.urlsafe_b64encode(json.dumps(state).encode()).decode()


def _decode(cursor: str) -> Entity:
    try:
        state = json.loads(base64.urlsafe_b64decode(cursor.encode()))
    except (ValueError, binascii.Error) as exc:
        raise WixValidationError("search.cursorPaging.cursor", "invalid cursor") from exc
    if not isinstance(state, dict) or not isinstance(state.get("o"), int):
        raise WixValidationError("search.cursorPaging.cursor", "invalid cursor")
    return state


def _sort_key(field: str) -> Callable[[Entity], tuple[int, Any]]:
    """Numbers before strings before anything else, so mixed values never fail to compare."""

    def key(order: Entity) -> tuple[int, Any]:
        value = _comparable(_get(order, field))
        if isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
            return (0, Decimal(value))
        if isinstance(value, str):
            return (1, value)
        return (2, json.dumps(value, sort_keys=True))

    return key


def search(orders: list[Entity], body: Entity) -> Entity:
    """{orders, metadata{count, cursors{next, prev}, hasNext}} for a SearchOrders body."""
    spec = body.get("search") or {}
    if not isinstance(spec, dict):
        raise WixValidationError("search", "must be an object")
    paging = spec.get("cursorPaging") or {}
    limit = paging.get("limit") or DEFAULT_LIMIT
    if not isinstance(limit, int) or not 0 < limit <= MAX_LIMIT:
        raise WixValidationError("search.cursorPaging.limit", f"must be 1..{MAX_LIMIT}", "MAX")
    cursor = paging.get("cursor")
    if cursor:
        state = _decode(str(cursor))
        flt, sort, offset = state.get("f"), state.get("s"), state["o"]
    else:
        flt, sort, offset = spec.get("filter"), spec.get("sort"), 0
    rows = [o for o in orders if matches(o, flt)]
    for rule in reversed(sort or [{"fieldName": "createdDate", "order": "DESC"}]):
        field = rule.get("fieldName")
        if not field:
            raise WixValidationError("search.sort.fieldName", "required", "REQUIRED_FIELD")
        present = [o for o in rows if _get(o, field) is not None]
        absent = [o for o in rows if _get(o, field) is None]
        present.sort(key=_sort_key(field), reverse=rule.get("order") == "DESC")
        rows = present + absent
    page = rows[offset : offset + limit]
    has_next = offset + limit < len(rows)
    nxt = _encode({"o": offset + limit, "f": flt, "s": sort}) if has_next else None
    prev = _encode({"o": max(0, offset - limit), "f": flt, "s": sort}) if offset else None
    return {
        "orders": page,
        "metadata": {"count": len(page), "cursors": {"next": nxt, "prev": prev}, "hasNext": has_next},
    }
