"""Pytest plugin: a real wixsim server on a free 127.0.0.1 port, handed out as a WixSimClient.

Use with `pytest_plugins = ["wixsim.testing"]`. Fixtures:
- `wixsim_server` (session): starts the server once; yields a WixSimClient.
- `wixsim` (function): the same server, reset before the test (no sites, faults, log; start-up settings).
For other scopes or options: `with running_wixsim(state_file=..., app_id=...) as client: ...`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from wixsim.client import WixSimClient
from wixsim.server import ServerHandle, make_store, start_in_thread


def start_wixsim(**store_options: object) -> tuple[ServerHandle, WixSimClient]:
    """Start a server (options of server.make_store) and a client for it; call handle.stop() after."""
    handle = start_in_thread(make_store(**store_options))  # type: ignore[arg-type]
    return handle, WixSimClient(handle.base_url)


@contextmanager
def running_wixsim(**store_options: object) -> Iterator[WixSimClient]:
    """A wixsim server for the duration of the block (app_id, app_secret, private_key_pem, state_file, settings)."""
    handle, client = start_wixsim(**store_options)
    try:
        yield client
    finally:
        client.close()
        handle.stop()


@pytest.fixture(scope="session")
def wixsim_server() -> Iterator[WixSimClient]:
    """A wixsim server for the whole session."""
    with running_wixsim() as client:
        yield client


@pytest.fixture
def wixsim(wixsim_server: WixSimClient) -> WixSimClient:
    """The session's wixsim, reset to empty for this test."""
    wixsim_server.reset()
    return wixsim_server
