"""Catalogs v3 live reads and the single-item PATCH."""

from __future__ import annotations

from tests.wixsim.wixsim_test_helpers import item_named


def _get(wixsim, site, path, **params):
    return wixsim.wix("GET", f"/restaurants/v3/catalogs{path}", instance_id=site.instance_id, params=params)


def test_list_catalogs_returns_the_sites_catalog(wixsim, site):
    catalogs = _get(wixsim, site, "").json()["catalogs"]
    assert [c["id"] for c in catalogs] == [site.catalog_id]
    assert set(catalogs[0]) >= {"id", "locationId", "archived"}


def test_list_catalogs_refuses_a_page_over_1000(wixsim, site):
    response = _get(wixsim, site, "", **{"paging.limit": 1001})
    assert response.status_code == 400
    assert "validationError" in response.json()["details"]


def test_list_catalogs_filters_by_location(wixsim, site):
    assert _get(wixsim, site, "", locationIds="elsewhere").json()["catalogs"] == []


def test_menus_sections_items_list_in_display_order(wixsim, site):
    [menu] = _get(wixsim, site, f"/{site.catalog_id}/menus").json()["menus"]
    [section] = _get(wixsim, site, f"/{site.catalog_id}/sections").json()["sections"]
    items = _get(wixsim, site, f"/{site.catalog_id}/items").json()["items"]
    assert menu["sectionIds"] == {"values": [section["id"]]}
    dishes = [i for i in items if i["type"] == "DISH"]
    assert section["itemIds"]["values"] == [d["id"] for d in dishes]
    assert {i["type"] for i in items} == {"DISH", "VARIATION"}


def test_single_gets_and_visibility_criteria_flag(wixsim, site):
    [menu] = _get(wixsim, site, f"/{site.catalog_id}/menus").json()["menus"]
    section_id = menu["sectionIds"]["values"][0]
    assert _get(wixsim, site, f"/{site.catalog_id}/menus/{menu['id']}").json()["menu"]["id"] == menu["id"]
    got = _get(wixsim, site, f"/{site.catalog_id}/menus/{menu['id']}/sections/{section_id}").json()
    assert got["section"]["menuId"] == menu["id"]
    dish = item_named(wixsim, site.catalog_id, "Soda")
    patch = {"item": {"visibilityCriteria": {"visible": True, "fulfillmentTypes": ["DELIVERY"]}}}
    wixsim.wix(
        "PATCH",
        f"/restaurants/v3/catalogs/{site.catalog_id}/items/{dish['id']}",
        instance_id=site.instance_id,
        json=patch,
    )
    plain = _get(wixsim, site, f"/{site.catalog_id}/items/{dish['id']}").json()["item"]
    full = _get(wixsim, site, f"/{site.catalog_id}/items/{dish['id']}", includeVisibilityCriteria="true").json()
    assert "visibilityCriteria" not in plain
    assert full["item"]["visibilityCriteria"]["fulfillmentTypes"] == ["DELIVERY"]


def test_field_mask_trims_listed_entities(wixsim, site):
    items = _get(wixsim, site, f"/{site.catalog_id}/items", fieldMask="name").json()["items"]
    assert all(set(i) == {"id", "name"} for i in items)


def test_patch_item_changes_stock_in_the_live_catalog(wixsim, site):
    dish = item_named(wixsim, site.catalog_id, "Margherita")
    response = wixsim.wix(
        "PATCH",
        f"/restaurants/v3/catalogs/{site.catalog_id}/items/{dish['id']}",
        instance_id=site.instance_id,
        json={"item": {"id": dish["id"], "inStock": False}},
    )
    assert response.status_code == 200
    assert response.json()["item"]["inStock"] is False
    assert response.json()["item"]["price"] == dish["price"]
    assert item_named(wixsim, site.catalog_id, "Margherita")["inStock"] is False


def test_patch_item_with_a_negative_price_is_400_and_changes_nothing(wixsim, site):
    dish = item_named(wixsim, site.catalog_id, "Soda")
    response = wixsim.wix(
        "PATCH",
        f"/v3/catalogs/{site.catalog_id}/items/{dish['id']}",
        instance_id=site.instance_id,
        json={"item": {"price": {"value": "-1"}}},
    )
    assert response.status_code == 400
    assert item_named(wixsim, site.catalog_id, "Soda")["price"]["value"] == "2.00"


def test_patch_unknown_item_is_404(wixsim, site):
    response = wixsim.wix(
        "PATCH", f"/v3/catalogs/{site.catalog_id}/items/nope", instance_id=site.instance_id, json={"item": {}}
    )
    assert response.status_code == 404


def _write(wixsim, site, method, path, body=None):
    return wixsim.wix(method, f"/v3/catalogs/{site.catalog_id}{path}", instance_id=site.instance_id, json=body)


def test_live_writes_create_menu_section_dish_and_variation(wixsim, site):
    menu = _write(wixsim, site, "POST", "/menus", {"menu": {"name": "Live"}}).json()["menu"]
    section = _write(wixsim, site, "POST", f"/menus/{menu['id']}/sections", {"section": {"name": "S"}}).json()
    section_id = section["section"]["id"]
    variation = _write(wixsim, site, "POST", "/variations", {"name": "Big"}).json()["variation"]
    dish = {"name": "D", "price": {"value": "5"}}
    created = _write(wixsim, site, "POST", f"/menus/{menu['id']}/sections/{section_id}/items", {"dish": dish})
    live = wixsim.live_catalog(site.catalog_id)
    live_menu = next(m for m in live["menus"] if m["id"] == menu["id"])
    assert live_menu["sectionIds"]["values"] == [section_id]
    live_section = next(s for s in live["sections"] if s["id"] == section_id)
    assert live_section["itemIds"]["values"] == [created.json()["dish"]["id"]]
    assert variation["type"] == "VARIATION"


def test_live_menu_update_archive_and_errors(wixsim, site):
    menu_id = wixsim.live_catalog(site.catalog_id)["menus"][0]["id"]
    renamed = _write(wixsim, site, "PATCH", f"/menus/{menu_id}", {"menu": {"name": "Renamed"}})
    assert renamed.json()["menu"]["name"] == "Renamed"
    assert _write(wixsim, site, "POST", f"/menus/{menu_id}/archive").json()["menu"]["archived"] is True
    assert _write(wixsim, site, "PATCH", f"/menus/{menu_id}", {"menu": {"name": "X"}}).status_code == 428
    assert _write(wixsim, site, "POST", "/menus/ghost/archive").status_code == 404
    assert _write(wixsim, site, "POST", "/menus", {"menu": {"name": ""}}).status_code == 400
