"""What a sync records about itself: one shape for `Sync.summary` (a JSON column, camelCase keys).

The runner writes it as a run goes (every key is optional: a run that fails early records only
what it reached), preparing a run reads the last successful one back (its `publishedDate` tells
whether the live catalog moved since), and the services, the CLI's `--json`, the admin API and
the dashboard show it.
"""

from __future__ import annotations

from typing import TypedDict, cast

from posbridge.store.models import Sync

# Entities per kind per operation, e.g. {"DISH": {"create": 60}}.
Counts = dict[str, dict[str, int]]


class SyncSummary(TypedDict, total=False):
    """`Sync.summary`, key by key."""

    trigger: str
    atomicity: str  # the target's (`Atomicity`): how its counts read ("archived" on Catalogs v3, "hidden" live)
    attempt: int
    calls: dict[str, int]  # Wix calls by endpoint
    callsTotal: int
    attempts: dict[str, int]  # every attempt, retries included, by endpoint
    retries: int
    throttledSeconds: float
    skippedMenus: list[str]  # "name: why" for each selected menu not synced
    notWritten: dict[str, int]  # POS data the target has no field for: `KIND.field` → entities setting it
    entities: int
    fingerprint: str
    ownership: dict[str, str]
    unchanged: bool  # the live catalog already matched the POS
    publishedDate: str | None  # the live catalog's version after the run
    counts: Counts
    archivedMenus: list[str]  # Wix menus the POS does not own, archived (Catalogs v3) or hidden (Menus API)
    plannedCalls: int
    durationMs: int


def summary_of(sync: Sync) -> SyncSummary:
    """A recorded sync's summary (empty until its run records one)."""
    return cast(SyncSummary, sync.summary or {})
