"""Wix query language over stored entities: filters, sort, and opaque cursors for cursor paging."""

from __future__ import annotations

import base64
import json
from typing import Any

from wixsim.errors import WixValidationError
from wixsim.newgen.model import Entity


def _values(entity: Any, path: str) -> list[Any]:
    """Every value at a dotted path; lists along the way fan out (`labels.id` → each label's id)."""
    current: list[Any] = [entity]
    for part in path.split("."):
        found: list[Any] = []
        for value in current:
            for one in value if isinstance(value, list) else [value]:
                if isinstance(one, dict) and part in one:
                    found.append(one[part])
        current = found
    flat: list[Any] = []
    for value in current:
        flat.extend(value if isinstance(value, list) else [value])
    return flat


def _compare(values: list[Any], operator: str, operand: Any) -> bool:
    if operator == "$exists":
        return bool(values) == bool(operand)
    if operator == "$eq":
        return operand in values if values else operand is None
    if operator == "$ne":
        return operand not in values
    if operator in ("$in", "$hasSome"):
        return isinstance(operand, list) and any(v in operand for v in values)
    if operator == "$nin":
        return isinstance(operand, list) and not any(v in operand for v in values)
    if operator == "$hasAll":
        return isinstance(operand, list) and all(o in values for o in operand)
    if operator == "$startsWith":
        return any(isinstance(v, str) and v.lower().startswith(str(operand).lower()) for v in values)
    if operator in ("$gt", "$gte", "$lt", "$lte"):
        try:
            checks = {
                "$gt": lambda v: v > operand,
                "$gte": lambda v: v >= operand,
                "$lt": lambda v: v < operand,
                "$lte": lambda v: v <= operand,
            }
            return any(checks[operator](v) for v in values)
        except TypeError:
            return False
    raise WixValidationError("query.filter", f"unsupported operator {operator}")


def matches(entity: Entity, flt: Any) -> bool:
    """Whether an entity passes a Wix filter object."""
    if flt is None:
        return True
    if not isinstance(flt, dict):
        raise WixValidationError("query.filter", "must be an object")
    for key, condition in flt.items():
        if key in ("$and", "$or") and not isinstance(condition, list):
            raise WixValidationError("query.filter", f"{key} takes a list of filters")
        if key == "$and":
            if not all(matches(entity, sub) for sub in condition):
                return False
        elif key == "$or":
            if not any(matches(entity, sub) for sub in condition):
                return False
        elif key == "$not":
            if matches(entity, condition):
                return False
        else:
            values = _values(entity, "id" if key == "_id" else key)
            if isinstance(condition, dict) and condition and all(k.startswith("$") for k in condition):
                if not all(_compare(values, op, operand) for op, operand in condition.items()):
                    return False
            elif not _compare(values, "$eq", condition):
                return False
    return True


def sort_entities(entities: list[Entity], sort: Any) -> list[Entity]:
    """Stable multi-key sort ([{fieldName, order: ASC|DESC}]); creation order otherwise."""
    if not sort:
        return entities
    if not isinstance(sort, list):
        raise WixValidationError("query.sort", "must be a list")
    out = list(entities)
    for spec in reversed(sort):
        if not isinstance(spec, dict) or not isinstance(spec.get("fieldName"), str):
            raise WixValidationError("query.sort", "each sort needs a fieldName")
        name = "id" if spec["fieldName"] == "_id" else spec["fieldName"]
        descending = str(spec.get("order", "ASC")).upper() == "DESC"

        def key(entity: Entity, name: str = name) -> tuple[int, str, Any]:
            found = _values(entity, name)
            if not found:
                return (0, "", "")
            value = found[0] if not isinstance(found[0], dict | list) else json.dumps(found[0], sort_keys=True)
            # Values of different types never meet in a comparison: they order by type name first.
            return (1, type(value).__name__, value)

        out.sort(key=key, reverse=descending)
    return out


def encode_cursor(state: dict[str, Any]) -> str:
    """An opaque cursor carrying the query and the next offset."""
    return base64.urlsafe_b64encode(json.dumps(state, separators=(",", ":")).encode()).decode().rstrip("=")


def _whole(value: Any, least: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= least


def decode_cursor(cursor: str, instance_id: str, scope: str) -> dict[str, Any]:
    """The state behind a cursor this instance got from this listing; anything else is a 400."""
    try:
        state = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (ValueError, TypeError) as exc:
        raise WixValidationError("cursorPaging.cursor", "invalid cursor") from exc
    if not isinstance(state, dict) or state.get("i") != instance_id or state.get("s") != scope:
        raise WixValidationError("cursorPaging.cursor", "invalid cursor")
    offset, limit = state.get("o"), state.get("l")
    if not _whole(offset, 0) or not _whole(limit, 1):
        raise WixValidationError("cursorPaging.cursor", "invalid cursor")
    return state


def page(entities: list[Entity], offset: int, limit: int, state: dict[str, Any]) -> tuple[list[Entity], dict[str, Any]]:
    """One page and its CursorPagingMetadata {count, cursors{next?, prev?}, hasNext}."""
    chunk = entities[offset : offset + limit]
    has_next = offset + limit < len(entities)
    cursors: dict[str, Any] = {}
    if has_next:
        cursors["next"] = encode_cursor({**state, "o": offset + limit, "l": limit})
    if offset > 0:
        cursors["prev"] = encode_cursor({**state, "o": max(0, offset - limit), "l": limit})
    return chunk, {"count": len(chunk), "cursors": cursors, "hasNext": has_next}


def cursor_query(
    body: dict[str, Any], pool: list[Entity], instance_id: str, scope: str, default_limit: int, max_limit: int
) -> tuple[list[Entity], dict[str, Any]]:
    """A query call `{query: {filter, sort, cursorPaging{limit, cursor}}}`: one page and its metadata.

    After the first page only the cursor is sent; it carries filter, sort and offset (and the limit,
    unless a new one is given). A cursor of another instance or listing is refused.
    """
    query = body.get("query") or {}
    if not isinstance(query, dict):
        raise WixValidationError("query", "must be an object")
    paging = query.get("cursorPaging") or {}
    if paging.get("cursor"):
        state = decode_cursor(str(paging["cursor"]), instance_id, scope)
        flt, sort, offset, limit = state.get("f"), state.get("so"), state["o"], paging.get("limit") or state["l"]
    else:
        flt, sort, offset = query.get("filter"), query.get("sort"), 0
        limit = paging.get("limit") or default_limit
    if not isinstance(limit, int) or isinstance(limit, bool) or not 1 <= limit <= max_limit:
        raise WixValidationError("query.cursorPaging.limit", f"must be 1 to {max_limit}", "MAX")
    chosen = sort_entities([e for e in pool if matches(e, flt)], sort)
    return page(chosen, offset, limit, {"i": instance_id, "s": scope, "f": flt, "so": sort})
