"""Run the `posbridge` command in this process (Typer's CliRunner), as a subprocess would see it.

A subprocess costs a Python start-up and every import (a second or more per command on this machine); the
command's behaviour does not depend on being one, so only a couple of smoke tests still spawn a process.
"""

from __future__ import annotations

import contextlib
import os
import traceback
from dataclasses import dataclass
from pathlib import Path

import structlog
from typer.testing import CliRunner

from posbridge import cli


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
