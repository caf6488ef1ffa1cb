"""Fixtures for the Wix client tests: a fake Wix over real HTTP, settings aimed at it, a recording sleep."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from posbridge.config import Settings
from tests.conftest import APP_SECRET, make_settings
from tests.support.server import serve_in_thread
from tests.support.signer import TestSigner
from tests.wix.fakewix import FakeWixState, build_fake_wix


@pytest.fixture(scope="module")
def fake_wix_server() -> Iterator[tuple[Any, str]]:
    """The fake Wix app and its base URL, shared by a module's tests."""
    app = build_fake_wix()
    with serve_in_thread(app) as url:
        yield app, url


@pytest.fixture()
def fake_wix(fake_wix_server: tuple[Any, str], signer: TestSigner) -> FakeWixState:
    """A fresh fake Wix state for this test."""
    app, _url = fake_wix_server
    app.state.wix = FakeWixState(app_id=signer.app_id, app_secret=APP_SECRET)
    return app.state.wix


@pytest.fixture()
def wix_settings(db_url: str, signer: TestSigner, fake_wix_server: tuple[Any, str]) -> Callable[..., Settings]:
    """Settings aimed at the fake Wix (overrides as keyword arguments)."""

    def build(**overrides: Any) -> Settings:
        values: dict[str, Any] = {"wix_api_base": fake_wix_server[1], "wix_timeout_seconds": 2.0}
        values.update(overrides)
        return make_settings(db_url, signer, **values)

    return build


class RecordingSleep:
    """Stands in for time.sleep: records each wait and sleeps only a sliver of it (keeps tests fast)."""

    def __init__(self, scale: float = 0.0) -> None:
        self.waits: list[float] = []
        self.scale = scale

    def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)
        if self.scale:
            time.sleep(seconds * self.scale)


@pytest.fixture()
def sleeps() -> RecordingSleep:
    """A sleep that records instead of waiting."""
    return RecordingSleep()


@pytest.fixture()
def instance() -> str:
    """A fresh Wix instance id."""
    return str(uuid.uuid4())
