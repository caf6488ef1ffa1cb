"""Run the `posbridge` command in this process (Typer's CliRunner), as a subprocess would see it.

A subprocess costs a Python start-up and every import (a second or more per command on this machine); the
command's behaviour does not depend on being one, so only a couple of smoke tests still spawn a process.
"""

from __future__ import annotations

import contextlib
import os
import traceback
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import structlog
from typer.testing import CliRunner

from posbridge import cli
from posbridge.store import migrate
from posbridge.store.db import Database

SECRET = "cli-test-secret-key-0123456789"  # POSBRIDGE_SECRET_KEY of the CLI tests


def settings_env(**settings: str) -> dict[str, str]:
    """POSBRIDGE_* variables for these settings: `database_url="…"` is POSBRIDGE_DATABASE_URL."""
    return {f"POSBRIDGE_{k.upper()}": v for k, v in settings.items()}


@pytest.fixture()
def sqlite_url(tmp_path: Path) -> str:
    """A fresh, empty SQLite database file."""
    return f"sqlite:///{tmp_path / 'cli.db'}"


@pytest.fixture()
def migrated(sqlite_url: str) -> Iterator[Database]:
    """A fresh SQLite database migrated in-process (cheaper than a `db upgrade` subprocess)."""
    db = Database(sqlite_url)
    migrate.upgrade(db)
    yield db
    db.dispose()


@dataclass(frozen=True)
class CliResult:
    """What the command printed and how it exited (the shape of subprocess.CompletedProcess)."""

    returncode: int
    stdout: str
    stderr: str


def run_posbridge(*args: str, env: dict[str, str], cwd: Path, stdin: str | None = None) -> CliResult:
    """`posbridge ARGS` with exactly these POSBRIDGE_* variables, in `cwd` (a .env file there would be read)."""
    environment: dict[str, str | None] = {k: None for k in os.environ if k.startswith("POSBRIDGE_")}
    environment.update(env)
    saved_logging = structlog.get_config()
    # Rich reads COLUMNS when the console is made (at import); tables as wide as a subprocess's would be.
    cli.out.width = cli.err.width = 200
    try:
        with contextlib.chdir(cwd):
            result = CliRunner().invoke(cli.app, list(args), input=stdin, env=environment, prog_name="posbridge")
    finally:
        # The command pointed structlog at the runner's captured stderr, which is gone now.
        structlog.configure(**saved_logging)
    stderr = result.stderr
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        # A crash, as the interpreter would have printed it.
        stderr += "".join(traceback.format_exception(result.exception))
    return CliResult(result.exit_code, result.stdout, stderr)


def run_with_settings(settings: Any, *args: str, cwd: Path, log_level: str | None = "WARNING") -> CliResult:
    """`posbridge ARGS` configured by environment from these settings (no .env in `cwd`)."""
    env = {
        "POSBRIDGE_DATABASE_URL": settings.database_url,
        "POSBRIDGE_WIX_APP_ID": settings.wix_app_id,
        "POSBRIDGE_WIX_APP_SECRET": settings.wix_app_secret,
        "POSBRIDGE_WIX_PUBLIC_KEY": settings.wix_public_key,
        "POSBRIDGE_WIX_API_BASE": settings.wix_api_base,
        "POSBRIDGE_SECRET_KEY": settings.secret_key,
        "POSBRIDGE_WIX_RETRY_BASE_SECONDS": str(settings.wix_retry_base_seconds),
        "POSBRIDGE_WIX_RETRY_MAX_SECONDS": str(settings.wix_retry_max_seconds),
    }
    if log_level is not None:
        env["POSBRIDGE_LOG_LEVEL"] = log_level
    return run_posbridge(*args, env=env, cwd=cwd)
