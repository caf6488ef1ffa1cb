"""ASGI middleware in front of the Wix APIs: request log, fault injection, per-instance rate limit."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

from starlette.routing import BaseRoute, Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from wixsim.clock import new_id, rfc3339
from wixsim.errors import application_error_body
from wixsim.faults import FaultRule
from wixsim.oauth import lookup_token, token_from_header
from wixsim.runtime import Sim

CONTROL_PREFIX = "/_sim"
WIX_PREFIXES = (
    "/restaurants/",
    "/v1/",
    "/v3/",
    "/oauth2/",
    "/_api/",
    "/ecom/",
    "/locations/",
    "/restaurants-operations/",
    "/menu-ordering-settings/",
)
MUTATING = {"POST", "PUT", "PATCH", "DELETE"}
MAX_LOGGED_BODY = 256 * 1024


class WixGate:
    """Wraps the whole app; only Wix API paths (not /_sim) are logged, faulted and rate limited."""

    def __init__(self, app: ASGIApp, sim: Sim, routes: list[tuple[str, BaseRoute]]) -> None:
        self.app = app
        self.sim = sim
        self.routes = routes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Handle one ASGI call."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if scope["path"].startswith(CONTROL_PREFIX) or not scope["path"].startswith(WIX_PREFIXES):
            await self.app(scope, receive, send)
            self._persist(scope)
            return
        await self._wix_call(scope, receive, send)
        self._persist(scope)

    async def _wix_call(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = time.perf_counter()
        endpoint = _endpoint_name(self.routes, scope)
        headers = {k.decode().lower(): v.decode() for k, v in scope.get("headers", [])}
        rec = lookup_token(self.sim.store, token_from_header(headers.get("authorization")))
        instance_id = rec.instance_id if rec else None
        entry: dict[str, Any] = {
            "time": rfc3339(),
            "method": scope["method"],
            "path": scope["path"],
            "query": scope.get("query_string", b"").decode(),
            "endpoint": endpoint,
            "instanceId": instance_id,
            "status": None,
            "fault": None,
            "requestId": new_id(),
        }
        self.sim.log.add(entry)
        status_box: list[int] = []
        chunks: list[bytes] = []

        async def receive_wrapper() -> Message:
            message = await receive()
            if message["type"] == "http.request":
                chunks.append(message.get("body", b""))
                if not message.get("more_body"):
                    _record_body(entry, b"".join(chunks))
            return message

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                status_box.append(message["status"])
                headers = [*message.get("headers", []), (b"x-wix-request-id", entry["requestId"].encode())]
                message = {**message, "headers": headers}
            await send(message)

        try:
            rule = self.sim.faults.pick(endpoint, instance_id) if endpoint != "unknown" else None
            if rule is not None:
                entry["fault"] = rule.kind
                if rule.latencyMs:
                    await asyncio.sleep(rule.latencyMs / 1000)
                if rule.phase == "after":
                    await self._run_and_lose_answer(rule, scope, receive_wrapper, send_wrapper, receive)
                    return
                if rule.kind == "drop":
                    await _drop_connection(receive)
                    return
                if rule.kind in ("429", "5xx"):
                    await _send_fault(rule, send_wrapper)
                    return
            limit = self.sim.store.data.settings.rate_limit_per_minute
            retry_after = self.sim.limiter.check(instance_id, limit) if instance_id else None
            if retry_after is not None:
                entry["fault"] = "rate_limit"
                body = application_error_body(
                    "TOO_MANY_REQUESTS", f"Rate limit of {limit} requests per minute exceeded"
                )
                await _send_json(send_wrapper, 429, body, {"retry-after": str(retry_after)})
                return
            await self.app(scope, receive_wrapper, send_wrapper)
        finally:
            entry["status"] = status_box[0] if status_box else None
            entry["durationMs"] = round((time.perf_counter() - started) * 1000, 2)

    async def _run_and_lose_answer(
        self, rule: FaultRule, scope: Scope, receive_wrapper: Receive, send_wrapper: Send, receive: Receive
    ) -> None:
        """Carry the call out (its effect stays at Wix), then drop its answer for the fault's."""

        async def swallow(message: Message) -> None:
            return None

        await self.app(scope, receive_wrapper, swallow)
        if rule.kind == "drop":
            await _drop_connection(receive)
        else:
            await _send_fault(rule, send_wrapper)

    def _persist(self, scope: Scope) -> None:
        if scope["method"] in MUTATING and self.sim.store.state_file is not None:
            self.sim.store.save()


def _record_body(entry: dict[str, Any], raw: bytes) -> None:
    """Keep the request body in the log entry (parsed JSON up to MAX_LOGGED_BODY bytes)."""
    entry["bodyBytes"] = len(raw)
    if not raw or len(raw) > MAX_LOGGED_BODY:
        return
    try:
        entry["body"] = json.loads(raw)
    except ValueError:
        entry["body"] = raw.decode(errors="replace")


def _endpoint_name(routes: list[tuple[str, BaseRoute]], scope: Scope) -> str:
    """The Wix method name (route name) a path and method map to, or "unknown" (routes with their mount prefix)."""
    path, method = scope["path"], scope["method"]
    for prefix, route in routes:
        if not isinstance(route, Route) or not path.startswith(prefix) or method not in (route.methods or ()):
            continue
        if route.path_regex.match(path[len(prefix) :]):
            return route.name
    return "unknown"


async def _send_json(send: Send, status: int, body: dict[str, Any], extra: dict[str, str]) -> None:
    raw = json.dumps(body).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(raw)).encode())]
    headers += [(k.encode(), v.encode()) for k, v in extra.items()]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": raw})


async def _send_fault(rule: FaultRule, send: Send) -> None:
    if rule.kind == "429":
        extra = {"retry-after": str(rule.retryAfter)} if rule.retryAfter is not None else {}
        body = application_error_body("TOO_MANY_REQUESTS", "Too many requests (injected fault)")
        await _send_json(send, rule.status or 429, body, extra)
    else:
        body = application_error_body("INTERNAL_ERROR", "Internal server error (injected fault)")
        await _send_json(send, rule.status or 503, body, {})


async def _drop_connection(receive: Receive) -> None:
    """Close the TCP connection without answering (uvicorn's cycle exposes its transport)."""
    cycle = getattr(receive, "__self__", None)
    transport = getattr(cycle, "transport", None)
    if transport is None:
        raise ConnectionAbortedError("injected connection drop")
    transport.abort()
    await asyncio.sleep(0.01)
