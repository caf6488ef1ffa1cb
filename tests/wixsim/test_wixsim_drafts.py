"""Draft Catalogs: copy, bulk limits and partial failures, publish/discard, the leftover-draft case."""

from __future__ import annotations

import pytest


def draft_call(wixsim, site, action, body=None, method="POST"):
    """Call a draft-catalogs endpoint of the site's catalog."""
    path = f"/restaurants/v3/draft-catalogs/{site.catalog_id}/{action}"
    return wixsim.wix(method, path, instance_id=site.instance_id, json=body)


def bulk_ok(response):
    """The bulk body of a 200."""
    assert response.status_code == 200, response.text
    return response.json()


def test_create_draft_starts_as_a_copy_of_live(wixsim, site):
    response = draft_call(wixsim, site, "create")
    assert response.status_code == 200
    assert response.json()["catalog"]["id"] == site.catalog_id
    view = wixsim.catalog(site.catalog_id)
    assert view["draft"] == view["live"]


def test_second_create_while_a_draft_exists_is_409(wixsim, site):
    draft_call(wixsim, site, "create")
    response = draft_call(wixsim, site, "create")
    assert response.status_code == 409
    assert response.json()["details"]["applicationError"]["code"] == "DRAFT_CATALOG_ALREADY_EXISTS"


def test_leftover_draft_is_discarded_then_a_new_draft_can_start(wixsim, site):
    draft_call(wixsim, site, "create")
    draft_call(wixsim, site, "bulk/menus/create", {"menus": [{"name": "Half-written"}]})
    assert draft_call(wixsim, site, "create").status_code == 409
    assert draft_call(wixsim, site, "discard", method="DELETE").json() == {}
    assert draft_call(wixsim, site, "create").status_code == 200
    names = [m["name"] for m in wixsim.draft_catalog(site.catalog_id)["menus"]]
    assert names == ["Existing Wix menu"]


@pytest.mark.parametrize("count", [0, 21])
def test_bulk_with_zero_or_more_than_20_entries_is_400(wixsim, site, count):
    draft_call(wixsim, site, "create")
    response = draft_call(wixsim, site, "bulk/menus/create", {"menus": [{"name": f"M{i}"} for i in range(count)]})
    assert response.status_code == 400
    assert wixsim.draft_catalog(site.catalog_id)["menus"][1:] == []


def test_bulk_of_exactly_20_is_accepted(wixsim, site):
    draft_call(wixsim, site, "create")
    body = bulk_ok(
        draft_call(wixsim, site, "bulk/variations/create", {"variations": [{"name": f"V{i}"} for i in range(20)]})
    )
    assert body["bulkActionMetadata"]["totalSuccesses"] == 20


def test_bulk_partial_failure_reports_each_entry_with_original_index(wixsim, site):
    draft_call(wixsim, site, "create")
    body = bulk_ok(
        draft_call(wixsim, site, "bulk/menus/create", {"menus": [{"name": "Lunch"}, {"name": ""}, {"name": "Dinner"}]})
    )
    metas = [r["entityMetadata"] for r in body["results"]]
    assert [m["originalIndex"] for m in metas] == [0, 1, 2]
    assert [m["success"] for m in metas] == [True, False, True]
    assert metas[1]["error"]["code"] == "INVALID_ARGUMENT"
    assert "entity" not in body["results"][1]
    assert body["results"][0]["entity"]["name"] == "Lunch"
    assert body["bulkActionMetadata"] == {"totalSuccesses": 2, "totalFailures": 1, "undetailedFailures": 0}


def test_return_full_entity_false_omits_entities(wixsim, site):
    draft_call(wixsim, site, "create")
    body = bulk_ok(draft_call(wixsim, site, "bulk/menus/create", {"menus": [{"name": "A"}], "returnFullEntity": False}))
    assert "entity" not in body["results"][0]
    assert body["results"][0]["entityMetadata"]["id"]


def test_bulk_without_a_draft_is_404(wixsim, site):
    response = draft_call(wixsim, site, "bulk/menus/create", {"menus": [{"name": "A"}]})
    assert response.status_code == 404


def build_menu(wixsim, site):
    """Create menu -> section -> dish with a priced variation option in the draft; return the ids."""
    draft_call(wixsim, site, "create")
    menu = bulk_ok(draft_call(wixsim, site, "bulk/menus/create", {"menus": [{"name": "POS menu"}]}))
    menu_id = menu["results"][0]["entity"]["id"]
    sections = bulk_ok(
        draft_call(
            wixsim,
            site,
            "bulk/sections/create",
            {"createSectionRequests": [{"menuId": menu_id, "section": {"name": "Mains"}}]},
        )
    )
    section_id = sections["results"][0]["entity"]["id"]
    variation = bulk_ok(draft_call(wixsim, site, "bulk/variations/create", {"variations": [{"name": "Large"}]}))
    variation_id = variation["results"][0]["entity"]["id"]
    assert variation["results"][0]["entity"]["type"] == "VARIATION"
    bulk_ok(draft_call(wixsim, site, "bulk/items/update", {"items": [{"id": variation_id, "price": {"value": "2.5"}}]}))
    dish = {
        "name": "Burger",
        "price": {"value": "11.00"},
        "dishOptions": {
            "values": [
                {
                    "name": "Size",
                    "selection": {
                        "defaultChoice": variation_id,
                        "availableChoices": [{"itemId": variation_id, "price": {"value": "2.50"}}],
                    },
                }
            ]
        },
    }
    dishes = bulk_ok(
        draft_call(
            wixsim,
            site,
            "bulk/dishes/create",
            {"createDishRequests": [{"menuId": menu_id, "sectionId": section_id, "dish": dish}]},
        )
    )
    return menu_id, section_id, dishes["results"][0]["entity"]


def test_sections_and_dishes_are_appended_to_their_parents(wixsim, site):
    menu_id, section_id, dish = build_menu(wixsim, site)
    draft = wixsim.draft_catalog(site.catalog_id)
    menu = next(m for m in draft["menus"] if m["id"] == menu_id)
    section = next(s for s in draft["sections"] if s["id"] == section_id)
    assert menu["sectionIds"]["values"] == [section_id]
    assert section["itemIds"]["values"] == [dish["id"]]
    assert section["menuId"] == menu_id
    assert dish["type"] == "DISH"
    assert dish["price"] == {"value": "11.00", "currency": "USD"}
    assert dish["dishOptions"]["values"][0]["type"] == "SELECTION"


def test_draft_writes_are_invisible_live_until_publish(wixsim, site):
    build_menu(wixsim, site)
    live = wixsim.wix("GET", f"/restaurants/v3/catalogs/{site.catalog_id}/menus", instance_id=site.instance_id)
    assert [m["name"] for m in live.json()["menus"]] == ["Existing Wix menu"]


def test_publish_replaces_live_atomically_keeps_ids_and_ends_the_draft(wixsim, site):
    menu_id, _section_id, dish = build_menu(wixsim, site)
    existing_id = wixsim.live_catalog(site.catalog_id)["menus"][0]["id"]
    bulk_ok(draft_call(wixsim, site, "bulk/menus/archive", {"ids": [existing_id]}))
    response = draft_call(wixsim, site, "publish")
    assert response.status_code == 200
    assert response.json()["catalog"]["draftPublishedDate"].endswith("Z")
    view = wixsim.catalog(site.catalog_id)
    assert view["draft"] is None
    live_menus = {m["id"]: m for m in view["live"]["menus"]}
    assert live_menus[existing_id]["archived"] is True
    assert menu_id in live_menus
    assert dish["id"] in {i["id"] for i in view["live"]["items"]}
    listed = wixsim.wix("GET", f"/v3/catalogs/{site.catalog_id}/menus", instance_id=site.instance_id).json()
    assert [m["id"] for m in listed["menus"]] == [menu_id]
    catalogs = wixsim.wix("GET", "/v3/catalogs", instance_id=site.instance_id).json()["catalogs"]
    assert catalogs[0]["draftPublishedDate"] == response.json()["catalog"]["draftPublishedDate"]


def test_ids_stay_stable_across_a_second_draft(wixsim, site):
    _menu_id, _section_id, dish = build_menu(wixsim, site)
    draft_call(wixsim, site, "publish")
    draft_call(wixsim, site, "create")
    updated = bulk_ok(draft_call(wixsim, site, "bulk/items/update", {"items": [{"id": dish["id"], "inStock": False}]}))
    assert updated["results"][0]["entity"]["id"] == dish["id"]
    draft_call(wixsim, site, "publish")
    live = {i["id"]: i for i in wixsim.live_catalog(site.catalog_id)["items"]}
    assert live[dish["id"]]["inStock"] is False
    assert live[dish["id"]]["name"] == "Burger"


def test_discard_leaves_live_untouched(wixsim, site):
    before = wixsim.live_catalog(site.catalog_id)
    build_menu(wixsim, site)
    assert draft_call(wixsim, site, "discard", method="DELETE").status_code == 200
    assert wixsim.live_catalog(site.catalog_id) == before
    assert draft_call(wixsim, site, "discard", method="DELETE").status_code == 404
    assert draft_call(wixsim, site, "publish").status_code == 404


def test_dish_in_unknown_section_fails_only_that_entry(wixsim, site):
    menu_id, section_id, _dish = build_menu(wixsim, site)
    requests = [
        {"menuId": menu_id, "sectionId": "nope", "dish": {"name": "Lost", "price": {"value": "1"}}},
        {"menuId": menu_id, "sectionId": section_id, "dish": {"name": "Fries", "price": {"value": "3"}}},
    ]
    body = bulk_ok(draft_call(wixsim, site, "bulk/dishes/create", {"createDishRequests": requests}))
    assert [r["entityMetadata"]["success"] for r in body["results"]] == [False, True]
    assert body["results"][0]["entityMetadata"]["error"]["code"] == "NOT_FOUND"


def test_dish_option_pointing_at_unknown_item_fails(wixsim, site):
    menu_id, section_id, _dish = build_menu(wixsim, site)
    dish = {
        "name": "Bad",
        "price": {"value": "1"},
        "dishOptions": {"values": [{"name": "X", "extras": {"availableChoices": [{"itemId": "ghost"}]}}]},
    }
    body = bulk_ok(
        draft_call(
            wixsim,
            site,
            "bulk/dishes/create",
            {"createDishRequests": [{"menuId": menu_id, "sectionId": section_id, "dish": dish}]},
        )
    )
    assert body["bulkActionMetadata"]["totalFailures"] == 1


def test_sections_update_reorders_and_detaches_items(wixsim, site):
    menu_id, section_id, dish = build_menu(wixsim, site)
    update = {"updateSectionsRequests": [{"menuId": menu_id, "section": {"id": section_id, "itemIds": {"values": []}}}]}
    body = bulk_ok(draft_call(wixsim, site, "bulk/sections/update", update))
    assert body["results"][0]["entity"]["itemIds"] == {"values": []}
    assert body["results"][0]["entity"]["name"] == "Mains"
    bad = {"updateSectionsRequests": [{"menuId": menu_id, "section": {"id": section_id, "itemIds": {"values": ["x"]}}}]}
    assert bulk_ok(draft_call(wixsim, site, "bulk/sections/update", bad))["bulkActionMetadata"]["totalFailures"] == 1
    assert dish["id"] in {i["id"] for i in wixsim.draft_catalog(site.catalog_id)["items"]}


def test_menus_update_and_unarchive(wixsim, site):
    menu_id, _section_id, _dish = build_menu(wixsim, site)
    bulk_ok(draft_call(wixsim, site, "bulk/menus/archive", {"ids": [menu_id]}))
    refused = bulk_ok(draft_call(wixsim, site, "bulk/menus/update", {"menus": [{"id": menu_id, "name": "X"}]}))
    assert refused["results"][0]["entityMetadata"]["error"]["code"] == "FAILED_PRECONDITION"
    unarchived = bulk_ok(draft_call(wixsim, site, "bulk/menus/unarchive", {"ids": [menu_id, "ghost"]}))
    assert [r["entityMetadata"]["success"] for r in unarchived["results"]] == [True, False]
    renamed = bulk_ok(draft_call(wixsim, site, "bulk/menus/update", {"menus": [{"id": menu_id, "name": "Brunch"}]}))
    assert renamed["results"][0]["entity"]["name"] == "Brunch"
    assert renamed["results"][0]["entity"]["archived"] is False


def test_visibility_criteria_are_validated(wixsim, site):
    draft_call(wixsim, site, "create")
    bad_menus = [
        {"name": "A", "visibilityCriteria": {"fulfillmentTypes": ["TELEPORT"]}},
        {
            "name": "B",
            "visibilityCriteria": {
                "availability": {
                    "periods": [{"openDay": "MON", "openTime": "10:00", "closeDay": "MON", "closeTime": "09:00"}]
                }
            },
        },
        {
            "name": "C",
            "visibilityCriteria": {
                "availability": {
                    "periods": [{"openDay": "MON", "openTime": "10:00", "closeDay": "MON", "closeTime": "24:00"}]
                }
            },
        },
    ]
    body = bulk_ok(draft_call(wixsim, site, "bulk/menus/create", {"menus": bad_menus}))
    assert [r["entityMetadata"]["success"] for r in body["results"]] == [False, False, True]


def test_request_log_keeps_bulk_bodies(wixsim, site):
    draft_call(wixsim, site, "create")
    draft_call(wixsim, site, "bulk/menus/create", {"menus": [{"name": "A"}, {"name": "B"}]})
    [entry] = wixsim.request_log(endpoint="bulkCreateMenus")["requests"]
    assert entry["body"] == {"menus": [{"name": "A"}, {"name": "B"}]}
    assert entry["bodyBytes"] > 0
