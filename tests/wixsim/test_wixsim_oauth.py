"""OAuth client credentials, token-info, token expiry and cross-instance refusal."""

from __future__ import annotations

import time

from wixsim import oauth as wixsim_oauth
from wixsim.client import WixSimClient


def _token_request(wixsim: WixSimClient, instance_id: str, secret: str | None = None):
    return wixsim.http.post(
        "/oauth2/token",
        json={
            "grant_type": "client_credentials",
            "client_id": wixsim.app_id,
            "client_secret": secret or wixsim.app_secret,
            "instance_id": instance_id,
        },
    )


def test_client_credentials_mint_a_bearer_token_with_lifetime(wixsim, site):
    response = _token_request(wixsim, site.instance_id)
    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 14400
    assert body["access_token"]


def test_wrong_secret_is_refused(wixsim, site):
    assert _token_request(wixsim, site.instance_id, secret="nope").status_code == 401


def test_unknown_instance_is_refused(wixsim, site):
    assert _token_request(wixsim, "no-such-instance").status_code == 403


def test_token_info_describes_an_active_token(wixsim, site):
    token = wixsim.wix_token(site.instance_id)
    info = wixsim.http.post("/oauth2/token-info", json={"token": token}).json()
    assert info["active"] is True
    assert info["instanceId"] == site.instance_id
    assert info["clientId"] == wixsim.app_id
    assert info["subjectType"] == "APP"
    assert info["exp"] - info["iat"] == 14400


def test_token_is_accepted_with_or_without_bearer_prefix(wixsim, site):
    token = wixsim.wix_token(site.instance_id)
    path = "/restaurants/v1/pos-integration/configurations"
    assert wixsim.wix("GET", path, token=token).status_code == 200
    assert wixsim.wix("GET", path, token=f"Bearer {token}").status_code == 200


def test_missing_token_is_401(wixsim, site):
    response = wixsim.wix("GET", "/restaurants/v1/pos-integration/configurations")
    assert response.status_code == 401
    assert response.json()["details"]["applicationError"]["code"] == "UNAUTHENTICATED"


def test_token_expires_after_its_configured_lifetime(wixsim, site, monkeypatch):
    # wixsim runs in this process: its token clock is moved instead of waiting a second.
    frozen = [time.time()]
    monkeypatch.setattr(wixsim_oauth, "now", lambda: frozen[0])
    wixsim.set_token_lifetime(1)
    response = _token_request(wixsim, site.instance_id)
    assert response.json()["expires_in"] == 1
    token = response.json()["access_token"]
    path = "/restaurants/v1/pos-integration/configurations"
    assert wixsim.wix("GET", path, token=token).status_code == 200
    frozen[0] += 1.05
    assert wixsim.wix("GET", path, token=token).status_code == 401
    info = wixsim.http.post("/oauth2/token-info", json={"token": token}).json()
    assert info == {"active": False}


def test_expire_tokens_forces_401_then_a_new_token_works(wixsim, site):
    token = wixsim.wix_token(site.instance_id)
    assert wixsim.expire_tokens(site.instance_id) == 1
    path = "/restaurants/v1/pos-integration/configurations"
    assert wixsim.wix("GET", path, token=token).status_code == 401
    assert wixsim.wix("GET", path, instance_id=site.instance_id).status_code == 200


def test_a_token_cannot_read_another_instances_resources(wixsim, site):
    other = wixsim.create_site(configurations=2)
    token = wixsim.wix_token(other["instanceId"])
    paths = [
        f"/restaurants/v1/pos-integration/configurations/{site.configuration_id}",
        f"/restaurants/v3/catalogs/{site.catalog_id}/items",
        f"/restaurants/v3/catalogs/{site.catalog_id}/menus",
    ]
    for path in paths:
        response = wixsim.wix("GET", path, token=token)
        assert response.status_code in (403, 404), path
        assert "Margherita" not in response.text
    listed = wixsim.wix("GET", "/restaurants/v1/pos-integration/configurations", token=token).json()
    assert {c["id"] for c in listed["configurations"]} == {c["id"] for c in other["configurations"]}
    catalogs = wixsim.wix("GET", "/restaurants/v3/catalogs", token=token).json()["catalogs"]
    assert site.catalog_id not in {c["id"] for c in catalogs}


def test_a_token_cannot_write_another_instances_catalog_or_orders(wixsim, site):
    other = wixsim.create_site()
    token = wixsim.wix_token(other["instanceId"])
    assert (
        wixsim.wix("POST", f"/restaurants/v3/draft-catalogs/{site.catalog_id}/create", token=token).status_code == 404
    )
    assert wixsim.draft_catalog(site.catalog_id) is None
    result = wixsim.checkout(site.instance_id, site.configuration_id, [{"itemId": _soda(wixsim, site)}])
    accept = wixsim.wix("POST", f"/restaurants/v3/orders/{result['orderId']}/accept", token=token, json={})
    assert accept.status_code == 404
    assert wixsim.order(result["orderId"])["order"]["status"] == "NEW"
    disconnect = wixsim.wix(
        "POST",
        f"/restaurants/v1/pos-integration/configurations/{site.configuration_id}/disconnect",
        token=token,
    )
    assert disconnect.status_code == 404


def _soda(wixsim: WixSimClient, site) -> str:
    return next(i["id"] for i in wixsim.live_catalog(site.catalog_id)["items"] if i["name"] == "Soda")


def test_token_request_may_be_form_encoded(wixsim, site):
    form = {
        "grant_type": "client_credentials",
        "client_id": wixsim.app_id,
        "client_secret": wixsim.app_secret,
        "instance_id": site.instance_id,
    }
    response = wixsim.http.post("/oauth2/token", data=form)
    assert response.status_code == 200
    assert response.json()["access_token"]
