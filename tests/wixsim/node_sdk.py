"""Running Wix's own SDK packages (node) against wixsim: locked npm installs, environment, node servers.

Each package dir under tests/wixsim (sdk_ecom, sdk_menus) commits package.json + package-lock.json;
its node_modules is git-ignored and installed here with `npm ci` when missing (once, under a file lock,
so parallel test processes do not race).
"""

from __future__ import annotations

import fcntl
import os
import queue
import shutil
import subprocess
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from wixsim.client import WixSimClient

NPM_TIMEOUT_SECONDS = 600
NODE_TIMEOUT_SECONDS = 120
START_TIMEOUT_SECONDS = 30


def installed(sdk_dir: Path) -> Path:
    """The package dir with its locked dependencies installed (npm ci when node_modules is missing)."""
    assert shutil.which("node") and shutil.which("npm"), "node and npm are needed for the SDK tests"
    with open(sdk_dir / ".install.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (sdk_dir / "node_modules" / "@wix" / "sdk").is_dir():
            subprocess.run(
                ["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"],
                cwd=sdk_dir,
                check=True,
                timeout=NPM_TIMEOUT_SECONDS,
            )
    return sdk_dir


def node_env(wixsim: WixSimClient, **extra: str) -> dict[str, str]:
    """The environment the node scripts read: wixsim's URL and the app's credentials."""
    return dict(
        os.environ,
        WIXSIM_URL=wixsim.base_url,
        WIX_APP_ID=wixsim.app_id,
        WIX_APP_SECRET=wixsim.app_secret,
        WIX_PUBLIC_KEY=wixsim.public_key_pem,
        **extra,
    )


def run_node(sdk_dir: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    """Run one node script to completion (bounded by NODE_TIMEOUT_SECONDS)."""
    return subprocess.run(
        ["node", *args], cwd=sdk_dir, env=env, capture_output=True, text=True, timeout=NODE_TIMEOUT_SECONDS
    )


@contextmanager
def node_server(sdk_dir: Path, script: str, env: dict[str, str]) -> Iterator[str]:
    """A node server that prints "listening <port>" first; yields its base URL, stops it after."""
    proc = subprocess.Popen(
        ["node", script], cwd=sdk_dir, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: [lines.put(line) for line in proc.stdout or []], daemon=True).start()
    try:
        first = lines.get(timeout=START_TIMEOUT_SECONDS)
        assert first.startswith("listening "), first
        yield f"http://127.0.0.1:{int(first.split()[1])}"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


def package_fixtures(sdk_dir: Path) -> tuple[Callable[..., Path], Callable[..., Iterator[str]]]:
    """`sdk_dir` (session: the package installed) and `node_provider` (its provider.mjs running, its
    base URL) fixtures for one package; a test module binds them: `sdk_dir, node_provider = package_fixtures(P)`."""

    @pytest.fixture(scope="session")
    def sdk_dir_fixture() -> Path:
        return installed(sdk_dir)

    @pytest.fixture
    def node_provider_fixture(sdk_dir: Path, wixsim: WixSimClient) -> Iterator[str]:
        with node_server(sdk_dir, "provider.mjs", node_env(wixsim)) as url:
            yield url

    return sdk_dir_fixture, node_provider_fixture
