"""Dashboard iframe URLs with a signed `instance` (HMAC-SHA256 with the app secret) and bad variants."""

from __future__ import annotations

import base64
import hashlib
import hmac
import html
import json
from typing import Any
from urllib.parse import urlencode

from wixsim.clock import now, rfc3339
from wixsim.signer import b64url
from wixsim.state import AppCredentials, Site

VARIANTS = ("valid", "forged", "tampered", "expired", "visitor", "aid")
"""valid: owner, fresh; forged: wrong secret; tampered: data changed after signing;
expired: signed 11 minutes ago (or ageSeconds); visitor: no uid (aid only); aid: owner uid plus aid."""

EXPIRED_AGE_SECONDS = 11 * 60


def instance_data(app: AppCredentials, site: Site, variant: str, age_seconds: float | None) -> dict[str, Any]:
    """The decoded `data` part of the instance parameter."""
    age = age_seconds if age_seconds is not None else (EXPIRED_AGE_SECONDS if variant == "expired" else 0)
    data: dict[str, Any] = {
        "instanceId": site.instance_id,
        "appDefId": app.app_id,
        "signDate": rfc3339(now() - age),
        "uid": site.owner_user_id,
        "permissions": "OWNER",
        "demoMode": False,
        "siteOwnerId": site.owner_user_id,
        "siteMemberId": site.owner_user_id,
        "metaSiteId": site.site_id,
    }
    if variant == "visitor":
        del data["uid"]
        data["permissions"] = ""
        data["aid"] = "aid-" + site.instance_id[:8]
    elif variant == "aid":
        data["aid"] = "aid-" + site.instance_id[:8]
    return data


def sign_instance(secret: str, data_part: str) -> str:
    """base64url(HMAC-SHA256(secret, data part as sent)) without padding."""
    return b64url(hmac.new(secret.encode(), data_part.encode(), hashlib.sha256).digest())


def instance_param(app: AppCredentials, site: Site, variant: str = "valid", age_seconds: float | None = None) -> str:
    """`<signature>.<data>` as Wix puts it in the iframe URL."""
    if variant not in VARIANTS:
        raise ValueError(f"unknown variant {variant!r}; one of {', '.join(VARIANTS)}")
    data_part = b64url(json.dumps(instance_data(app, site, variant, age_seconds), separators=(",", ":")).encode())
    secret = "not-the-app-secret" if variant == "forged" else app.app_secret
    signature = sign_instance(secret, data_part)
    if variant == "tampered":
        decoded = json.loads(base64.urlsafe_b64decode(data_part + "=" * (-len(data_part) % 4)))
        decoded["permissions"] = "OWNER,ADMIN"
        decoded["instanceId"] = decoded["instanceId"][::-1]
        data_part = b64url(json.dumps(decoded, separators=(",", ":")).encode())
    return f"{signature}.{data_part}"


def dashboard_url(
    app: AppCredentials,
    site: Site,
    base_url: str,
    variant: str = "valid",
    age_seconds: float | None = None,
) -> dict[str, Any]:
    """The full iframe URL plus its parts."""
    instance = instance_param(app, site, variant, age_seconds)
    query = {
        "instance": instance,
        "locale": site.locale,
        "lang": site.locale,
        "viewMode": "dashboard",
        "deviceType": "desktop",
        "currency": site.currency,
        "regionalLanguage": site.locale,
    }
    sep = "&" if "?" in base_url else "?"
    return {"url": f"{base_url}{sep}{urlencode(query)}", "instance": instance, "variant": variant}


def dashboard_page(site: Site, iframe_url: str) -> str:
    """Wix's dashboard around the app's page: a side bar, a header and the provider's iframe.

    Served by wixsim (on whatever host the browser used, e.g. `localhost`) while the iframe points
    at the provider (e.g. `127.0.0.1`), so the browser applies its third-party iframe rules.
    """
    name = html.escape(site.name or site.instance_id)
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{name} · Wix dashboard (wixsim)</title><link rel="icon" href="data:,">
<style>
body {{ margin: 0; font: 14px/1.4 Helvetica, Arial, sans-serif; background: #f0f4f7; color: #162d3d;
  display: grid; grid-template-columns: 200px 1fr; grid-template-rows: 48px 1fr; height: 100vh; }}
header {{ grid-column: 1 / 3; background: #162d3d; color: #fff; display: flex; align-items: center; padding: 0 16px; }}
nav {{ background: #fff; border-right: 1px solid #dfe5eb; padding: 16px; }}
nav a {{ display: block; color: #116dff; padding: 6px 0; text-decoration: none; }}
iframe {{ width: 100%; height: 100%; border: 0; }}
@media (max-width: 800px) {{ body {{ display: block; }} header {{ height: 48px; }} nav {{ display: none; }}
  iframe {{ height: calc(100vh - 48px); }} }}
</style></head>
<body><header><strong>wixsim</strong>&nbsp;· {name}</header>
<nav aria-label="Dashboard"><a href="#">Home</a><a href="#">Restaurants</a>
<a aria-current="page" href="#">POS Locations</a></nav>
<iframe id="app" title="POS Locations" src="{html.escape(iframe_url, quote=True)}"></iframe>
</body></html>"""
