"""The dashboard page's entry and session: Wix's signed `instance`, then a page token carried by every request.

Wix opens the page in an iframe on its own site (wix-apis.md §6), so the page lives in a
third-party context where browsers block or partition cookies, and where plain-HTTP test origins
cannot hold a `Secure` cookie at all. The session is therefore no cookie: the verified instance is
exchanged for a short-lived signed token that the page puts on every htmx request (header
`X-Dashboard-Session`). A CSRF token bound to that session's random id must accompany every state
change as a form field. Both are HMAC-SHA256 with a key derived from the app secret; nothing is
stored server-side, and a token names its instance, so every action is scoped to it.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from posbridge.services.tenancy import is_instance_id

SESSION_HEADER = "X-Dashboard-Session"
CSRF_FIELD = "csrf"
# A signDate a little in the future is clock skew between Wix and us, not an attack.
CLOCK_SKEW_SECONDS = 60
MAX_INSTANCE_CHARS = 8192


class Refused(Exception):
    """The request does not get the page: 401 (not proven to come from Wix) or 403 (not the site's owner)."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


@dataclass(frozen=True)
class Owner:
    """Who opened the page: the site's instance and the Wix user (the signed instance's uid)."""

    instance_id: str
    uid: str


@dataclass(frozen=True)
class Session:
    """A verified page session."""

    owner: Owner
    sid: str
    expires: datetime
    token: str
    csrf: str


def _b64decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _b64encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _parse_time(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None


def verify_instance(instance: str | None, app_secret: str, *, max_age_seconds: int, now: datetime) -> Owner:
    """Wix's `instance` (`<signature>.<data>`) checked: signature in constant time, age, owner only."""
    if not instance:
        raise Refused(401, "This page opens from your Wix dashboard (the signed instance is missing).")
    if not app_secret or len(instance) > MAX_INSTANCE_CHARS or "." not in instance:
        raise Refused(401, "The signed instance is not valid.")
    signature, data_part = instance.split(".", 1)
    expected = hmac.new(app_secret.encode(), data_part.encode(), hashlib.sha256).digest()
    try:
        given = _b64decode(signature)
        data: Any = json.loads(_b64decode(data_part))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise Refused(401, "The signed instance is not valid.") from None
    if not hmac.compare_digest(given, expected):
        raise Refused(401, "The signed instance is not valid (its signature does not match).")
    if not isinstance(data, dict) or not is_instance_id(data.get("instanceId")):
        raise Refused(401, "The signed instance names no site.")
    signed = _parse_time(data.get("signDate"))
    if signed is None:
        raise Refused(401, "The signed instance has no signing date.")
    age = (now - signed).total_seconds()
    if age > max_age_seconds or age < -CLOCK_SKEW_SECONDS:
        raise Refused(401, "This page has expired: open it again from your Wix dashboard.")
    uid = data.get("uid")
    if data.get("aid") is not None or not isinstance(uid, str) or not uid:
        raise Refused(403, "Only the site's owner or its collaborators can open this page.")
    return Owner(instance_id=str(data["instanceId"]), uid=uid)


class Sessions:
    """Issues and checks page tokens and CSRF tokens with a key of their own, derived from the app secret."""

    def __init__(self, app_secret: str, lifetime: timedelta) -> None:
        self._key = hmac.new(app_secret.encode(), b"posbridge-dashboard-session/1", hashlib.sha256).digest()
        self.lifetime = lifetime

    def _mac(self, purpose: str, text: str) -> str:
        return _b64encode(hmac.new(self._key, f"{purpose}:{text}".encode(), hashlib.sha256).digest())

    def issue(self, owner: Owner, now: datetime) -> Session:
        """A new session for the owner (a fresh id, so older CSRF tokens go stale)."""
        sid = secrets.token_urlsafe(16)
        expires = now + self.lifetime
        body = {"i": owner.instance_id, "u": owner.uid, "s": sid, "e": int(expires.timestamp())}
        payload = _b64encode(json.dumps(body, separators=(",", ":")).encode())
        token = f"{payload}.{self._mac('session', payload)}"
        return Session(owner, sid, expires, token, self._mac("csrf", sid))

    def check(self, token: str | None, now: datetime) -> Session:
        """The session a token carries; 401 when missing, forged or expired."""
        if not token or len(token) > 1024 or "." not in token:
            raise Refused(401, "Your session has ended: open the page again from your Wix dashboard.")
        payload, mac = token.rsplit(".", 1)
        if not hmac.compare_digest(mac.encode(), self._mac("session", payload).encode()):
            raise Refused(401, "Your session is not valid: open the page again from your Wix dashboard.")
        body = json.loads(_b64decode(payload))
        expires = datetime.fromtimestamp(int(body["e"]), UTC)
        if expires <= now:
            raise Refused(401, "Your session has ended: open the page again from your Wix dashboard.")
        owner = Owner(instance_id=str(body["i"]), uid=str(body["u"]))
        return Session(owner, str(body["s"]), expires, token, self._mac("csrf", str(body["s"])))

    @staticmethod
    def check_csrf(session: Session, given: str | None) -> None:
        """A state change must carry this session's CSRF token (missing or another session's: 403)."""
        if not given or not hmac.compare_digest(given.encode(), session.csrf.encode()):
            raise Refused(403, "This form is out of date: reload the page and try again.")
