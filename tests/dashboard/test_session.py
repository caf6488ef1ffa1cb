"""The signed instance and the page token, judged without a server (clocks injected)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from posbridge.dashboard.session import Owner, Refused, Sessions, verify_instance

SECRET = "app-secret"
NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
INSTANCE_ID = "0f6c3e1a-1111-4a2b-9c3d-123456789abc"


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _instance(secret: str = SECRET, **data: Any) -> str:
    body = {"instanceId": INSTANCE_ID, "signDate": "2026-11-30T11:59:00Z", "uid": "owner-1", "permissions": "OWNER"}
    body.update(data)
    body = {k: v for k, v in body.items() if v is not None}
    part = _b64(json.dumps(body).encode())
    return f"{_b64(hmac.new(secret.encode(), part.encode(), hashlib.sha256).digest())}.{part}"


def _verify(instance: str | None) -> Owner:
    return verify_instance(instance, SECRET, max_age_seconds=600, now=NOW)


def test_an_owners_fresh_instance_names_the_site_and_user() -> None:
    assert _verify(_instance()) == Owner(INSTANCE_ID, "owner-1")


@pytest.mark.parametrize(
    ("instance", "status"),
    [
        (None, 401),
        ("", 401),
        ("no-dot", 401),
        ("!!!.???", 401),
        ("a" * 9000 + ".b", 401),
        (_instance(secret="other"), 401),
        (_instance(signDate="2026-11-30T11:49:59Z"), 401),  # older than 10 minutes
        (_instance(signDate="2026-11-30T12:05:00Z"), 401),  # from the future, beyond clock skew
        (_instance(signDate="yesterday"), 401),
        (_instance(instanceId="not-a-guid"), 401),
        (_instance(uid=None), 403),
        (_instance(uid=""), 403),
        (_instance(aid="anon-1"), 403),
    ],
)
def test_bad_instances_are_refused(instance: str | None, status: int) -> None:
    with pytest.raises(Refused) as refused:
        _verify(instance)
    assert refused.value.status == status and refused.value.reason


def test_a_tampered_data_part_fails_the_signature() -> None:
    signature, data = _instance().split(".")
    body = json.loads(base64.urlsafe_b64decode(data + "=="))
    body["instanceId"] = "0f6c3e1a-2222-4a2b-9c3d-123456789abc"
    with pytest.raises(Refused) as refused:
        _verify(f"{signature}.{_b64(json.dumps(body).encode())}")
    assert refused.value.status == 401


def test_page_tokens_expire_and_cannot_be_forged_or_reused_for_csrf() -> None:
    sessions = Sessions(SECRET, timedelta(minutes=60))
    session = sessions.issue(Owner(INSTANCE_ID, "owner-1"), NOW)
    assert sessions.check(session.token, NOW + timedelta(minutes=59)).owner.instance_id == INSTANCE_ID
    with pytest.raises(Refused):
        sessions.check(session.token, NOW + timedelta(minutes=60))
    payload, mac = session.token.rsplit(".", 1)
    other = _b64(json.dumps({"i": "0f6c3e1a-2222-4a2b-9c3d-123456789abc", "u": "x", "s": "s", "e": 9e9}).encode())
    tampered = mac[:-2] + ("BB" if mac.endswith("AA") else "AA")  # "AA" alone: one MAC in a thousand ends so
    for forged in (f"{other}.{mac}", f"{payload}.{tampered}", "", "x" * 2000):
        with pytest.raises(Refused):
            sessions.check(forged, NOW)
    # A token made with another app's secret is not ours.
    with pytest.raises(Refused):
        Sessions("another-secret", timedelta(minutes=60)).check(session.token, NOW)
    later = sessions.issue(Owner(INSTANCE_ID, "owner-1"), NOW)
    Sessions.check_csrf(later, later.csrf)
    for stale in (session.csrf, None, ""):
        with pytest.raises(Refused) as refused:
            Sessions.check_csrf(later, stale)
        assert refused.value.status == 403
