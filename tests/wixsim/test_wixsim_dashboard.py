"""Dashboard URLs: instance = base64url(HMAC-SHA256(secret, data)).base64url(data)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit

import pytest


def b64decode(part: str) -> bytes:
    """base64url without padding."""
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def parse(url: str):
    """(query, signature valid?, data)."""
    query = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
    signature, data_part = query["instance"].split(".", 1)
    return query, signature, data_part, json.loads(b64decode(data_part))


def verify(secret: str, signature: str, data_part: str) -> bool:
    """What a provider checks."""
    expected = hmac.new(secret.encode(), data_part.encode(), hashlib.sha256).digest()
    return hmac.compare_digest(expected, b64decode(signature))


def age_seconds(data) -> float:
    """Seconds since signDate."""
    signed = datetime.fromisoformat(data["signDate"].replace("Z", "+00:00"))
    return (datetime.now(UTC) - signed).total_seconds()


def test_valid_url_is_signed_for_the_owner(wixsim, site, provider):
    url = wixsim.dashboard_url(site.instance_id)
    assert url.startswith(provider.base_url + "/dashboard?")
    query, signature, data_part, data = parse(url)
    assert verify(wixsim.app_secret, signature, data_part)
    assert data["instanceId"] == site.instance_id
    assert data["uid"] == wixsim.get_site(site.instance_id)["ownerUserId"]
    assert "aid" not in data
    assert age_seconds(data) < 60
    assert query["viewMode"] == "dashboard"
    assert query["locale"] == "en"


@pytest.mark.parametrize("variant", ["forged", "tampered"])
def test_forged_and_tampered_urls_fail_verification(wixsim, site, variant):
    _query, signature, data_part, _data = parse(wixsim.dashboard_url(site.instance_id, variant))
    assert not verify(wixsim.app_secret, signature, data_part)


def test_expired_url_is_signed_but_old(wixsim, site):
    _query, signature, data_part, data = parse(wixsim.dashboard_url(site.instance_id, "expired"))
    assert verify(wixsim.app_secret, signature, data_part)
    assert age_seconds(data) > 600


def test_age_can_be_chosen(wixsim, site):
    _query, _sig, _part, data = parse(wixsim.dashboard_url(site.instance_id, age_seconds=120))
    assert 100 < age_seconds(data) < 200


def test_visitor_url_has_no_uid_but_an_aid(wixsim, site):
    _query, signature, data_part, data = parse(wixsim.dashboard_url(site.instance_id, "visitor"))
    assert verify(wixsim.app_secret, signature, data_part)
    assert "uid" not in data
    assert data["aid"]


def test_aid_variant_carries_uid_and_aid(wixsim, site):
    _query, _sig, _part, data = parse(wixsim.dashboard_url(site.instance_id, "aid"))
    assert data["uid"] and data["aid"]


def test_url_base_can_be_given_per_call(wixsim, site):
    assert wixsim.dashboard_url(site.instance_id, url="http://x.test/page?a=1").startswith("http://x.test/page?a=1&")
