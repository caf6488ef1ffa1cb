"""Fixtures for sync tests: a real wixsim server and settings that aim posbridge at it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from posbridge.config import Settings
from posbridge.store.db import Database
from tests.conftest import make_settings
from tests.support.signer import TestSigner
from tests.sync.world import SyncWorld, build_world
from wixsim.client import WixSimClient
from wixsim.testing import wixsim, wixsim_server  # noqa: F401  (fixtures)


@pytest.fixture()
def sim_settings(db_url: str, signer: TestSigner, wixsim: WixSimClient) -> Callable[..., Settings]:  # noqa: F811
    """Settings aimed at the wixsim server (overrides as keyword arguments)."""

    def build(**overrides: Any) -> Settings:
        values: dict[str, Any] = {
            "wix_api_base": wixsim.base_url,
            "wix_app_id": wixsim.app_id,
            "wix_app_secret": wixsim.app_secret,
            "wix_public_key": wixsim.public_key_pem,
            "wix_retry_base_seconds": 0.05,
            "wix_retry_max_seconds": 1.0,
        }
        values.update(overrides)
        return make_settings(db_url, signer, **values)

    return build


@pytest.fixture()
def world_factory(
    db: Database,
    wixsim: WixSimClient,  # noqa: F811
    sim_settings: Callable[..., Settings],
) -> Callable[..., SyncWorld]:
    """Builds tenants: `world_factory(items=60, settings=..., wix_catalog=...)`."""

    def build(*, settings: Settings | None = None, **kwargs: Any) -> SyncWorld:
        return build_world(db, settings or sim_settings(), wixsim, **kwargs)

    return build


@pytest.fixture()
def world(world_factory: Callable[..., SyncWorld]) -> SyncWorld:
    """A 60-item, two-menu tenant, not yet synced."""
    return world_factory()
