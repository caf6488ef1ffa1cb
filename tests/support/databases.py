"""Real databases for tests: a SQLite file, or a fresh PostgreSQL database on the local server."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg

PG_ADMIN_DSN = os.environ.get("POSBRIDGE_TEST_PG_DSN", "postgresql://postgres@127.0.0.1:5432/test")


def enabled_backends() -> list[str]:
    """Backends the suite runs on: POSBRIDGE_TEST_BACKENDS, default both."""
    raw = os.environ.get("POSBRIDGE_TEST_BACKENDS", "sqlite,postgresql")
    return [b.strip() for b in raw.split(",") if b.strip()]


def default_backend() -> str:
    """The backend of tests where the backend does not matter: SQLite (the embedded default) when enabled."""
    backends = enabled_backends()
    return "sqlite" if "sqlite" in backends else backends[0]


def all_backends_forced() -> bool:
    """POSBRIDGE_TEST_ALL_BACKENDS=1: every test on every enabled backend (the slow, thorough run)."""
    return os.environ.get("POSBRIDGE_TEST_ALL_BACKENDS", "") not in ("", "0")


@contextmanager
def database_url(backend: str, tmp_dir: Path) -> Iterator[str]:
    """A URL for an empty database on `backend`, dropped afterwards."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_dir / f'posbridge-{uuid.uuid4().hex[:8]}.db'}"
        return
    name = f"pb_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(PG_ADMIN_DSN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base = PG_ADMIN_DSN.rsplit("/", 1)[0]
    try:
        yield f"postgresql+psycopg://{base.removeprefix('postgresql://')}/{name}"
    finally:
        with psycopg.connect(PG_ADMIN_DSN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
