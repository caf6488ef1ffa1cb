"""SPI envelope: signed RS256 as Wix does, verified by an independent decode with PyJWT."""

from __future__ import annotations

import hashlib
import json
import time

import jwt
import pytest

METHODS = {
    "list-account-ids": "/account-ids",
    "get-configuration-status": "/get-configuration-status",
    "sync-catalog": "/sync-catalog",
    "get-catalog-sync-status": "/get-catalog-sync-status",
    "validate-order": "/validate-order",
    "create-order": "/create-order",
}


def decode(wixsim, token):
    """Verify like a provider (as Wix's SDK does): RS256, the app id as audience, iss wix.com, exp when present.

    Without exp, a token must be freshly issued (posbridge's deliberate bound, docs/decisions.md).
    """
    claims = jwt.decode(
        token,
        wixsim.public_key_pem,
        algorithms=["RS256"],
        audience=wixsim.app_id,
        issuer="wix.com",
        options={"require": ["iat", "iss", "aud"]},
        leeway=60,
    )
    if "exp" in claims:
        assert claims["iat"] <= claims["exp"]
    else:
        assert time.time() - claims["iat"] <= 600
    return claims


@pytest.mark.parametrize("method", list(METHODS))
def test_each_method_posts_a_signed_text_plain_jwt_to_its_path(wixsim, site, provider, method):
    result = wixsim.spi_call(method, site.instance_id, account_id="acct-1", configuration_id=site.configuration_id)
    assert result["status"] == 200
    [call] = provider.received
    assert call["path"] == "/wix/pos-spi" + METHODS[method]
    assert call["headers"]["content-type"] == "text/plain"
    claims = decode(wixsim, call["body"].decode())
    data = claims["data"]
    if method != "list-account-ids":
        assert data["request"] == {"accountId": "acct-1", "configurationId": site.configuration_id}
    meta = data["metadata"]
    assert meta["instanceId"] == site.instance_id
    assert meta["currency"] == "USD"
    assert meta["languages"] == ["en-US"]
    assert meta["requestId"]
    assert meta["appExtensionType"]
    assert meta["identity"]["identityType"] == "WIX_USER"
    assert meta["identity"]["wixUserId"] == wixsim.get_site(site.instance_id)["ownerUserId"]


def test_answer_of_the_provider_is_returned(wixsim, site, provider):
    result = wixsim.spi_call("list-account-ids", site.instance_id)
    assert result["body"] == {"accountIds": ["acct-1"]}


def test_base_uri_can_be_chosen_per_call(wixsim, site, provider):
    wixsim.spi_call(
        "sync-catalog",
        site.instance_id,
        provider_base_uri=provider.base_url + "/other/v1",
        account_id="a",
        configuration_id="c",
    )
    assert provider.received[0]["path"] == "/other/v1/sync-catalog"


def test_base_uri_can_be_changed_per_site(wixsim, site, provider):
    wixsim.update_site(site.instance_id, provider_base_uri=provider.base_url + "/moved")
    wixsim.spi_call("list-account-ids", site.instance_id)
    assert provider.received[0]["path"] == "/moved/account-ids"


def test_unreachable_provider_is_reported_not_raised(wixsim, site):
    result = wixsim.spi_call("list-account-ids", site.instance_id, provider_base_uri="http://127.0.0.1:9")
    assert result["status"] is None
    assert result["error"].startswith("connection")


def test_digest_style_sends_json_with_a_signed_sha256(wixsim, site, provider):
    wixsim.spi_call("sync-catalog", site.instance_id, style="digest", account_id="a", configuration_id="c")
    [call] = provider.received
    assert call["headers"]["content-type"] == "application/json"
    scheme, token = call["headers"]["digest"].split("=", 1)
    assert scheme == "JWT"
    claims = decode(wixsim, token)
    assert claims["data"]["SHA256"] == hashlib.sha256(call["body"]).hexdigest()
    assert json.loads(call["body"])["request"] == {"accountId": "a", "configurationId": "c"}


def test_digest_mismatch_variant_hashes_other_bytes(wixsim, site, provider):
    wixsim.spi_call("sync-catalog", site.instance_id, style="digest", variant="digest_mismatch")
    call = provider.received[0]
    claims = decode(wixsim, call["headers"]["digest"].split("=", 1)[1])
    assert claims["data"]["SHA256"] != hashlib.sha256(call["body"]).hexdigest()


@pytest.mark.parametrize(
    ("variant", "error"),
    [
        ("tampered", jwt.InvalidSignatureError),
        ("wrong_key", jwt.InvalidSignatureError),
        ("expired", jwt.ExpiredSignatureError),
        ("wrong_aud", jwt.InvalidAudienceError),
        ("wrong_iss", jwt.InvalidIssuerError),
        ("future_iat", jwt.ImmatureSignatureError),
        ("unsigned", jwt.InvalidAlgorithmError),
    ],
)
def test_bad_variants_fail_an_honest_verification(wixsim, site, provider, variant, error):
    wixsim.spi_call("list-account-ids", site.instance_id, variant=variant)
    token = provider.received[0]["body"].decode()
    with pytest.raises(error):
        decode(wixsim, token)


def test_the_no_exp_variant_is_a_fresh_token_that_an_honest_verification_accepts(wixsim, site, provider):
    wixsim.spi_call("list-account-ids", site.instance_id, variant="no_exp")
    claims = decode(wixsim, provider.received[0]["body"].decode())
    assert "exp" not in claims and claims["data"]["metadata"]["instanceId"] == site.instance_id


def test_explicit_request_and_identity_are_sent_verbatim(wixsim, site, provider):
    identity = {"identityType": "APP", "appId": wixsim.app_id}
    wixsim.spi_call(
        "get-configuration-status", site.instance_id, request={"accountId": "x"}, identity=identity, request_id="req-42"
    )
    data = decode(wixsim, provider.received[0]["body"].decode())["data"]
    assert data["request"] == {"accountId": "x"}
    assert data["metadata"]["identity"] == identity
    assert data["metadata"]["requestId"] == "req-42"


def test_unknown_method_is_a_400_from_the_control_api(wixsim, site):
    response = wixsim.http.post("/_sim/spi/delete-everything", json={"instanceId": site.instance_id})
    assert response.status_code == 400


def test_metadata_can_be_bent_for_tolerance_tests(wixsim, site, provider):
    wixsim.spi_call(
        "list-account-ids", site.instance_id, metadata={"languages": "en-US", "newField": 1, "appExtensionType": None}
    )
    meta = decode(wixsim, provider.received[0]["body"].decode())["data"]["metadata"]
    assert meta["languages"] == "en-US"
    assert meta["newField"] == 1
    assert "appExtensionType" not in meta


def test_content_type_can_be_wixs_own_plain_text_spelling(wixsim, site, provider):
    wixsim.spi_call("list-account-ids", site.instance_id, content_type="plain/text")
    call = provider.received[0]
    assert call["headers"]["content-type"] == "plain/text"
    assert decode(wixsim, call["body"].decode())["data"]["metadata"]["instanceId"] == site.instance_id
