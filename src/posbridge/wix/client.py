"""WixClient: one httpx client over one transport, with tokens, rate budget and retries as layers around it."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

import httpx

from posbridge.config import Settings
from posbridge.logs import get_logger
from posbridge.store.db import Database
from posbridge.wix.errors import REQUEST_ID_HEADER, WixApiError, is_retryable_exception, is_retryable_status
from posbridge.wix.ratebudget import Budget, budget_for
from posbridge.wix.retry import RetryPolicy, parse_retry_after
from posbridge.wix.stats import CallStats, path_template
from posbridge.wix.tokens import TokenCache
from posbridge.wix.transport import build_http_client

log = get_logger("wix")

TOKEN_PATH = "/oauth2/token"
# Extra stats sinks for the current context (a sync counting only its own calls).
_TRACKERS: ContextVar[tuple[CallStats, ...]] = ContextVar("wix_call_trackers", default=())


class WixClient:
    """Calls Wix's REST APIs for any app instance; safe to share between threads (several syncs at once)."""

    def __init__(
        self,
        settings: Settings,
        db: Database,
        *,
        transport: httpx.BaseTransport | None = None,
        budget: Budget | None = None,
        sleep: Callable[[float], None] = time.sleep,
        retry: RetryPolicy | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.settings = settings
        self._http = build_http_client(settings, transport)
        self._budget = budget if budget is not None else budget_for(settings, db)
        self._sleep = sleep
        self._retry = retry or RetryPolicy.from_settings(settings)
        self._base = settings.wix_restaurants_base
        self._token_url = settings.wix_api_base.rstrip("/") + TOKEN_PATH
        self._tokens = TokenCache(self._fetch_token, clock=clock)  # when a cached token is due for refresh
        self.stats = CallStats()

    def call(
        self,
        instance_id: str,
        method: str,
        path: str,
        *,
        json: dict[str, Any] | None = None,
        params: dict[str, Any] | None = None,
        idempotent: bool = True,
    ) -> dict[str, Any]:
        """Call `path` (relative to the restaurants base) for the instance; the parsed JSON, `{}` when empty.

        `idempotent=False` (e.g. bulk creates) stops retries after a timeout or a dropped connection,
        where Wix may have done the work without our hearing of it; answered 429/5xx are still retried.
        """
        return self._exchange(
            instance_id, method.upper(), self._base + path, path, json, params, authorized=True, idempotent=idempotent
        )

    def token(self, instance_id: str) -> str:
        """The instance's access token (fetched unless cached): Wix grants one only where the app is installed."""
        return self._tokens.get(instance_id)

    def call_api(
        self,
        instance_id: str,
        method: str,
        path: str,
        *,
        json: dict[str, Any] | None = None,
        params: dict[str, Any] | None = None,
        at_most_once: bool = False,
    ) -> dict[str, Any]:
        """Call `path` relative to Wix's API host (not the restaurants base), e.g. the Locations API.

        `at_most_once=True` (a create that must not be made twice) sends the call again only when Wix
        surely did not run it (a 429, a refused connection); after a 5xx, a timeout or a dropped
        connection the error is raised and the caller reads Wix's state to learn whether it ran.
        """
        url = self.settings.wix_api_base.rstrip("/") + path
        return self._exchange(
            instance_id, method.upper(), url, path, json, params, authorized=True, at_most_once=at_most_once
        )

    @contextmanager
    def track(self) -> Iterator[CallStats]:
        """Count the calls made in this context (this thread/task) apart from everyone else's."""
        stats = CallStats()
        token = _TRACKERS.set((*_TRACKERS.get(), stats))
        try:
            yield stats
        finally:
            _TRACKERS.reset(token)

    def close(self) -> None:
        """Close the pooled connections."""
        self._http.close()

    def _fetch_token(self, instance_id: str) -> tuple[str, float]:
        body = {
            "grant_type": "client_credentials",
            "client_id": self.settings.wix_app_id,
            "client_secret": self.settings.wix_app_secret,
            "instance_id": instance_id,
        }
        answer = self._exchange(instance_id, "POST", self._token_url, TOKEN_PATH, body, None, authorized=False)
        self._each_stats(lambda s: s.record_token_fetch())
        value, expires_in = answer.get("access_token"), answer.get("expires_in")
        if not isinstance(value, str) or not value or not isinstance(expires_in, int | float):
            raise WixApiError(200, "INVALID_TOKEN_RESPONSE", "Wix's token answer lacks access_token/expires_in")
        return value, float(expires_in)

    def _exchange(
        self,
        instance_id: str,
        method: str,
        url: str,
        path: str,
        json: dict[str, Any] | None,
        params: dict[str, Any] | None,
        *,
        authorized: bool,
        idempotent: bool = True,
        at_most_once: bool = False,
    ) -> dict[str, Any]:
        """Send with retries: 401 → new token once; 429/5xx/timeouts → wait (Retry-After or backoff) and resend."""
        endpoint = f"{method} {path_template(path)}"
        deadline = time.monotonic() + self._retry.max_total
        attempt, refreshed = 0, False
        while True:
            attempt += 1
            headers: dict[str, str] = {}
            token = None
            if authorized:
                # Token first, so a token fetch never sits between the budget's grant and the send
                # (the grant is counted at send time); fetched again only if the budget made us wait.
                token = self._tokens.get(instance_id)
                if self._spend_budget(instance_id):
                    token = self._tokens.get(instance_id)
                headers["Authorization"] = token  # raw token, no "Bearer " (as Wix's own SDK sends it)
            started = time.monotonic()
            try:
                response = self._http.request(method, url, json=json, params=params, headers=headers)
            except httpx.HTTPError as exc:
                error = WixApiError.from_transport(exc, method=method, path=path)
                self._note_attempt(instance_id, endpoint, method, path, error.code, None, started, attempt)
                delay = self._retry.delay(attempt, None)
                retryable = is_retryable_exception(exc, idempotent=idempotent and not at_most_once)
                if not retryable or not self._may_retry(attempt, delay, deadline):
                    raise error from exc
                self._pause(delay)
                continue
            status = response.status_code
            request_id = response.headers.get(REQUEST_ID_HEADER)
            self._note_attempt(instance_id, endpoint, method, path, str(status), request_id, started, attempt)
            if status == 401 and authorized and not refreshed and token is not None:
                # The token may have been revoked or expired early: fetch a new one, once.
                refreshed = True
                attempt -= 1
                self._tokens.invalidate(instance_id, token)
                self._each_stats(lambda s: s.record_retry())
                continue
            if status < 400:
                return _parse_body(response, method=method, path=path)
            error = WixApiError.from_response(response, method=method, path=path)
            if not is_retryable_status(status) or (at_most_once and status != 429):
                raise error  # a 5xx may come after Wix did the work: not resent blindly
            retry_after = parse_retry_after(response.headers.get("retry-after"), now=time.time())
            delay = self._retry.delay(attempt, retry_after)
            if not self._may_retry(attempt, delay, deadline):
                raise error
            self._pause(delay)

    def _spend_budget(self, instance_id: str) -> bool:
        """Wait until the instance's shared rate budget lets one more request go; True if it had to wait."""
        waited = False
        while (wait := self._budget.acquire(instance_id)) > 0:
            waited = True
            self._each_stats(lambda s: s.record_throttle(wait))  # called at once, so no late binding
            log.info("wix_throttled", instance_id=instance_id, wait_seconds=round(wait, 3))
            self._sleep(wait)
        return waited

    def _may_retry(self, attempt: int, delay: float, deadline: float) -> bool:
        return attempt < self._retry.max_attempts and time.monotonic() + delay <= deadline

    def _pause(self, delay: float) -> None:
        self._each_stats(lambda s: s.record_retry())
        self._sleep(delay)

    def _note_attempt(
        self,
        instance_id: str,
        endpoint: str,
        method: str,
        path: str,
        outcome: str,
        request_id: str | None,
        started: float,
        attempt: int,
    ) -> None:
        """Count and log one attempt: never headers or bodies (they carry the token and the secret)."""
        self._each_stats(lambda s: s.record_call(endpoint, outcome))
        ok = outcome.isdigit() and int(outcome) < 400
        (log.info if ok else log.warning)(
            "wix_call",
            instance_id=instance_id,
            method=method,
            path=path,
            status=outcome,
            wix_request_id=request_id,
            duration_ms=round((time.monotonic() - started) * 1000, 1),
            attempt=attempt,
        )

    def _each_stats(self, update: Callable[[CallStats], None]) -> None:
        update(self.stats)
        for stats in _TRACKERS.get():
            update(stats)


def _parse_body(response: httpx.Response, *, method: str, path: str) -> dict[str, Any]:
    """Wix answers JSON objects; an empty body is `{}`."""
    if not response.content.strip():
        return {}
    try:
        body = response.json()
    except ValueError as exc:
        raise WixApiError(
            response.status_code,
            "INVALID_RESPONSE",
            "Wix answered with a body that is not JSON",
            {"raw": response.text[:2000]},
            response.headers.get(REQUEST_ID_HEADER),
            method=method,
            path=path,
        ) from exc
    return body if isinstance(body, dict) else {"value": body}
