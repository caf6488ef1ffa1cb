"""OAuth client credentials, token-info, and the per-call token check every Wix API runs."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from urllib.parse import parse_qs

from fastapi import APIRouter, Request

from wixsim.clock import now
from wixsim.errors import WixApiError, WixValidationError, json_body
from wixsim.state import Store, TokenRecord

router = APIRouter()


@dataclass(frozen=True)
class Caller:
    """The app instance an access token was minted for."""

    instance_id: str
    token: str


def store_of(request: Request) -> Store:
    """The Store behind this app."""
    return request.app.state.store


def token_from_header(value: str | None) -> str | None:
    """The token in an Authorization header, with or without a `Bearer ` prefix."""
    if not value:
        return None
    value = value.strip()
    if value[:7].lower() == "bearer ":
        value = value[7:].strip()
    return value or None


def lookup_token(store: Store, token: str | None) -> TokenRecord | None:
    """The live (unexpired, instance still installed) token record, if any."""
    if token is None:
        return None
    rec = store.data.tokens.get(token)
    if rec is None or rec.exp <= now():
        return None
    site = store.data.sites.get(rec.instance_id)
    if site is None or not site.installed:
        return None
    return rec


async def caller(request: Request) -> Caller:
    """FastAPI dependency: the authenticated caller, else 401 in Wix's shape."""
    token = token_from_header(request.headers.get("authorization"))
    rec = lookup_token(store_of(request), token)
    if rec is None:
        reason = "Missing access token" if token is None else "Access token is invalid or expired"
        raise WixApiError(401, "UNAUTHENTICATED", reason)
    return Caller(instance_id=rec.instance_id, token=rec.token)


@router.post("/oauth2/token", name="token")
async def create_token(request: Request) -> dict:
    """Client credentials grant: an access token for one app instance."""
    store = store_of(request)
    if request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
        body = {k: v[0] for k, v in parse_qs((await request.body()).decode()).items()}
    else:
        body = await json_body(request)
    if body.get("grant_type") != "client_credentials":
        raise WixValidationError("grant_type", "Only client_credentials is supported")
    for field in ("client_id", "client_secret", "instance_id"):
        if not body.get(field):
            raise WixValidationError(field, "Required", "REQUIRED_FIELD")
    app = store.data.app
    if body["client_id"] != app.app_id or not secrets.compare_digest(str(body["client_secret"]), app.app_secret):
        raise WixApiError(401, "INVALID_CLIENT", "Invalid client credentials")
    site = store.data.sites.get(body["instance_id"])
    if site is None or not site.installed:
        raise WixApiError(403, "APP_NOT_INSTALLED", "The app is not installed on this instance")
    lifetime = store.data.settings.token_lifetime_seconds
    issued = int(now())
    token = "OauthNG.JWS." + secrets.token_urlsafe(32)
    store.data.tokens[token] = TokenRecord(token=token, instance_id=site.instance_id, iat=issued, exp=issued + lifetime)
    return {"access_token": token, "token_type": "Bearer", "expires_in": lifetime}


@router.post("/oauth2/token-info", name="tokenInfo")
async def token_info(request: Request) -> dict:
    """Introspect a token: {active, subjectType, subjectId, exp, iat, clientId, siteId, instanceId}."""
    store = store_of(request)
    body = await json_body(request)
    if not body.get("token"):
        raise WixValidationError("token", "Required", "REQUIRED_FIELD")
    rec = lookup_token(store, token_from_header(str(body["token"])))
    if rec is None:
        return {"active": False}
    app_id = store.data.app.app_id
    return {
        "active": True,
        "subjectType": "APP",
        "subjectId": app_id,
        "exp": rec.exp,
        "iat": rec.iat,
        "clientId": app_id,
        "siteId": store.data.sites[rec.instance_id].site_id,
        "instanceId": rec.instance_id,
    }
