"""The /_sim control API: its own OpenAPI, strict bodies, sites and configurations, reset."""

from __future__ import annotations

import pytest

from wixsim.client import WixSimError


def test_control_api_has_its_own_openapi(wixsim):
    paths = wixsim.http.get("/_sim/openapi.json").json()["paths"]
    assert {"/sites", "/checkout", "/spi/{method}", "/faults", "/requests", "/reset"} <= set(paths)
    wix_paths = wixsim.http.get("/openapi.json").json()["paths"]
    assert "/restaurants/v3/draft-catalogs/{catalog_id}/bulk/dishes/create" in wix_paths
    assert not any(p.startswith("/_sim") for p in wix_paths)


def test_unknown_fields_are_refused(wixsim):
    with pytest.raises(WixSimError) as caught:
        wixsim.create_site(provider_base_url="http://typo")
    assert caught.value.response.status_code == 422


def test_site_with_n_configurations_each_with_its_own_catalog(wixsim):
    site = wixsim.create_site(configurations=3, currency="EUR", languages=["de-DE"])
    catalog_ids = {c["catalogId"] for c in site["configurations"]}
    assert len(catalog_ids) == 3
    assert site["currency"] == "EUR"
    assert [s["instanceId"] for s in wixsim.http.get("/_sim/sites").json()["sites"]] == [site["instanceId"]]


def test_configurations_can_be_added_and_changed(wixsim):
    site = wixsim.create_site(configurations=0)
    conf = wixsim.add_configuration(site["instanceId"], name="Uptown")
    assert wixsim.update_configuration(conf["id"], enabled=False)["enabled"] is False
    listed = wixsim.wix("GET", "/v1/pos-integration/configurations", instance_id=site["instanceId"]).json()
    assert listed["configurations"] == [
        {**{k: conf[k] for k in ("id", "catalogId", "archived")}, "location": {"name": "Uptown"}, "enabled": False}
    ]


def test_live_catalog_can_be_replaced_from_a_spec(wixsim):
    site = wixsim.create_site()
    catalog_id = site["configurations"][0]["catalogId"]
    wixsim.set_live_catalog(catalog_id, {"menus": [{"name": "Old", "archived": True}]})
    [menu] = wixsim.live_catalog(catalog_id)["menus"]
    assert (menu["name"], menu["archived"]) == ("Old", True)


def test_reset_forgets_everything_but_the_app(wixsim):
    app_id = wixsim.app_id
    site = wixsim.create_site()
    wixsim.wix_token(site["instanceId"])
    wixsim.inject_fault("*", "5xx")
    wixsim.reset()
    assert wixsim.http.get("/_sim/sites").json()["sites"] == []
    assert wixsim.faults() == []
    assert wixsim.request_log()["total"] == 0
    assert wixsim.http.get("/_sim/app").json()["appId"] == app_id


def test_duplicate_instance_id_is_409(wixsim):
    wixsim.create_site(instance_id="fixed")
    with pytest.raises(WixSimError) as caught:
        wixsim.create_site(instance_id="fixed")
    assert caught.value.response.status_code == 409


def test_a_bad_catalog_spec_creates_no_site(wixsim):
    bad = {"menus": [{"name": "M", "sections": [{"name": "S", "items": [{"name": "X", "price": "-1"}]}]}]}
    with pytest.raises(WixSimError) as caught:
        wixsim.create_site(instance_id="half", configurations=[{"name": "ok"}, {"name": "bad", "catalog": bad}])
    assert caught.value.response.status_code == 400
    assert wixsim.http.get("/_sim/sites").json()["sites"] == []
