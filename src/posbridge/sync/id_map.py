"""The sync id map (`SyncIdMap`): which Wix entity each POS entity became, and its upkeep.

The id map is keyed by the target's id space (`SyncIdMap.catalog_id`: a Catalogs v3 catalog id,
or the Menus API's business location) and written in two moments. Right after each bulk
create, the new Wix ids are recorded, so a crash after the commit can never lose them (a later
sync would otherwise create duplicates); an id recorded for a draft that was then discarded is
simply missing from the live catalog next time, and the differ creates the entity again. After
the commit, content hashes and detach marks are brought up to date in one transaction.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, update

from posbridge.store.db import Database
from posbridge.store.models import SyncIdMap
from posbridge.store.types import utcnow
from posbridge.sync.catalog import MENU, Ref
from posbridge.sync.desired import DesiredCatalog
from posbridge.sync.diff import ARCHIVE, DETACH, Diff, MapEntry


def load_id_map(db: Database, id_space: str, *, session: Any = None) -> dict[tuple[str, int], MapEntry]:
    """The id space's map by (kind, POS ref)."""
    query = select(SyncIdMap.kind, SyncIdMap.pos_ref, SyncIdMap.wix_id, SyncIdMap.detached_at).where(
        SyncIdMap.catalog_id == id_space
    )
    if session is not None:
        rows = session.execute(query).all()
    else:
        with db.transaction(write=False) as own:
            rows = own.execute(query).all()
    return {(kind, ref): MapEntry(wix_id, detached_at is not None) for kind, ref, wix_id, detached_at in rows}


def record_created(db: Database, instance_id: str, id_space: str, created: list[tuple[Ref, str]]) -> None:
    """Remember Wix ids of entities just created (before the commit: see the module docstring)."""
    if not created:
        return
    now = utcnow()
    with db.transaction() as session:
        existing = _row_ids(session, id_space, [ref for ref, _ in created])
        updates, inserts = [], []
        for ref, wix_id in created:
            row_id = existing.get((ref.kind, ref.pos_ref))
            values = {"wix_id": wix_id, "content_hash": None, "detached_at": None, "updated_at": now}
            if row_id is None:
                inserts.append(
                    {"instance_id": instance_id, "catalog_id": id_space, "kind": ref.kind, "pos_ref": ref.pos_ref}
                    | values
                )
            else:
                updates.append({"id": row_id} | values)
        _bulk(session, updates, inserts)


def record_synced(
    db: Database, instance_id: str, id_space: str, desired: DesiredCatalog, diff: Diff, now: datetime
) -> None:
    """After the commit (or when nothing needed writing): hashes, ids and detach marks as the live catalog now is."""
    hashes = desired.hashes()
    detached = {
        (MENU if c.op == ARCHIVE else c.kind, c.pos_ref)
        for c in diff.changes
        if c.pos_ref is not None and c.op in (DETACH, ARCHIVE)
    }
    with db.transaction() as session:
        rows = {
            (kind, ref): (row_id, wix_id, value, gone)
            for row_id, kind, ref, wix_id, value, gone in session.execute(
                select(
                    SyncIdMap.id,
                    SyncIdMap.kind,
                    SyncIdMap.pos_ref,
                    SyncIdMap.wix_id,
                    SyncIdMap.content_hash,
                    SyncIdMap.detached_at,
                ).where(SyncIdMap.catalog_id == id_space)
            )
        }
        updates, inserts = [], []
        for (kind, ref), value in hashes.items():
            wix_id = diff.ids.get(Ref(kind, ref))
            if wix_id is None:
                continue
            row = rows.get((kind, ref))
            if row is None:
                inserts.append(
                    {
                        "instance_id": instance_id,
                        "catalog_id": id_space,
                        "kind": kind,
                        "pos_ref": ref,
                        "wix_id": wix_id,
                        "content_hash": value,
                        "detached_at": None,
                        "updated_at": now,
                    }
                )
            elif row[1:] != (wix_id, value, None):
                updates.append(
                    {"id": row[0], "wix_id": wix_id, "content_hash": value, "detached_at": None, "updated_at": now}
                )
        for key in detached:
            row = rows.get(key)
            if row is not None and row[3] is None:
                updates.append({"id": row[0], "detached_at": now, "updated_at": now})
        _bulk(session, updates, inserts)


def _bulk(session: Any, updates: list[dict[str, Any]], inserts: list[dict[str, Any]]) -> None:
    # One executemany each: thousands of map rows in a few statements, not one per row.
    if updates:
        session.execute(update(SyncIdMap), updates)
    if inserts:
        session.execute(insert(SyncIdMap), inserts)


def _row_ids(session: Any, id_space: str, refs: list[Ref]) -> dict[tuple[str, int], int]:
    kinds = {r.kind for r in refs}
    pos_refs = {r.pos_ref for r in refs}
    query = select(SyncIdMap.id, SyncIdMap.kind, SyncIdMap.pos_ref).where(
        SyncIdMap.catalog_id == id_space, SyncIdMap.kind.in_(kinds), SyncIdMap.pos_ref.in_(pos_refs)
    )
    return {(kind, ref): row_id for row_id, kind, ref in session.execute(query)}
