"""One wixsim per test module of the kitchen tests (their tenants are fresh sites, so it is never reset), and the
settings of a posbridge whose job queue the test runs by hand."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from posbridge.config import Settings
from posbridge.store.db import Database
from tests.orders.kitchen_world import kitchen_settings
from tests.support.signer import TestSigner
from wixsim.client import WixSimClient
from wixsim.testing import running_wixsim


@pytest.fixture(scope="module")
def sim() -> Iterator[WixSimClient]:
    """A wixsim server for the module."""
    with running_wixsim() as client:
        yield client


@pytest.fixture(scope="module")
def no_worker_settings(
    db: Database, signer: TestSigner, sim: WixSimClient, tmp_path_factory: pytest.TempPathFactory
) -> Settings:
    """A kitchen's settings without a worker: the test runs the queue's jobs itself (`HandQueue`)."""
    return kitchen_settings(db, signer, sim, tmp_path_factory.mktemp("no-worker"), queue="immediate", run_worker=False)
