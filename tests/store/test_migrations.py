"""The migrations build exactly the schema the models declare, on every backend (no drift either way)."""

from __future__ import annotations

from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Column, MetaData, String

from posbridge.store.db import Database
from posbridge.store.models import Base

pytestmark = pytest.mark.all_backends


def _drift(db: Database, metadata: MetaData) -> list[Any]:
    """What autogenerate would write to take the migrated database to `metadata`."""
    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True, "compare_server_default": True})
        return list(compare_metadata(context, metadata))


def test_the_migrated_schema_matches_the_models(db: Database) -> None:
    assert _drift(db, Base.metadata) == []


def test_a_column_only_the_models_have_is_drift(db: Database) -> None:
    models = MetaData(naming_convention=Base.metadata.naming_convention)
    for table in Base.metadata.tables.values():
        table.to_metadata(models)
    table = next(iter(models.tables.values()))
    table.append_column(Column("not_migrated", String(10)))
    drift = _drift(db, models)
    assert [(change[0], change[2], change[3].name) for change in drift] == [("add_column", table.name, "not_migrated")]
