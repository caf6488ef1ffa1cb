"""Wix's side of the POS SPI: signed envelopes POSTed to the provider's base URI."""

from __future__ import annotations

import asyncio
import json
import time
import weakref
from typing import Any

import httpx

from wixsim.clock import new_id
from wixsim.signer import VARIANTS, digest_jwt, sign
from wixsim.state import AppCredentials, Site

SPI_PATHS = {
    "list-account-ids": "/account-ids",
    "get-configuration-status": "/get-configuration-status",
    "sync-catalog": "/sync-catalog",
    "get-catalog-sync-status": "/get-catalog-sync-status",
    "validate-order": "/validate-order",
    "create-order": "/create-order",
}
"""SPI method name -> path suffix under the provider's base URI."""

ALIASES = {
    "account-ids": "list-account-ids",
    "listAccountIds": "list-account-ids",
    "getConfigurationStatus": "get-configuration-status",
    "syncCatalog": "sync-catalog",
    "getCatalogSyncStatus": "get-catalog-sync-status",
    "validateOrder": "validate-order",
    "createOrder": "create-order",
}

APP_EXTENSION_TYPE = "RESTAURANTS_POS"
STYLES = ("jwt", "digest")
DIGEST_VARIANTS = (*VARIANTS, "digest_mismatch")


class SpiCallError(ValueError):
    """A control request for an SPI call that cannot be made (unknown method, no base URI...)."""


def method_name(name: str) -> str:
    """Canonical SPI method name (accepts path suffixes and camelCase names)."""
    canonical = ALIASES.get(name.strip("/"), name.strip("/"))
    if canonical not in SPI_PATHS:
        raise SpiCallError(f"unknown SPI method {name!r}; one of {', '.join(SPI_PATHS)}")
    return canonical


def owner_identity(site: Site) -> dict[str, Any]:
    """The identity of the site's owner (a Wix user)."""
    return {"identityType": "WIX_USER", "wixUserId": site.owner_user_id}


def visitor_identity(visitor_id: str) -> dict[str, Any]:
    """The identity of an anonymous site visitor."""
    return {"identityType": "ANONYMOUS_VISITOR", "anonymousVisitorId": visitor_id}


def metadata(
    site: Site,
    *,
    request_id: str | None = None,
    identity: dict[str, Any] | None = None,
    app_extension_type: str = APP_EXTENSION_TYPE,
) -> dict[str, Any]:
    """The `metadata` Wix puts beside every SPI request."""
    return {
        "requestId": request_id or new_id(),
        "instanceId": site.instance_id,
        "currency": site.currency,
        "languages": list(site.languages),
        "identity": identity or owner_identity(site),
        "appExtensionType": app_extension_type,
    }


def build_envelope(
    app: AppCredentials,
    request: dict[str, Any],
    meta: dict[str, Any],
    *,
    style: str = "jwt",
    variant: str = "valid",
) -> tuple[bytes, dict[str, str], str]:
    """The HTTP body, headers and JWT of one SPI call in `style` (jwt or digest), broken per `variant`."""
    if style == "jwt":
        if variant not in VARIANTS:
            raise SpiCallError(f"unknown variant {variant!r}; one of {', '.join(VARIANTS)}")
        token = sign(
            {"data": {"request": request, "metadata": meta}},
            app.private_key_pem,
            app_id=app.app_id,
            variant=variant,
        )
        return token.encode(), {"content-type": "text/plain"}, token
    if style == "digest":
        if variant not in DIGEST_VARIANTS:
            raise SpiCallError(f"unknown variant {variant!r}; one of {', '.join(DIGEST_VARIANTS)}")
        body = json.dumps({"request": request, "metadata": meta}, separators=(",", ":")).encode()
        token = digest_jwt(body, app.private_key_pem, app_id=app.app_id, variant=variant)
        return body, {"content-type": "application/json", "digest": f"JWT={token}"}, token
    raise SpiCallError(f"unknown style {style!r}; one of {', '.join(STYLES)}")


def provider_url(site: Site, default_base: str | None, method: str, base_uri: str | None = None) -> str:
    """`{base}{suffix}` for the call; base from the call, else the site, else the server default."""
    base = base_uri or site.provider_base_uri or default_base
    if not base:
        raise SpiCallError("no provider base URI: set it per call, per site, or with --provider-base-uri")
    return base.rstrip("/") + SPI_PATHS[method]


_CLIENTS: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, httpx.AsyncClient] = weakref.WeakKeyDictionary()


def _client() -> httpx.AsyncClient:
    """One pooled client per event loop (building TLS contexts per call is slow)."""
    loop = asyncio.get_running_loop()
    client = _CLIENTS.get(loop)
    if client is None:
        client = httpx.AsyncClient()
        _CLIENTS[loop] = client
    return client


async def post(url: str, body: bytes, headers: dict[str, str], timeout: float) -> dict[str, Any]:
    """POST and describe what came back: {status, body, headers, error, elapsedMs}."""
    started = time.perf_counter()
    result: dict[str, Any] = {"url": url, "status": None, "body": None, "headers": {}, "error": None}
    try:
        response = await _client().post(url, content=body, headers=headers, timeout=timeout)
    except httpx.TimeoutException:
        result["error"] = "timeout"
    except httpx.HTTPError as exc:
        result["error"] = f"connection: {type(exc).__name__}: {exc}"
    else:
        result["status"] = response.status_code
        result["headers"] = dict(response.headers)
        try:
            result["body"] = response.json()
        except ValueError:
            result["body"] = response.text
    result["elapsedMs"] = round((time.perf_counter() - started) * 1000, 2)
    return result


async def call(
    app: AppCredentials,
    site: Site,
    method: str,
    request: dict[str, Any],
    *,
    default_base: str | None,
    timeout: float,
    base_uri: str | None = None,
    style: str = "jwt",
    variant: str = "valid",
    meta: dict[str, Any] | None = None,
    content_type: str | None = None,
) -> dict[str, Any]:
    """Make one signed SPI call and report the provider's answer with what was sent."""
    method = method_name(method)
    url = provider_url(site, default_base, method, base_uri)
    meta = meta or metadata(site)
    body, headers, token = build_envelope(app, request, meta, style=style, variant=variant)
    if content_type:
        headers["content-type"] = content_type
    result = await post(url, body, headers, timeout)
    result.update(
        {
            "method": method,
            "style": style,
            "variant": variant,
            "request": request,
            "metadata": meta,
            "jwt": token,
        }
    )
    return result
