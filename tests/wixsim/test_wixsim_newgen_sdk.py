"""Proof by Wix's own code: the Restaurants (New) menus, Locations and Operations SDK packages drive wixsim
on both URL forms, and a provider built with @wix/sdk reads every menu event with webhooks.process
(node scripts in tests/wixsim/sdk_menus/)."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from tests.wixsim.node_sdk import node_env, package_fixtures, run_node
from tests.wixsim.wixsim_test_helpers import MENU_SPEC

SDK_DIR = Path(__file__).parent / "sdk_menus"
SDK_MODULES = {
    "itemLabels",
    "itemModifierGroups",
    "itemModifiers",
    "itemVariants",
    "items",
    "locations",
    "menuOrderingSettings",
    "menus",
    "operations",
    "sections",
}


sdk_dir, node_provider = package_fixtures(SDK_DIR)


@pytest.mark.parametrize(
    ("form", "item_prefix", "location_prefix", "operation_prefix"),
    [
        ("wixapis", "/restaurants/menus-item/v1/", "/locations/v1/", "/restaurants-operations/v1/"),
        ("custom", "/_api/restaurants-menus-item/v1/", "/v1/locations", "/_api/restaurants-operations/v1/"),
    ],
)
def test_menus_packages_drive_wixsim(wixsim, sdk_dir, form, item_prefix, location_prefix, operation_prefix):
    site = wixsim.create_site(generation="new", locations=2)
    run = run_node(sdk_dir, node_env(wixsim, WIX_INSTANCE_ID=site["instanceId"]), "menus.mjs", form)
    assert run.returncode == 0, run.stderr
    seen = json.loads(run.stdout.strip().splitlines()[-1])
    assert seen["locations"] == [loc["id"] for loc in site["locations"]]
    assert (seen["stale"]["code"], seen["bulkStale"], seen["missing"]["code"]) == (
        "REVISION_MISMATCH",
        "REVISION_MISMATCH",
        "NOT_FOUND",
    )
    assert "at most 3 decimal places" in seen["tooPrecise"]["message"]
    calls = [e for e in wixsim.request_log(instance_id=site["instanceId"])["requests"]]
    assert {e["endpoint"].split(".")[0] for e in calls} == SDK_MODULES
    assert "unknown" not in {e["endpoint"] for e in calls}
    for call in calls:
        module = call["endpoint"].split(".")[0]
        prefix = {"items": item_prefix, "locations": location_prefix, "operations": operation_prefix}.get(module)
        if prefix:
            assert call["path"].startswith(prefix), call["path"]
    assert {e["status"] for e in calls} <= {200, 400, 404, 409}
    assert wixsim.request_counts()["token"] >= 1
    tree = wixsim.site_menus(site["instanceId"])
    assert all(loc["menus"] == [] for loc in tree["locations"])
    assert tree["locations"][1]["onlineOrderingStatus"] == "DISABLED"
    assert [i["name"] for i in tree["entities"]["items"]] == ["Pizza Napoletana"]


def test_sdk_provider_reads_every_menu_event(wixsim, node_provider):
    site = wixsim.create_site(generation="new", locations=2, menus=MENU_SPEC, webhook_url=node_provider + "/webhooks")
    instance = site["instanceId"]

    def api(method, path, body=None):
        response = wixsim.wix(method, path, instance_id=instance, json=body)
        assert response.status_code == 200, response.text
        return response.json()

    created = {}
    for kind, path, body in [
        ("menu", "/v1/menus", {"name": "M"}),
        ("section", "/v1/sections", {"name": "S"}),
        ("item", "/v1/items", {"name": "I", "priceInfo": {"price": "1"}}),
        ("variant", "/v1/variants", {"name": "V"}),
        ("modifier", "/v1/modifiers", {"name": "Mo"}),
        ("modifierGroup", "/v1/modifier-groups", {"name": "G"}),
        ("label", "/v1/labels", {"name": "L"}),
    ]:
        entity = api("POST", path, {kind: body})[kind]
        created[kind] = (path, entity)
        api("PATCH", f"{path}/{entity['id']}", {kind: {"revision": "1", "name": body["name"] + "2"}})
        api("DELETE", f"{path}/{entity['id']}")
    seeded_item = wixsim.site_menus(instance)["entities"]["items"][0]
    wixsim.merchant_edit(instance, "item", seeded_item["id"], orderSettings={"inStock": False})
    wixsim.merchant_operation(instance, site["locations"][0]["operationId"], onlineOrderingStatus="DISABLED")
    deliveries = wixsim.drain_menu_events()
    assert len(deliveries) == 7 * 3 + 2
    assert all(d["status"] == 200 for d in deliveries), deliveries
    seen = httpx.get(node_provider + "/seen", timeout=10).json()
    assert seen["errors"] == []
    assert len(seen["events"]) == len(deliveries)
    by_module = {}
    for event in seen["events"]:
        by_module.setdefault(event["type"].split(".")[0], []).append(event)
        assert event["instanceId"] == instance
        assert event["eventTimeIsDate"] is True
    for module in ("menus", "sections", "items", "variants", "modifiers", "groups", "labels"):
        created_event, updated_event, deleted_event = by_module[module][:3]
        assert created_event["type"].endswith("Created") and updated_event["type"].endswith("Updated")
        assert deleted_event["type"].endswith("Deleted")
        assert created_event["entity"]["_id"] == created_event["entityId"] == deleted_event["entityId"]
        assert created_event["createdDateIsDate"] is True
        assert updated_event["entity"]["revision"] == "2"
        assert deleted_event["entity"] is None
        assert [e["sequence"] for e in (created_event, updated_event, deleted_event)] == ["1", "2", "3"]
        assert all(e["ownWrite"] for e in (created_event, updated_event, deleted_event))
    merchant_item = by_module["items"][3]
    assert merchant_item["ownWrite"] is False
    assert merchant_item["identity"] == {"identityType": "WIX_USER", "wixUserId": site["ownerUserId"]}
    assert merchant_item["entity"]["orderSettings"]["inStock"] is False
    [paused] = by_module["operations"]
    assert (paused["ownWrite"], paused["entity"]["onlineOrderingStatus"]) == (False, "DISABLED")
