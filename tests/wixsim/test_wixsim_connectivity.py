"""POS connectivity: configurations and both disconnects."""

from __future__ import annotations

CONFIGS = "/restaurants/v1/pos-integration/configurations"


def test_list_configurations_returns_wix_shape(wixsim, site):
    body = wixsim.wix("GET", CONFIGS, instance_id=site.instance_id).json()
    [conf] = body["configurations"]
    assert conf == {
        "id": site.configuration_id,
        "location": {"name": "Downtown"},
        "catalogId": site.catalog_id,
        "archived": False,
        "enabled": True,
    }


def test_sdk_path_form_serves_the_same_configuration(wixsim, site):
    docs = wixsim.wix("GET", f"{CONFIGS}/{site.configuration_id}", instance_id=site.instance_id).json()
    sdk = wixsim.wix(
        "GET", f"/v1/pos-integration/configurations/{site.configuration_id}", instance_id=site.instance_id
    ).json()
    assert docs == sdk
    assert docs["configuration"]["id"] == site.configuration_id


def test_unknown_configuration_is_404(wixsim, site):
    response = wixsim.wix("GET", f"{CONFIGS}/nope", instance_id=site.instance_id)
    assert response.status_code == 404
    assert response.json()["details"]["applicationError"]["code"] == "CONFIGURATION_NOT_FOUND"


def test_disconnect_configuration_disables_only_that_configuration(wixsim):
    created = wixsim.create_site(configurations=2)
    first, second = (c["id"] for c in created["configurations"])
    iid = created["instanceId"]
    assert wixsim.wix("POST", f"{CONFIGS}/{first}/disconnect", instance_id=iid).json() == {}
    enabled = {c["id"]: c["enabled"] for c in wixsim.wix("GET", CONFIGS, instance_id=iid).json()["configurations"]}
    assert enabled == {first: False, second: True}


def test_disconnect_account_disables_every_configuration_and_is_recorded(wixsim):
    created = wixsim.create_site(configurations=2)
    iid = created["instanceId"]
    path = "/restaurants/v1/pos-integration/accounts/acct-1/disconnect"
    response = wixsim.wix("POST", path, instance_id=iid, json={"appDefId": wixsim.app_id})
    assert (response.status_code, response.json()) == (200, {})
    confs = wixsim.wix("GET", CONFIGS, instance_id=iid).json()["configurations"]
    assert all(not c["enabled"] for c in confs)
    assert wixsim.get_site(iid)["disconnectedAccounts"] == ["acct-1"]


def test_disconnect_account_with_another_apps_id_is_refused(wixsim, site):
    path = "/restaurants/v1/pos-integration/accounts/acct-1/disconnect"
    response = wixsim.wix("POST", path, instance_id=site.instance_id, json={"appDefId": "someone-else"})
    assert response.status_code == 403
