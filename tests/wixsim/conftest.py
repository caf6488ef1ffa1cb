"""Fixtures for wixsim's own tests: the wixsim plugin plus a recording stub of a provider."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from wixsim_test_helpers import MENU_SPEC, SiteInfo

from wixsim.client import WixSimClient
from wixsim.server import serve_in_thread

pytest_plugins = ["wixsim.testing"]


@dataclass
class Reply:
    """A scripted provider answer."""

    status: int = 200
    body: Any = None
    delay: float = 0.0


@dataclass
class ProviderStub:
    """Records every request; answers from per-path scripts (else a sensible default)."""

    base_url: str = ""
    received: list[dict[str, Any]] = field(default_factory=list)
    scripts: dict[str, list[Reply]] = field(default_factory=dict)

    def script(self, path: str, *replies: Reply) -> None:
        """Queue answers for a path (the last one repeats)."""
        self.scripts[path] = list(replies)

    def calls(self, path: str) -> list[dict[str, Any]]:
        """Requests received on a path."""
        return [r for r in self.received if r["path"] == path]

    def reset(self) -> None:
        """Forget requests and scripts."""
        self.received.clear()
        self.scripts.clear()

    def default(self, path: str) -> Reply:
        """What an agreeable provider answers."""
        suffix = path.rsplit("/", 1)[-1]
        bodies = {
            "account-ids": {"accountIds": ["acct-1"]},
            "validate-order": {"posOrderStatus": "VALID"},
            "create-order": {"posOrderId": f"pos-{len(self.received)}", "posLocationId": "loc-1"},
            "get-configuration-status": {"status": "READY"},
            "get-catalog-sync-status": {"status": "PENDING"},
        }
        return Reply(200, bodies.get(suffix, {}))

    async def handle(self, request: Request) -> Response:
        """Record and answer one request."""
        path = request.url.path
        self.received.append({"path": path, "headers": dict(request.headers), "body": await request.body()})
        queue = self.scripts.get(path)
        reply = (queue.pop(0) if len(queue) > 1 else queue[0]) if queue else self.default(path)
        if reply.delay:
            await asyncio.sleep(reply.delay)
        return JSONResponse(reply.body if reply.body is not None else {}, status_code=reply.status)


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
