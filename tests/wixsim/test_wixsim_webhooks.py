"""App webhooks: RS256 JWT, layered JSON strings, and what install/remove mean on Wix's side."""

from __future__ import annotations

import json

import jwt
import pytest

from wixsim.client import WixSimError


def unwrap(wixsim, body: bytes):
    """Decode like a provider: verify, then parse data (string) -> event -> data/identity (strings)."""
    claims = jwt.decode(body.decode(), wixsim.public_key_pem, algorithms=["RS256"], options={"require": ["exp"]})
    assert isinstance(claims["data"], str)
    event = json.loads(claims["data"])
    assert isinstance(event["data"], str)
    assert isinstance(event["identity"], str)
    return event, json.loads(event["data"]), json.loads(event["identity"])


def test_app_installed_is_layered_and_signed(wixsim, site, provider):
    result = wixsim.send_webhook(site.instance_id, "AppInstalled")
    assert result["status"] == 200
    [call] = provider.received
    assert call["path"] == "/wix/webhooks"
    assert call["headers"]["content-type"] == "text/plain"
    event, data, identity = unwrap(wixsim, call["body"])
    assert event["eventType"] == "AppInstalled"
    assert event["instanceId"] == site.instance_id
    assert data == {"appId": wixsim.app_id, "originInstanceId": ""}
    assert identity["identityType"] == "WIX_USER"


def test_app_removed_uninstalls_and_revokes_tokens(wixsim, site, provider):
    token = wixsim.wix_token(site.instance_id)
    wixsim.send_webhook(site.instance_id, "AppRemoved")
    event, data, _identity = unwrap(wixsim, provider.received[0]["body"])
    assert (event["eventType"], data) == ("AppRemoved", {})
    assert wixsim.get_site(site.instance_id)["installed"] is False
    path = "/restaurants/v1/pos-integration/configurations"
    assert wixsim.wix("GET", path, token=token).status_code == 401
    with pytest.raises(WixSimError) as refused:
        wixsim.wix_token(site.instance_id, fresh=True)
    assert refused.value.response.status_code == 403


def test_reinstall_allows_tokens_again(wixsim, site, provider):
    wixsim.send_webhook(site.instance_id, "AppRemoved")
    wixsim.send_webhook(site.instance_id, "AppInstalled")
    assert wixsim.wix_token(site.instance_id, fresh=True)


def test_apply_false_only_sends(wixsim, site, provider):
    wixsim.send_webhook(site.instance_id, "AppRemoved", apply=False)
    assert wixsim.get_site(site.instance_id)["installed"] is True


def test_tampered_webhook_fails_verification(wixsim, site, provider):
    wixsim.send_webhook(site.instance_id, "AppInstalled", variant="tampered")
    with pytest.raises(jwt.InvalidSignatureError):
        unwrap(wixsim, provider.received[0]["body"])


def test_install_webhook_on_site_creation(wixsim, provider):
    created = wixsim.create_site(webhook_url=provider.base_url + "/hooks", send_install_webhook=True)
    assert created["installWebhook"]["status"] == 200
    event, _data, _identity = unwrap(wixsim, provider.calls("/hooks")[0]["body"])
    assert event["instanceId"] == created["instanceId"]


def test_unknown_event_type_is_400(wixsim, site):
    response = wixsim.http.post("/_sim/webhooks", json={"instanceId": site.instance_id, "eventType": "Nope"})
    assert response.status_code == 400
