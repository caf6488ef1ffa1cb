"""One wixsim per test module of the kitchen tests (their tenants are fresh sites, so it is never reset)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from wixsim.client import WixSimClient
from wixsim.testing import running_wixsim


@pytest.fixture(scope="module")
def sim() -> Iterator[WixSimClient]:
    """A wixsim server for the module."""
    with running_wixsim() as client:
        yield client
