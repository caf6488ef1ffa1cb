"""A private PostgreSQL server for outage tests: its own data folder, port and socket folder.

Tests that stop or freeze a database do it to this one, never to the machine's own server. As
root, the server runs as the `postgres` OS user (initdb refuses root).
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg

from tests.support.server import free_port


def postgres_bin() -> Path | None:
    """The folder holding initdb and postgres (the newest installed), or None."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[-3]))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


@dataclass
class PrivatePostgres:
    """A running private server: its URL and the means to freeze and thaw it."""

    url: str
    process: subprocess.Popen[bytes]

    def pids(self) -> list[int]:
        """The postmaster and every process it forked (backends, checkpointer, …)."""
        children = []
        for stat in glob.glob("/proc/[0-9]*/stat"):
            try:
                fields = Path(stat).read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == self.process.pid:
                children.append(int(Path(stat).parent.name))
        return [self.process.pid, *children]

    def freeze(self) -> None:
        """SIGSTOP the whole server: connections stay open, nothing answers (a hung host, a full disk)."""
        for pid in self.pids():  # the postmaster first, so it forks nothing new meanwhile
            os.kill(pid, signal.SIGSTOP)

    def thaw(self) -> None:
        """SIGCONT every process of the server."""
        for pid in reversed(self.pids()):
            os.kill(pid, signal.SIGCONT)


@contextmanager
def private_postgres() -> Iterator[PrivatePostgres]:
    """initdb into a temporary folder and run postgres on a free port until the block ends."""
    bin_dir = postgres_bin()
    if bin_dir is None:
        raise FileNotFoundError("no PostgreSQL server binaries (initdb, postgres) on this machine")
    root = Path(tempfile.mkdtemp(prefix="posbridge-pg-"))
    as_user: dict[str, Any] = {}
    if os.geteuid() == 0:
        account = pwd.getpwnam("postgres")
        os.chown(root, account.pw_uid, account.pw_gid)
        as_user = {"user": account.pw_uid, "group": account.pw_gid, "extra_groups": []}
    data, port = root / "data", free_port()
    process: subprocess.Popen[bytes] | None = None
    try:
        subprocess.run(
            [str(bin_dir / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres", "--no-sync", "-E", "UTF8"],
            check=True,
            capture_output=True,
            timeout=120,
            **as_user,
        )
        process = subprocess.Popen(
            [
                str(bin_dir / "postgres"),
                "-D",
                str(data),
                "-p",
                str(port),
                "-k",
                str(root),
                "-c",
                "listen_addresses=127.0.0.1",
                "-c",
                "fsync=off",
                "-c",
                "logging_collector=off",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            **as_user,
        )
        dsn = f"postgresql://postgres@127.0.0.1:{port}/postgres"
        _wait_ready(dsn, process)
        yield PrivatePostgres(url=f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres", process=process)
    finally:
        if process is not None:
            for pid in PrivatePostgres("", process).pids():
                _signal(pid, signal.SIGCONT)
            process.send_signal(signal.SIGINT)  # fast shutdown
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)
        shutil.rmtree(root, ignore_errors=True)


def _wait_ready(dsn: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while True:
        try:
            with psycopg.connect(dsn, connect_timeout=2):
                return
        except psycopg.OperationalError:
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("the private PostgreSQL server did not start") from None
            time.sleep(0.1)


def _signal(pid: int, sig: signal.Signals) -> None:
    with suppress(ProcessLookupError):
        os.kill(pid, sig)
