"""The Menus API of new-generation sites: CRUD, bulk, revisions, paging, validation, tenancy, both URL forms."""

from __future__ import annotations

import pytest

from tests.wixsim.wixsim_test_helpers import MENU_SPEC

PREFIXES = {
    "menu": ["/restaurants/menus-menu", "/restaurants/menus", "/_api/restaurants-menus-menu", ""],
    "item": ["/restaurants/menus-item", "/restaurants/menus", "/_api/restaurants-menus-item", ""],
}


@pytest.fixture
def ng(wixsim):
    """A new-generation site with two locations and the shared seeded menu at the first."""
    return wixsim.create_site(generation="new", locations=2, menus=MENU_SPEC)


def call(wixsim, site, method, path, **kwargs):
    return wixsim.wix(method, path, instance_id=site["instanceId"], **kwargs)


def ok(response):
    assert response.status_code == 200, response.text
    return response.json()


def make_item(wixsim, site, prefix="/restaurants/menus-item", **fields):
    body = {"item": {"name": "Pasta", "priceInfo": {"price": "9.50"}, **fields}}
    return ok(call(wixsim, site, "POST", f"{prefix}/v1/items", json=body))["item"]


@pytest.mark.parametrize("prefix", PREFIXES["item"])
def test_item_crud_on_every_url_form(wixsim, ng, prefix):
    item = make_item(wixsim, ng, prefix)
    assert (item["revision"], item["orderSettings"]) == ("1", {"inStock": True, "acceptSpecialRequests": True})
    assert item["businessLocationIds"] == [ng["locations"][0]["id"]]
    assert item["createdDate"] == item["updatedDate"]
    got = ok(call(wixsim, ng, "GET", f"{prefix}/v1/items/{item['id']}"))["item"]
    assert got == item
    patch = {"item": {"id": item["id"], "revision": "1", "priceInfo": {"price": "10"}}}
    updated = ok(call(wixsim, ng, "PATCH", f"{prefix}/v1/items/{item['id']}", json=patch))["item"]
    assert (updated["revision"], updated["priceInfo"], updated["name"]) == ("2", {"price": "10"}, "Pasta")
    assert ok(call(wixsim, ng, "DELETE", f"{prefix}/v1/items/{item['id']}")) == {}
    assert call(wixsim, ng, "GET", f"{prefix}/v1/items/{item['id']}").status_code == 404


def test_request_log_names_endpoints_by_sdk_module_and_method(wixsim, ng):
    for prefix in PREFIXES["menu"]:
        ok(call(wixsim, ng, "GET", f"{prefix}/v1/menus"))
    log = wixsim.request_log(endpoint="menus.listMenus")
    assert [r["path"] for r in log["requests"]] == [f"{p}/v1/menus" for p in PREFIXES["menu"]]


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"name": "x" * 201}, "name"),
        ({"name": ""}, "name"),
        ({"priceInfo": {"price": "1.0001"}}, "priceInfo.price"),
        ({"priceInfo": {"price": "-1"}}, "priceInfo.price"),
        ({"priceInfo": {"price": 5}}, "priceInfo.price"),
        ({"description": "d" * 1501}, "description"),
        ({"modifierGroups": [{"id": f"g{i}"} for i in range(26)]}, "modifierGroups"),
        ({"labels": [{"id": f"l{i}"} for i in range(11)]}, "labels"),
        ({"priceVariants": {"variants": [{"variantId": "v", "priceInfo": {"price": "1"}}]}}, "priceVariants"),
        ({"orderSettings": {"inStock": "yes"}}, "inStock"),
    ],
)
def test_invalid_items_are_refused_with_a_field_violation(wixsim, ng, fields, field):
    body = {"item": {"name": "Pasta", "priceInfo": {"price": "9.50"}, **fields}}
    response = call(wixsim, ng, "POST", "/restaurants/menus-item/v1/items", json=body)
    assert response.status_code == 400, response.text
    [violation] = response.json()["details"]["validationError"]["fieldViolations"]
    assert field in violation["field"]
    assert len(wixsim.site_menus(ng["instanceId"])["entities"]["items"]) == 2


def test_a_violation_names_its_field_once(wixsim, ng):
    body = {"item": {"name": "Pasta", "priceInfo": {"price": "1.0001"}}}
    response = call(wixsim, ng, "POST", "/v1/items", json=body)
    [violation] = response.json()["details"]["validationError"]["fieldViolations"]
    assert violation == {
        "field": "priceInfo.price",
        "description": "priceInfo.price: at most 3 decimal places",
        "violatedRule": "INVALID",
    }


def test_price_variants_limit_and_unknown_references(wixsim, ng):
    variants = [{"variantId": f"v{i}", "priceInfo": {"price": "1"}} for i in range(501)]
    body = {"item": {"name": "Big", "priceVariants": {"variants": variants}}}
    refused = call(wixsim, ng, "POST", "/restaurants/menus-item/v1/items", json=body)
    assert refused.status_code == 400
    body = {"item": {"name": "Ghost", "priceInfo": {"price": "1"}, "modifierGroups": [{"id": "nope"}]}}
    assert call(wixsim, ng, "POST", "/restaurants/menus-item/v1/items", json=body).status_code == 404


def test_update_needs_the_current_revision_and_a_refusal_changes_nothing(wixsim, ng):
    item = make_item(wixsim, ng)
    path = f"/restaurants/menus-item/v1/items/{item['id']}"
    missing = call(wixsim, ng, "PATCH", path, json={"item": {"name": "No revision"}})
    assert missing.status_code == 400
    stale = call(wixsim, ng, "PATCH", path, json={"item": {"revision": "7", "name": "Stale"}})
    assert stale.status_code == 409
    assert stale.json()["details"]["applicationError"]["code"] == "REVISION_MISMATCH"
    bad = call(wixsim, ng, "PATCH", path, json={"item": {"revision": "1", "name": "Bad", "priceInfo": {"price": "x"}}})
    assert bad.status_code == 400
    assert ok(call(wixsim, ng, "GET", path))["item"] == item
    wrong_id = call(wixsim, ng, "PATCH", path, json={"item": {"id": "other", "revision": "1"}})
    assert wrong_id.status_code == 400


def test_switching_between_single_price_and_variants(wixsim, ng):
    variant = ok(call(wixsim, ng, "POST", "/restaurants/item-variants/v1/variants", json={"variant": {"name": "L"}}))
    item = make_item(wixsim, ng)
    variants = {"variants": [{"variantId": variant["variant"]["id"], "priceInfo": {"price": "12.000"}}]}
    patch = {"item": {"revision": "1", "priceVariants": variants}}
    updated = ok(call(wixsim, ng, "PATCH", f"/v1/items/{item['id']}", json=patch))["item"]
    assert "priceInfo" not in updated
    assert updated["priceVariants"] == variants
    back = {"item": {"revision": "2", "priceInfo": {"price": "3"}}}
    assert "priceVariants" not in ok(call(wixsim, ng, "PATCH", f"/v1/items/{item['id']}", json=back))["item"]


def test_bulk_create_reports_each_entity_and_keeps_the_good_ones(wixsim, ng):
    items = [
        {"name": "A", "priceInfo": {"price": "1"}},
        {"name": "", "priceInfo": {"price": "1"}},
        {"name": "C", "priceInfo": {"price": "2"}},
    ]
    out = ok(
        call(
            wixsim,
            ng,
            "POST",
            "/restaurants/menus-item/v1/bulk/items/create",
            json={"items": items, "returnEntity": True},
        )
    )
    assert out["bulkActionMetadata"] == {"totalSuccesses": 2, "totalFailures": 1, "undetailedFailures": 0}
    first, second, third = out["results"]
    assert first["itemMetadata"]["success"] and first["item"]["name"] == "A"
    assert second["itemMetadata"]["success"] is False
    assert second["itemMetadata"]["error"]["code"] == "INVALID_ARGUMENT"
    assert "item" not in second
    assert third["itemMetadata"]["originalIndex"] == 2
    quiet = ok(call(wixsim, ng, "POST", "/v1/bulk/items/create", json={"items": items[:1]}))
    assert "item" not in quiet["results"][0]


@pytest.mark.parametrize("count", [0, 101])
def test_bulk_create_outside_1_to_100_is_refused_whole(wixsim, ng, count):
    menus = [{"name": f"M{i}"} for i in range(count)]
    response = call(wixsim, ng, "POST", "/restaurants/menus-menu/v1/bulk/menus/create", json={"menus": menus})
    assert response.status_code == 400
    assert len(wixsim.site_menus(ng["instanceId"])["entities"]["menus"]) == 1


def test_bulk_create_result_keys_per_service(wixsim, ng):
    menus = ok(call(wixsim, ng, "POST", "/v1/bulk/menus/create", json={"menus": [{"name": "M"}], "returnEntity": True}))
    assert set(menus["results"][0]) == {"menuMetadata", "menu"}
    sections = ok(
        call(wixsim, ng, "POST", "/v1/bulk/sections/create", json={"sections": [{"name": "S"}], "returnEntity": True})
    )
    assert set(sections["results"][0]) == {"itemMetadata", "item"}
    groups = ok(
        call(
            wixsim,
            ng,
            "POST",
            "/v1/bulk/modifier-groups/create",
            json={"modifierGroups": [{"name": "G"}], "returnEntity": True},
        )
    )
    assert set(groups["results"][0]) == {"itemMetadata", "modifierGroup"}


def test_bulk_update_with_mask_and_stale_revisions(wixsim, ng):
    a, b = make_item(wixsim, ng, name="A"), make_item(wixsim, ng, name="B")
    body = {
        "items": [
            {"item": {"id": a["id"], "revision": "1", "name": "A2", "description": "ignored"}, "mask": "name"},
            {"item": {"id": b["id"], "revision": "5", "name": "B2"}},
        ],
        "returnEntity": True,
    }
    out = ok(call(wixsim, ng, "POST", "/restaurants/menus-item/v1/bulk/items/update", json=body))
    first, second = out["results"]
    assert (first["item"]["name"], first["item"]["description"], first["item"]["revision"]) == ("A2", "", "2")
    assert second["itemMetadata"] == {
        "originalIndex": 1,
        "success": False,
        "id": b["id"],
        "error": second["itemMetadata"]["error"],
    }
    assert second["itemMetadata"]["error"]["code"] == "REVISION_MISMATCH"
    section_body = {"sections": [{"section": {"id": "nope", "revision": "1"}}]}
    sections = ok(call(wixsim, ng, "POST", "/v1/bulk/sections/update", json=section_body))
    assert sections["results"][0]["sectionMetadata"]["error"]["code"] == "NOT_FOUND"


def test_bulk_delete_takes_ids_in_the_query_and_limits_them(wixsim, ng):
    ids = [make_item(wixsim, ng, name=f"I{i}")["id"] for i in range(3)]
    out = ok(
        call(wixsim, ng, "DELETE", "/restaurants/menus-item/v1/bulk/items/delete", params={"ids": [*ids[:2], "nope"]})
    )
    assert [r["itemMetadata"]["success"] for r in out["results"]] == [True, True, False]
    assert call(wixsim, ng, "GET", f"/v1/items/{ids[2]}").status_code == 200
    too_many = call(wixsim, ng, "DELETE", "/v1/bulk/variants/delete", params={"ids": [f"v{i}" for i in range(201)]})
    assert too_many.status_code == 400


def test_list_pages_with_cursors_and_filters(wixsim, ng):
    for i in range(5):
        make_item(wixsim, ng, name=f"P{i}", visible=i % 2 == 0)
    first = ok(call(wixsim, ng, "GET", "/v1/items", params={"paging.limit": 3}))
    assert first["pagingMetadata"]["hasNext"] is True and len(first["items"]) == 3
    cursor = first["pagingMetadata"]["cursors"]["next"]
    second = ok(call(wixsim, ng, "GET", "/v1/items", params={"paging.cursor": cursor}))
    assert len(second["items"]) == 3 and second["pagingMetadata"]["hasNext"] is True
    rest = ok(call(wixsim, ng, "GET", "/v1/items", params={"paging.cursor": cursor, "paging.limit": 10}))
    assert len(rest["items"]) == 4 and rest["pagingMetadata"]["hasNext"] is False
    assert [i["id"] for i in rest["items"][:3]] == [i["id"] for i in second["items"]]
    visible = ok(call(wixsim, ng, "GET", "/v1/items", params={"onlyVisible": "true"}))["items"]
    assert [i["name"] for i in visible] == ["Margherita", "Soda", "P0", "P2", "P4"]
    some = ok(call(wixsim, ng, "GET", "/v1/items", params={"itemIds": [visible[0]["id"], visible[2]["id"]]}))
    assert [i["name"] for i in some["items"]] == ["Margherita", "P0"]
    variants = ok(call(wixsim, ng, "GET", "/v1/modifiers"))
    assert "metadata" in variants and "pagingMetadata" not in variants
    assert call(wixsim, ng, "GET", "/v1/items", params={"paging.cursor": "garbage"}).status_code == 400


def test_query_with_filter_sort_and_cursor(wixsim, ng):
    for name in ("Cc", "Aa", "Bb"):
        make_item(wixsim, ng, name=name, featured=name != "Bb")
    query = {
        "query": {
            "filter": {"featured": True},
            "sort": [{"fieldName": "name", "order": "DESC"}],
            "cursorPaging": {"limit": 1},
        }
    }
    first = ok(call(wixsim, ng, "POST", "/restaurants/menus-item/v1/items/query", json=query))
    assert [i["name"] for i in first["items"]] == ["Cc"]
    cursor = first["pagingMetadata"]["cursors"]["next"]
    second = ok(
        call(wixsim, ng, "POST", "/v1/items/query", json={"query": {"cursorPaging": {"cursor": cursor, "limit": 5}}})
    )
    assert [i["name"] for i in second["items"]] == ["Aa"]
    by_group = {"query": {"filter": {"modifierGroups.id": {"$exists": True}}}}
    assert [i["name"] for i in ok(call(wixsim, ng, "POST", "/v1/items/query", json=by_group))["items"]] == [
        "Margherita"
    ]
    count = ok(call(wixsim, ng, "POST", "/v1/items/count", json={"filter": {"name": {"$startsWith": "b"}}}))
    assert count == {"count": 1}
    assert (
        call(wixsim, ng, "POST", "/v1/items/query", json={"query": {"cursorPaging": {"limit": 501}}}).status_code == 400
    )


def test_menu_location_is_set_once_and_sections_follow_their_menu(wixsim, ng):
    second_location = ng["locations"][1]["id"]
    menu = ok(
        call(wixsim, ng, "POST", "/v1/menus", json={"menu": {"name": "Late", "businessLocationId": second_location}})
    )["menu"]
    section = ok(call(wixsim, ng, "POST", "/v1/sections", json={"section": {"name": "S"}}))["section"]
    assert section["businessLocationId"] == ng["locations"][0]["id"]
    item = make_item(wixsim, ng)
    ok(
        call(
            wixsim,
            ng,
            "PATCH",
            f"/v1/sections/{section['id']}",
            json={"section": {"revision": "1", "itemIds": [item["id"]]}},
        )
    )
    ok(
        call(
            wixsim,
            ng,
            "PATCH",
            f"/v1/menus/{menu['id']}",
            json={"menu": {"revision": "1", "sectionIds": [section["id"]]}},
        )
    )
    assert (
        ok(call(wixsim, ng, "GET", f"/v1/sections/{section['id']}"))["section"]["businessLocationId"] == second_location
    )
    assert ok(call(wixsim, ng, "GET", f"/v1/items/{item['id']}"))["item"]["businessLocationIds"] == [second_location]
    moved = call(
        wixsim,
        ng,
        "PATCH",
        f"/v1/menus/{menu['id']}",
        json={"menu": {"revision": "2", "businessLocationId": ng["locations"][0]["id"]}},
    )
    assert moved.status_code == 400
    unknown = call(wixsim, ng, "POST", "/v1/menus", json={"menu": {"name": "X", "businessLocationId": "nope"}})
    assert unknown.status_code == 400


def test_modifier_group_rules(wixsim, ng):
    modifier = ok(
        call(wixsim, ng, "POST", "/restaurants/item-modifiers/v1/modifiers", json={"modifier": {"name": "Cheese"}})
    )["modifier"]
    assert modifier["inStock"] is True
    entries = [{"id": modifier["id"], "additionalChargeInfo": {"additionalCharge": "0.75"}}]
    group = {
        "modifierGroup": {
            "name": "Extras",
            "modifiers": entries,
            "rule": {"required": True, "minSelections": 1, "maxSelections": 1},
        }
    }
    created = ok(call(wixsim, ng, "POST", "/restaurants/item-modifier-group/v1/modifier-groups", json=group))[
        "modifierGroup"
    ]
    assert created["modifiers"][0]["preSelected"] is False
    too_many = {"modifierGroup": {"name": "G", "modifiers": entries, "rule": {"minSelections": 2}}}
    assert call(wixsim, ng, "POST", "/v1/modifier-groups", json=too_many).status_code == 400
    inverted = {"modifierGroup": {"name": "G", "rule": {"minSelections": 0, "maxSelections": 26}}}
    assert call(wixsim, ng, "POST", "/v1/modifier-groups", json=inverted).status_code == 400
    long_name = {"modifierGroup": {"name": "g" * 101}}
    assert call(wixsim, ng, "POST", "/v1/modifier-groups", json=long_name).status_code == 400
    body = {
        "modifierGroups": [{"modifierGroup": {"id": created["id"], "revision": "1", "name": "More"}, "mask": ["name"]}]
    }
    out = ok(call(wixsim, ng, "POST", "/restaurants/item-modifier-group/v1/bulk/modifiers-groups/update", json=body))
    assert out["results"][0]["itemMetadata"]["success"] is True


def test_labels_have_no_location_and_list_without_paging(wixsim, ng):
    label = ok(call(wixsim, ng, "POST", "/restaurants/item-labels/v1/labels", json={"label": {"name": "Spicy"}}))[
        "label"
    ]
    assert "businessLocationId" not in label and "businessLocationIds" not in label
    assert call(wixsim, ng, "POST", "/v1/labels", json={"label": {"name": "x" * 51}}).status_code == 400
    listed = ok(call(wixsim, ng, "GET", "/restaurants/item-labels/v1/labels"))
    assert listed == {"labels": [label]}


def test_other_instances_and_legacy_sites_see_nothing(wixsim, ng):
    item = make_item(wixsim, ng)
    other = wixsim.create_site(generation="new")
    assert call(wixsim, other, "GET", f"/v1/items/{item['id']}").status_code == 404
    assert ok(call(wixsim, other, "GET", "/v1/items"))["items"] == []
    patch = {"item": {"revision": "1", "name": "Hijack"}}
    assert call(wixsim, other, "PATCH", f"/v1/items/{item['id']}", json=patch).status_code == 404
    assert call(wixsim, other, "DELETE", f"/v1/items/{item['id']}").status_code == 404
    cursor_page = ok(call(wixsim, ng, "GET", "/v1/items", params={"paging.limit": 1}))
    stolen = cursor_page["pagingMetadata"]["cursors"]["next"]
    assert call(wixsim, other, "GET", "/v1/items", params={"paging.cursor": stolen}).status_code == 400
    legacy = wixsim.create_site()
    refused = call(wixsim, legacy, "GET", "/restaurants/menus-item/v1/items")
    assert refused.status_code == 428
    assert refused.json()["details"]["applicationError"]["code"] == "MENUS_APP_NOT_INSTALLED"
    assert wixsim.wix("GET", "/v1/items").status_code == 401


def test_faults_and_rate_limit_apply_to_the_new_endpoints(wixsim, ng):
    wixsim.inject_fault("items.createItem", "5xx", count=1)
    body = {"item": {"name": "Pasta", "priceInfo": {"price": "9.50"}}}
    assert call(wixsim, ng, "POST", "/v1/items", json=body).status_code == 503
    assert len(wixsim.site_menus(ng["instanceId"])["entities"]["items"]) == 2
    wixsim.set_rate_limit(2)
    statuses = [call(wixsim, ng, "GET", "/locations/v1/locations").status_code for _ in range(3)]
    assert statuses == [200, 200, 429]


@pytest.mark.parametrize(
    ("method", "path", "kwargs"),
    [
        ("POST", "/v1/items", {"json": {"item": {"name": "x", "priceInfo": "12"}}}),
        ("POST", "/v1/items", {"json": {"item": {"name": "x", "priceInfo": {"price": "1"}, "labels": "abc"}}}),
        ("POST", "/v1/items", {"json": {"item": ["not", "an", "object"]}}),
        ("POST", "/v1/items", {"content": b"{not json"}),
        ("POST", "/v1/menus", {"json": {"menu": {"name": "x", "businessLocationId": ["a"]}}}),
        ("POST", "/v1/modifier-groups", {"json": {"modifierGroup": {"name": "g", "rule": {"minSelections": "1"}}}}),
        ("POST", "/v1/items/query", {"json": {"query": {"filter": {"$and": 5}}}}),
        ("POST", "/v1/items/query", {"json": {"query": {"filter": {"name": {"$regex": "a"}}}}}),
        ("POST", "/v1/items/query", {"json": {"query": "all"}}),
        ("POST", "/v1/items/query", {"json": {"query": {"cursorPaging": {"cursor": "eyJpIjoxfQ"}}}}),
        ("GET", "/v1/items", {"params": {"paging.limit": "many"}}),
        ("PATCH", "/v1/items/x", {"json": {"item": {"revision": {"a": 1}}}}),
        ("PATCH", "/v1/operations/x", {"json": {"operation": 5}}),
        ("POST", "/v1/menu-ordering-settings/query", {"json": {"query": {"cursorPaging": {"limit": True}}}}),
    ],
)
def test_malformed_requests_get_4xx_in_wix_shape(wixsim, ng, method, path, kwargs):
    response = call(wixsim, ng, method, path, **kwargs)
    assert 400 <= response.status_code < 500, response.text
    assert "details" in response.json()


def test_odd_but_well_formed_requests_are_answered(wixsim, ng):
    make_item(wixsim, ng, name="Odd", description=None)
    body = {"query": {"sort": [{"fieldName": "priceInfo"}, {"fieldName": "description"}, {"fieldName": "x"}]}}
    assert len(ok(call(wixsim, ng, "POST", "/v1/items/query", json=body))["items"]) == 3
    out = ok(call(wixsim, ng, "POST", "/v1/bulk/items/update", json={"items": [{"item": "x"}, 5]}))
    assert out["bulkActionMetadata"]["totalFailures"] == 2


def test_a_forged_cursor_of_the_right_instance_is_still_refused(wixsim, ng):
    import base64
    import json

    forged = {"i": ng["instanceId"], "s": "query:item", "o": "zero", "l": 5}
    cursor = base64.urlsafe_b64encode(json.dumps(forged).encode()).decode()
    body = {"query": {"cursorPaging": {"cursor": cursor}}}
    assert call(wixsim, ng, "POST", "/v1/items/query", json=body).status_code == 400
    listing = {"i": ng["instanceId"], "s": "list:item", "o": 0, "l": 5, "ids": "all"}
    cursor = base64.urlsafe_b64encode(json.dumps(listing).encode()).decode()
    assert call(wixsim, ng, "GET", "/v1/items", params={"paging.cursor": cursor}).status_code == 400


def test_deleting_a_linked_child_leaves_the_link_and_the_tree_readable(wixsim, ng):
    tree = wixsim.site_menus(ng["instanceId"])
    soda = tree["locations"][0]["menus"][0]["sections"][0]["items"][1]
    assert ok(call(wixsim, ng, "DELETE", f"/v1/items/{soda['id']}")) == {}
    section = tree["entities"]["sections"][0]
    assert soda["id"] in ok(call(wixsim, ng, "GET", f"/v1/sections/{section['id']}"))["section"]["itemIds"]
    items = wixsim.site_menus(ng["instanceId"])["locations"][0]["menus"][0]["sections"][0]["items"]
    assert [i["name"] for i in items] == ["Margherita"]
