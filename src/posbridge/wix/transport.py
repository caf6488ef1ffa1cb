"""The one seam for I/O with Wix: an httpx client over one transport (tests swap the transport)."""

from __future__ import annotations

import httpx

from posbridge import __version__
from posbridge.config import Settings

# Connecting should be quick on a healthy network; reading may legitimately take longer (bulk calls).
CONNECT_TIMEOUT_SECONDS = 5.0


def build_http_client(settings: Settings, transport: httpx.BaseTransport | None = None) -> httpx.Client:
    """An httpx client with Wix timeouts and a connection pool sized for several concurrent syncs."""
    timeout = httpx.Timeout(
        settings.wix_timeout_seconds, connect=min(CONNECT_TIMEOUT_SECONDS, settings.wix_timeout_seconds)
    )
    return httpx.Client(
        transport=transport
        or httpx.HTTPTransport(limits=httpx.Limits(max_connections=50, max_keepalive_connections=20)),
        timeout=timeout,
        headers={"User-Agent": f"posbridge/{__version__}", "Accept": "application/json"},
        follow_redirects=False,
    )
