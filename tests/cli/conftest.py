"""The CLI tests' own fixtures: a fresh SQLite database per test, empty or migrated."""

from tests.support.cli import migrated, sqlite_url  # noqa: F401  (fixtures)
