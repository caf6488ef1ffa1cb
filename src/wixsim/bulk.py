"""Wix bulk semantics: 1..20 entries, per-entry results with originalIndex, partial failures in a 200."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from wixsim.entities import EntryError
from wixsim.errors import WixValidationError
from wixsim.state import Entity

MAX_BULK = 20


def entries(body: dict[str, Any], field: str) -> list[Any]:
    """The request's list under `field`, which must hold 1..20 entries (else 400)."""
    value = body.get(field)
    if not isinstance(value, list) or not 1 <= len(value) <= MAX_BULK:
        raise WixValidationError(field, f"must hold 1 to {MAX_BULK} entries", "SIZE")
    return value


def run(body: dict[str, Any], field: str, op: Callable[[Any], Entity], entry_type: type = dict) -> dict[str, Any]:
    """Apply `op` to each entry; each succeeds or fails on its own."""

    def checked(index: int, entry: Any) -> Entity:
        if not isinstance(entry, entry_type):
            raise EntryError("INVALID_ARGUMENT", f"{field}[{index}] must be a {entry_type.__name__}")
        return op(entry)

    return_full = body.get("returnFullEntity", True) is not False
    return each(entries(body, field), checked, "entityMetadata", "entity" if return_full else None)


def each(
    items: list[Any], op: Callable[[int, Any], Entity | None], meta_key: str, entity_key: str | None
) -> dict[str, Any]:
    """Per-entry results `{<meta_key>: {id, originalIndex, success, error?}, <entity_key>?}` and the totals.

    `op(index, entry)` returns the entity (its id is reported; with `entity_key` it is returned too) or
    None (the entry itself is the id, as in bulk deletes); an EntryError fails that entry alone.
    """
    results: list[dict[str, Any]] = []
    successes = failures = 0
    for index, entry in enumerate(items):
        try:
            entity = op(index, entry)
        except EntryError as err:
            failures += 1
            meta: dict[str, Any] = {"originalIndex": index, "success": False, "error": err.wire()}
            if err.entity_id:
                meta["id"] = err.entity_id
            results.append({meta_key: meta})
            continue
        successes += 1
        entity_id = entity["id"] if entity is not None else entry
        result: dict[str, Any] = {meta_key: {"id": entity_id, "originalIndex": index, "success": True}}
        if entity_key and entity is not None:
            result[entity_key] = copy.deepcopy(entity)
        results.append(result)
    return {
        "results": results,
        "bulkActionMetadata": {
            "totalSuccesses": successes,
            "totalFailures": failures,
            "undetailedFailures": 0,
        },
    }
