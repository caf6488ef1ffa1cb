"""Shared data and helpers for wixsim's tests (module name kept unique across the test tree)."""

from __future__ import annotations

import asyncio
import threading
from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from wixsim.client import WixSimClient

MENU_SPEC = {
    "menus": [
        {
            "name": "Existing Wix menu",
            "sections": [
                {
                    "name": "Pizza",
                    "items": [
                        {
                            "name": "Margherita",
                            "price": "12.50",
                            "taxRate": "10",
                            "description": "Tomato, mozzarella",
                            "options": [
                                {
                                    "name": "Size",
                                    "type": "SELECTION",
                                    "default": ["Small"],
                                    "choices": [
                                        {"name": "Small", "price": "0"},
                                        {"name": "Large", "price": "3.00"},
                                    ],
                                },
                                {
                                    "name": "Toppings",
                                    "type": "EXTRAS",
                                    "maxChoices": 2,
                                    "choices": [
                                        {"name": "Olives", "price": "1.25"},
                                        {"name": "Basil", "price": "0.50"},
                                    ],
                                },
                            ],
                        },
                        {"name": "Soda", "price": "2.00"},
                    ],
                }
            ],
        }
    ]
}


@dataclass
class SiteInfo:
    """A created site with handy ids."""

    raw: dict[str, Any]

    @property
    def instance_id(self) -> str:
        """The app instance id."""
        return self.raw["instanceId"]

    @property
    def configuration_id(self) -> str:
        """The first configuration's id."""
        return self.raw["configurations"][0]["id"]

    @property
    def catalog_id(self) -> str:
        """The first configuration's catalog id."""
        return self.raw["configurations"][0]["catalogId"]


def item_named(wixsim: WixSimClient, catalog_id: str, name: str) -> dict[str, Any]:
    """The live item with this name."""
    return next(i for i in wixsim.live_catalog(catalog_id)["items"] if i["name"] == name)


@dataclass
class Hold:
    """Keeps a request from being recorded until released: a provider that has the bytes of a request
    but has not handled it yet, which is how a delivery already sent lands late."""

    entered: threading.Event = field(default_factory=threading.Event)
    released: threading.Event = field(default_factory=threading.Event)


@dataclass
class Reply:
    """A scripted provider answer."""

    status: int = 200
    body: Any = None
    delay: float = 0.0
    hold: Hold | None = None


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
        body = await request.body()
        queue = self.scripts.get(path)
        scripted = (queue.pop(0) if len(queue) > 1 else queue[0]) if queue else None
        if scripted is not None and scripted.hold is not None:
            scripted.hold.entered.set()
            await asyncio.to_thread(scripted.hold.released.wait, 30)
        self.received.append({"path": path, "headers": dict(request.headers), "body": body})
        reply = scripted or self.default(path)
        if reply.delay:
            await asyncio.sleep(reply.delay)
        return JSONResponse(reply.body if reply.body is not None else {}, status_code=reply.status)


def reset_while_held(wixsim: WixSimClient, provider: ProviderStub, hold: Hold, path: str) -> int:
    """Reset wixsim while the provider holds a delivery on `path`; how many had landed when reset returned.

    The provider handles the held request only after the reset returned when wixsim cuts the send
    (the flake: it lands in the next test), before it returned when wixsim waits for the answer. The
    first join's timeout only paces the test; neither outcome depends on it.
    """
    assert hold.entered.wait(10)
    before = len(provider.calls(path))
    landed: list[int] = []

    def reset() -> None:
        wixsim.reset()
        landed.append(len(provider.calls(path)) - before)

    resetting = threading.Thread(target=reset)
    resetting.start()
    resetting.join(timeout=0.5)
    hold.released.set()
    resetting.join(timeout=30)
    assert landed, "the reset did not return"
    return landed[0]
