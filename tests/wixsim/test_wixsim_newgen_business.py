"""Locations, Restaurants Operations and Menu Ordering Settings of new-generation sites."""

from __future__ import annotations

import pytest

from tests.wixsim.wixsim_test_helpers import MENU_SPEC
from wixsim.testing import running_wixsim


def call(wixsim, site, method, path, **kwargs):
    return wixsim.wix(method, path, instance_id=site["instanceId"], **kwargs)


def ok(response):
    assert response.status_code == 200, response.text
    return response.json()


@pytest.fixture
def ng(wixsim):
    return wixsim.create_site(generation="new", locations=3, menus=MENU_SPEC)


@pytest.mark.parametrize("prefix", ["/locations", ""])
def test_locations_list_get_and_page(wixsim, ng, prefix):
    listed = ok(call(wixsim, ng, "GET", f"{prefix}/v1/locations"))
    assert [loc["id"] for loc in listed["locations"]] == [loc["id"] for loc in ng["locations"]]
    assert listed["pagingMetadata"] == {"count": 3, "offset": 0, "hasNext": False}
    default = listed["locations"][0]
    assert (default["default"], default["status"], default["archived"], default["revision"]) == (
        True,
        "ACTIVE",
        False,
        "1",
    )
    assert default["address"]["city"] and default["timeZone"]
    paged = ok(call(wixsim, ng, "GET", f"{prefix}/v1/locations", params={"paging.limit": 2, "paging.offset": 2}))
    assert (len(paged["locations"]), paged["pagingMetadata"]["hasNext"]) == (1, False)
    one = ok(call(wixsim, ng, "GET", f"{prefix}/v1/locations/{default['id']}"))
    assert one["location"] == default
    assert call(wixsim, ng, "GET", f"{prefix}/v1/locations/nope").status_code == 404
    assert call(wixsim, ng, "GET", f"{prefix}/v1/locations", params={"paging.limit": 1001}).status_code == 400
    named = ok(
        call(wixsim, ng, "POST", f"{prefix}/v1/locations/query", json={"query": {"filter": {"name": "Location 2"}}})
    )
    assert [loc["name"] for loc in named["locations"]] == ["Location 2"]


@pytest.mark.parametrize("prefix", ["/restaurants-operations", "/_api/restaurants-operations", ""])
def test_operations_one_per_location_with_pickup_and_delivery(wixsim, ng, prefix):
    operations = ok(call(wixsim, ng, "GET", f"{prefix}/v1/operations"))["operations"]
    assert [op["businessLocationId"] for op in operations] == [loc["id"] for loc in ng["locations"]]
    assert len({op["operationGroupId"] for op in operations}) == 1
    assert all(len(op["fulfillmentIds"]) == 2 and op["onlineOrderingStatus"] == "ENABLED" for op in operations)
    op = ok(call(wixsim, ng, "GET", f"{prefix}/v1/operations/{operations[1]['id']}"))["operation"]
    assert op == operations[1]
    queried = ok(
        call(wixsim, ng, "POST", f"{prefix}/v1/operations/query", json={"query": {"filter": {"default": True}}})
    )
    assert [o["id"] for o in queried["operations"]] == [operations[0]["id"]]


def test_pause_and_disable_online_ordering_with_revisions(wixsim, ng):
    op_id = ng["locations"][0]["operationId"]
    path = f"/restaurants-operations/v1/operations/{op_id}"
    paused = {"operation": {"revision": "1", "onlineOrderingStatus": "PAUSED_UNTIL"}}
    assert call(wixsim, ng, "PATCH", path, json=paused).status_code == 400
    paused["operation"]["pausedUntilOptions"] = {"time": "2030-01-01T10:00:00.000Z"}
    op = ok(call(wixsim, ng, "PATCH", path, json=paused))["operation"]
    assert (op["onlineOrderingStatus"], op["revision"]) == ("PAUSED_UNTIL", "2")
    assert (
        call(
            wixsim, ng, "PATCH", path, json={"operation": {"revision": "1", "onlineOrderingStatus": "DISABLED"}}
        ).status_code
        == 409
    )
    assert call(wixsim, ng, "PATCH", path, json={"operation": {"onlineOrderingStatus": "DISABLED"}}).status_code == 400
    assert (
        call(
            wixsim, ng, "PATCH", path, json={"operation": {"revision": "2", "onlineOrderingStatus": "OPEN"}}
        ).status_code
        == 400
    )
    op = ok(call(wixsim, ng, "PATCH", path, json={"operation": {"revision": "2", "onlineOrderingStatus": "DISABLED"}}))[
        "operation"
    ]
    assert "pausedUntilOptions" not in op
    tree = wixsim.site_menus(ng["instanceId"])
    assert [loc["onlineOrderingStatus"] for loc in tree["locations"]] == ["DISABLED", "ENABLED", "ENABLED"]


def test_menu_ordering_settings(wixsim, ng):
    found = ok(call(wixsim, ng, "POST", "/menu-ordering-settings/v1/menu-ordering-settings/query", json={}))
    [settings] = found["menuOrderingSettings"]
    assert settings["operationId"] == ng["locations"][0]["operationId"]
    assert settings["onlineOrderingEnabled"] is True
    path = f"/v1/menu-ordering-settings/{settings['id']}"
    assert ok(call(wixsim, ng, "GET", path))["menuOrderingSettings"] == settings
    off = {"menuOrderingSettings": {"revision": "1", "onlineOrderingEnabled": False}}
    changed = ok(call(wixsim, ng, "PATCH", path, json=off))["menuOrderingSettings"]
    assert (changed["onlineOrderingEnabled"], changed["revision"]) == (False, "2")
    assert call(wixsim, ng, "PATCH", path, json=off).status_code == 409
    upsert = {"menuOrderingSettings": {"menuId": settings["menuId"], "onlineOrderingEnabled": True}}
    upserted = ok(
        call(wixsim, ng, "POST", f"/v1/menu-ordering-settings/upsert/menu-id/{settings['menuId']}", json=upsert)
    )
    assert upserted["menuOrderingSettings"]["onlineOrderingEnabled"] is True
    menu = ok(
        call(
            wixsim,
            ng,
            "POST",
            "/v1/menus",
            json={"menu": {"name": "New", "businessLocationId": ng["locations"][2]["id"]}},
        )
    )
    by_menu = {"query": {"filter": {"menuId": menu["menu"]["id"]}}}
    [created] = ok(call(wixsim, ng, "POST", "/v1/menu-ordering-settings/query", json=by_menu))["menuOrderingSettings"]
    assert created["operationId"] == ng["locations"][2]["operationId"]


def test_menu_availability_times_are_times_of_day_hours_0_to_23(wixsim, ng):
    [settings] = ok(call(wixsim, ng, "POST", "/v1/menu-ordering-settings/query", json={}))["menuOrderingSettings"]
    path = f"/v1/menu-ordering-settings/{settings['id']}"

    def weekly(end):
        window = {"startTime": {"hours": 18, "minutes": 0}, "endTime": end}
        times = [{"dayOfWeek": "FRI", "timeRanges": [window]}]
        return {"type": "WEEKLY_SCHEDULE", "weeklyScheduleOptions": {"availableTimes": times}}

    for end in ({"hours": 24, "minutes": 0}, {"hours": 23, "minutes": 60}, {"hours": "23"}):
        body = {"menuOrderingSettings": {"revision": settings["revision"], "availability": weekly(end)}}
        refused = call(wixsim, ng, "PATCH", path, json=body)
        assert refused.status_code == 400, end
        assert "timeRanges[0].endTime" in refused.text
    assert ok(call(wixsim, ng, "GET", path))["menuOrderingSettings"] == settings  # a refused call changes nothing
    last = {"hours": 23, "minutes": 59}
    body = {"menuOrderingSettings": {"revision": settings["revision"], "availability": weekly(last)}}
    written = ok(call(wixsim, ng, "PATCH", path, json=body))["menuOrderingSettings"]
    assert written["availability"]["weeklyScheduleOptions"]["availableTimes"][0]["timeRanges"][0]["endTime"] == last


@pytest.mark.parametrize("filename", ["state.json", "state.sqlite"])
@pytest.mark.slow
def test_api_writes_survive_a_restart(tmp_path, filename):
    state = tmp_path / filename
    with running_wixsim(state_file=state) as client:
        site = client.create_site(generation="new", locations=2)
        item = ok(
            call(client, site, "POST", "/v1/items", json={"item": {"name": "Kept", "priceInfo": {"price": "4.20"}}})
        )["item"]
        patch = {"item": {"revision": "1", "name": "Kept v2"}}
        ok(call(client, site, "PATCH", f"/v1/items/{item['id']}", json=patch))
        op_id = site["locations"][1]["operationId"]
        ok(
            call(
                client,
                site,
                "PATCH",
                f"/v1/operations/{op_id}",
                json={"operation": {"revision": "1", "onlineOrderingStatus": "DISABLED"}},
            )
        )
        before = client.site_menus(site["instanceId"])
    with running_wixsim(state_file=state) as client:
        assert client.site_menus(site["instanceId"]) == before
        kept = ok(call(client, site, "GET", f"/v1/items/{item['id']}"))["item"]
        assert (kept["name"], kept["revision"]) == ("Kept v2", "2")
        stale = call(client, site, "PATCH", f"/v1/items/{item['id']}", json={"item": {"revision": "1", "name": "x"}})
        assert stale.status_code == 409
