"""A small stand-in for Wix over real HTTP: an OAuth token endpoint and scripted API answers.

Only what the client tests need: tokens with a set lifetime, a 401 for unknown tokens, and per
path a queue of scripted answers (status, headers, delay) before the default 200.
"""

from __future__ import annotations

import asyncio
import itertools
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response


@dataclass
class Scripted:
    """One scripted answer."""

    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0


@dataclass
class FakeWixState:
    """What the fake Wix knows and what reached it."""

    app_id: str
    app_secret: str
    token_lifetime: int = 14400
    tokens: dict[str, str] = field(default_factory=dict)  # token -> instance
    token_requests: list[dict[str, Any]] = field(default_factory=list)
    calls: list[dict[str, Any]] = field(default_factory=list)  # every API call, with arrival time
    script: dict[str, list[Scripted]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)
    counter: itertools.count = field(default_factory=itertools.count)

    def push(self, path: str, *answers: Scripted) -> None:
        """Queue answers for `path` (the full request path, e.g. /restaurants/v1/x)."""
        with self.lock:
            self.script.setdefault(path, []).extend(answers)

    def revoke_all(self) -> None:
        """Forget every issued token (the next call with one gets a 401)."""
        with self.lock:
            self.tokens.clear()


def build_fake_wix() -> FastAPI:
    """The ASGI app; it serves whatever FakeWixState is in `app.state.wix`."""
    app = FastAPI()

    @app.post("/oauth2/token")
    async def token(request: Request) -> Response:
        state: FakeWixState = request.app.state.wix
        body = await request.json()
        with state.lock:
            state.token_requests.append(body)
            if body.get("client_id") != state.app_id or body.get("client_secret") != state.app_secret:
                return JSONResponse(
                    {"message": "bad client", "details": {"applicationError": {"code": "INVALID_CLIENT"}}}, 401
                )
            value = f"tok-{next(state.counter)}-{body['instance_id']}"
            state.tokens[value] = body["instance_id"]
        return JSONResponse({"access_token": value, "token_type": "Bearer", "expires_in": state.token_lifetime})

    @app.api_route("/restaurants/{rest:path}", methods=["GET", "POST", "PATCH", "DELETE"])
    async def api(request: Request, rest: str) -> Response:
        state: FakeWixState = request.app.state.wix
        path = request.url.path
        auth = request.headers.get("authorization")
        body = await request.body()
        with state.lock:
            instance = state.tokens.get(auth or "")
            number = len(state.calls)
            state.calls.append(
                {
                    "at": time.time(),
                    "path": path,
                    "method": request.method,
                    "auth": auth,
                    "instance": instance,
                    "body": body.decode(),
                }
            )
            answer = state.script[path].pop(0) if state.script.get(path) else None
        rid = f"wix-req-{number}"
        if instance is None:
            return JSONResponse(
                {"message": "bad token", "details": {"applicationError": {"code": "UNAUTHENTICATED"}}},
                401,
                headers={"x-wix-request-id": rid},
            )
        if answer is None:
            answer = Scripted(
                body={"path": path, "instance": instance, "query": str(request.url.query), "echo": body.decode()}
            )
        if answer.delay:
            await asyncio.sleep(answer.delay)
        if answer.body is None and answer.status == 204:
            return Response(status_code=204, headers={"x-wix-request-id": rid, **answer.headers})
        return JSONResponse(
            answer.body if answer.body is not None else {}, answer.status, {"x-wix-request-id": rid, **answer.headers}
        )

    return app
