"""Pytest plugin: a real wixsim server on a free 127.0.0.1 port, handed out as a WixSimClient.

Use with `pytest_plugins = ["wixsim.testing"]`. Fixtures:
- `wixsim_server` (session): starts the server once; yields a WixSimClient.
- `wixsim` (function): the same server, reset before the test (no sites, faults, log; start-up settings).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from wixsim.client import WixSimClient
from wixsim.server import ServerHandle, make_store, start_in_thread


def start_wixsim(**store_options: object) -> tuple[ServerHandle, WixSimClient]:
    """Start a server (options of server.make_store) and a client for it; call handle.stop() after."""
    handle = start_in_thread(make_store(**store_options))  # type: ignore[arg-type]
    return handle, WixSimClient(handle.base_url)


@pytest.fixture(scope="session")
def wixsim_server() -> Iterator[WixSimClient]:
    """A wixsim server for the whole session."""
    handle, client = start_wixsim()
    try:
        yield client
    finally:
        client.close()
        handle.stop()


@pytest.fixture
def wixsim(wixsim_server: WixSimClient) -> WixSimClient:
    """The session's wixsim, reset to empty for this test."""
    wixsim_server.reset()
    return wixsim_server
