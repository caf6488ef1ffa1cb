"""Fault injection per endpoint: latency, 429 with/without Retry-After, 5xx, drops, fractions."""

from __future__ import annotations

import time

import httpx
import pytest

CONFIGS = "/restaurants/v1/pos-integration/configurations"


def get_configs(wixsim, site):
    """One listConfigurations call."""
    return wixsim.wix("GET", CONFIGS, instance_id=site.instance_id)


def test_429_fault_with_retry_after_for_the_next_n_calls(wixsim, site):
    wixsim.wix_token(site.instance_id)
    wixsim.inject_fault("listConfigurations", "429", count=2, retry_after=7)
    first, second, third = (get_configs(wixsim, site) for _ in range(3))
    assert (first.status_code, first.headers["Retry-After"]) == (429, "7")
    assert second.status_code == 429
    assert third.status_code == 200
    assert wixsim.faults() == []


def test_429_fault_without_retry_after(wixsim, site):
    wixsim.inject_fault("listConfigurations", "429", count=1)
    response = get_configs(wixsim, site)
    assert response.status_code == 429
    assert "Retry-After" not in response.headers


def test_5xx_fault_uses_the_given_status(wixsim, site):
    wixsim.inject_fault("listConfigurations", "5xx", count=1, status=502)
    assert get_configs(wixsim, site).status_code == 502
    assert get_configs(wixsim, site).status_code == 200


def test_fault_on_one_endpoint_leaves_others_alone(wixsim, site):
    wixsim.inject_fault("bulkCreateDishes", "5xx")
    assert get_configs(wixsim, site).status_code == 200


def test_faulted_write_changes_nothing(wixsim, site):
    wixsim.inject_fault("createDraftCatalog", "5xx", count=1)
    path = f"/restaurants/v3/draft-catalogs/{site.catalog_id}/create"
    assert wixsim.wix("POST", path, instance_id=site.instance_id).status_code == 503
    assert wixsim.draft_catalog(site.catalog_id) is None


def test_drop_closes_the_connection_without_an_answer(wixsim, site):
    wixsim.wix_token(site.instance_id)
    wixsim.inject_fault("listConfigurations", "drop", count=1)
    with pytest.raises(httpx.TransportError):
        get_configs(wixsim, site)
    assert get_configs(wixsim, site).status_code == 200
    log = wixsim.request_log(endpoint="listConfigurations")["requests"]
    assert log[0]["fault"] == "drop"


def test_latency_delays_but_answers(wixsim, site):
    wixsim.wix_token(site.instance_id)
    wixsim.inject_fault("listConfigurations", "latency", latency_ms=300, count=1)
    started = time.perf_counter()
    assert get_configs(wixsim, site).status_code == 200
    assert time.perf_counter() - started >= 0.3


def test_fraction_hits_some_calls_reproducibly(wixsim, site):
    wixsim.set_rate_limit(None)
    wixsim.inject_fault("listConfigurations", "5xx", fraction=0.5, seed=1)
    statuses = [get_configs(wixsim, site).status_code for _ in range(40)]
    assert 5 < statuses.count(503) < 35
    assert statuses.count(200) + statuses.count(503) == 40


def test_fault_can_target_one_instance(wixsim, site):
    other = wixsim.create_site()["instanceId"]
    wixsim.inject_fault("*", "5xx", instance_id=other)
    assert get_configs(wixsim, site).status_code == 200
    assert wixsim.wix("GET", CONFIGS, instance_id=other).status_code == 503


def test_faults_never_touch_the_control_api_and_can_be_cleared(wixsim, site):
    wixsim.inject_fault("*", "5xx")
    assert wixsim.get_site(site.instance_id)["instanceId"] == site.instance_id
    wixsim.clear_faults()
    assert get_configs(wixsim, site).status_code == 200


def test_request_log_counts_per_endpoint(wixsim, site):
    wixsim.wix_token(site.instance_id)
    for _ in range(3):
        get_configs(wixsim, site)
    wixsim.wix("GET", f"/v3/catalogs/{site.catalog_id}/items", instance_id=site.instance_id)
    counts = wixsim.request_counts(site.instance_id)
    assert counts == {"listConfigurations": 3, "listItems": 1}
    wixsim.clear_request_log()
    assert wixsim.request_log()["total"] == 0


def test_every_wix_answer_carries_a_request_id_that_is_logged(wixsim, site):
    response = get_configs(wixsim, site)
    request_id = response.headers["x-wix-request-id"]
    log = wixsim.request_log(endpoint="listConfigurations")["requests"]
    assert log[-1]["requestId"] == request_id


def test_fault_on_an_unknown_endpoint_name_is_refused(wixsim):
    response = wixsim.http.post("/_sim/faults", json={"endpoint": "bulkCreateDish", "kind": "5xx"})
    assert response.status_code == 400
    assert "bulkCreateDishes" in response.text


def test_an_after_fault_keeps_the_calls_effect_and_loses_its_answer(wixsim, site):
    wixsim.inject_fault("createDraftCatalog", "5xx", count=1, status=504, phase="after")
    path = f"/restaurants/v3/draft-catalogs/{site.catalog_id}/create"
    assert wixsim.wix("POST", path, instance_id=site.instance_id).status_code == 504
    assert wixsim.draft_catalog(site.catalog_id) is not None  # done at Wix, though the caller heard 504
    again = wixsim.wix("POST", path, instance_id=site.instance_id)
    assert again.status_code == 409  # a blind resend finds it already made


def test_an_after_drop_keeps_the_effect_and_closes_the_connection(wixsim, site):
    wixsim.wix_token(site.instance_id)
    wixsim.inject_fault("createDraftCatalog", "drop", count=1, phase="after")
    with pytest.raises(httpx.TransportError):
        wixsim.wix("POST", f"/restaurants/v3/draft-catalogs/{site.catalog_id}/create", instance_id=site.instance_id)
    assert wixsim.draft_catalog(site.catalog_id) is not None
    assert wixsim.request_log(endpoint="createDraftCatalog")["requests"][0]["fault"] == "drop"


def test_only_a_5xx_or_a_drop_can_come_after_the_call(wixsim):
    for kind in ("429", "latency"):
        response = wixsim.http.post(
            "/_sim/faults", json={"endpoint": "createDraftCatalog", "kind": kind, "phase": "after"}
        )
        assert response.status_code == 422, response.text
    assert wixsim.faults() == []
