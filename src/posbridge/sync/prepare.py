"""Preparing a run (a sync or a dry run): scope, verdict, desired catalog, id map and the last summary, read at once."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select

from posbridge.config import Settings
from posbridge.store.db import Database
from posbridge.store.models import Sync
from posbridge.store.statuses import SyncStatus
from posbridge.sync.desired import DesiredCatalog, build_desired, load_scope
from posbridge.sync.diff import MapEntry
from posbridge.sync.id_map import load_id_map
from posbridge.sync.ownership import Ownership
from posbridge.sync.summary import SyncSummary, summary_of
from posbridge.sync.target import TargetKind
from posbridge.sync.validate import Verdict, validate


@dataclass
class Prepared:
    """Everything a sync or a dry run needs before talking to Wix."""

    configuration_pk: int
    instance_id: str
    id_space: str | None  # where the target writes this location's catalog (keys the id map)
    verdict: Verdict
    desired: DesiredCatalog | None
    id_map: dict[tuple[str, int], MapEntry]
    ownership: Ownership
    last_summary: SyncSummary | None
    skipped_menus: list[str] = field(default_factory=list)
    # POS data the target cannot hold, by `KIND.field` (the target's `not_held`): how many entities set it.
    not_written: dict[str, int] = field(default_factory=dict)


def prepare(db: Database, settings: Settings, configuration_pk: int, now: datetime, target: TargetKind) -> Prepared:
    """Read and validate the configuration's POS menus for `target`, build its desired catalog (one transaction)."""
    ownership = Ownership.parse(settings.catalog_sync_configuration)
    with db.transaction(write=False) as session:
        scope = load_scope(session, configuration_pk, now)
        configuration = scope.configuration
        id_space = target.id_space(configuration)
        verdict = validate(scope, target.limits, id_space=id_space, missing_id_space=target.missing_id_space)
        full = build_desired(scope) if verdict.ok else None
        desired = target.project(full) if full is not None else None
        id_map = load_id_map(db, id_space, session=session) if id_space else {}
        last = session.scalar(
            select(Sync)
            .where(Sync.configuration_id == configuration_pk, Sync.status == SyncStatus.SYNCED)
            .order_by(Sync.id.desc())
            .limit(1)
        )
        return Prepared(
            configuration_pk=configuration_pk,
            instance_id=configuration.instance_id,
            id_space=id_space,
            verdict=verdict,
            desired=desired,
            id_map=id_map,
            ownership=ownership,
            last_summary=summary_of(last) if last is not None else None,
            skipped_menus=[f"{menu.name}: {why}" for menu, why in scope.skipped_menus],
            not_written=not_written(full, target.not_held) if full is not None else {},
        )


def not_written(full: DesiredCatalog, not_held: dict[str, str]) -> dict[str, int]:
    """How many entities set each field the target cannot hold (`{"DISH.taxRate": 12}`); unset fields left out."""
    out: dict[str, int] = {}
    for key in not_held:
        kind, _, name = key.partition(".")
        count = sum(1 for e in full.of(kind).values() if e.fields.get(name) not in (None, "", ()))
        if count:
            out[key] = count
    return out
