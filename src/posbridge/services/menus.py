"""Load a merchant's menu document, then ask for a debounced sync of whatever sells those menus."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from posbridge.pos.importer import ImportReport, import_menu
from posbridge.services.syncing import DEBOUNCE_SECONDS, Notify, request_pos_change_sync
from posbridge.store.db import Database
from posbridge.store.models import Merchant, Sync


@dataclass
class MenuImport:
    """An import's report and the POS-change syncs it requested (none when nothing changed)."""

    report: ImportReport
    syncs: list[Sync] = field(default_factory=list)


def import_menu_document(
    db: Database,
    document: Any,
    *,
    notify: Notify | None = None,
    reset_stock: bool = False,
    debounce_seconds: float = DEBOUNCE_SECONDS,
) -> MenuImport:
    """Import a `posbridge.menu/1` document; a change requests a POS_CHANGE sync per paired configuration,
    due `debounce_seconds` later.

    Stock levels apply only where the document changed them since the last import, unless
    `reset_stock` (see `import_menu`).
    """
    report = import_menu(db, document, reset_stock=reset_stock)
    if not report.changed:
        return MenuImport(report)
    with db.transaction(write=False) as session:
        merchant_pk = session.scalar(select(Merchant.id).where(Merchant.pos_id == report.merchant_id))
    if merchant_pk is None:  # pragma: no cover - the import just wrote it
        return MenuImport(report)
    return MenuImport(report, request_pos_change_sync(db, merchant_pk, delay_seconds=debounce_seconds, notify=notify))
