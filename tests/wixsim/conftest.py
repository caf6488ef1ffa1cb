"""Fixtures for wixsim's own tests: the wixsim plugin plus a recording stub of a provider."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.routing import Route

from tests.wixsim.wixsim_test_helpers import MENU_SPEC, ProviderStub, SiteInfo
from wixsim.client import WixSimClient
from wixsim.server import serve_in_thread


@pytest.fixture(scope="session")
def provider_server() -> Iterator[ProviderStub]:
    """A provider stub on a free port for the session."""
    stub = ProviderStub()
    app = Starlette(routes=[Route("/{path:path}", stub.handle, methods=["POST", "GET"])])
    running = serve_in_thread(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="off"))
    stub.base_url = running.base_url
    yield stub
    running.stop()


@pytest.fixture
def provider(provider_server: ProviderStub) -> ProviderStub:
    """The provider stub, emptied for this test."""
    provider_server.reset()
    return provider_server


@pytest.fixture
def site(wixsim: WixSimClient, provider: ProviderStub) -> SiteInfo:
    """A site with one configuration whose live catalog holds an existing Wix menu."""
    return SiteInfo(
        wixsim.create_site(
            configurations=[{"name": "Downtown", "catalog": MENU_SPEC}],
            provider_base_uri=provider.base_url + "/wix/pos-spi",
            webhook_url=provider.base_url + "/wix/webhooks",
            dashboard_url=provider.base_url + "/dashboard",
        )
    )
