"""New-generation sites: business locations, operations, seeded menus; legacy sites unchanged."""

from __future__ import annotations

import pytest

from tests.wixsim.wixsim_test_helpers import MENU_SPEC
from wixsim.client import WixSimError
from wixsim.testing import running_wixsim


def test_new_site_has_locations_operations_and_no_configurations(wixsim):
    site = wixsim.create_site(generation="new", locations=3, name="Trattoria")
    assert site["generation"] == "new"
    assert "configurations" not in site
    assert [loc["name"] for loc in site["locations"]] == ["Location 1", "Location 2", "Location 3"]
    assert len({loc["id"] for loc in site["locations"]}) == 3
    tree = wixsim.site_menus(site["instanceId"])
    ops = {loc["operationId"] for loc in tree["locations"]}
    assert len(ops) == 3
    assert all(loc["onlineOrderingStatus"] == "ENABLED" for loc in tree["locations"])
    assert wixsim.get_site(site["instanceId"])["locations"] == site["locations"]


def test_legacy_is_the_default_generation(wixsim):
    site = wixsim.create_site()
    assert site["generation"] == "legacy"
    assert len(site["configurations"]) == 1
    with pytest.raises(WixSimError) as refused:
        wixsim.site_menus(site["instanceId"])
    assert refused.value.response.status_code == 428


@pytest.mark.parametrize(
    "spec",
    [
        {"generation": "new", "locations": 0},
        {"generation": "new", "locations": 101},
        {"generation": "new", "configurations": 1},
        {"generation": "new", "menus": {"menus": [{"name": "M", "location": 5}]}},
        {"generation": "new", "menus": {"menus": [{"name": ""}]}},
        {
            "generation": "new",
            "menus": [{"name": "M", "sections": [{"name": "S", "items": [{"name": "I", "price": "1.0001"}]}]}],
        },
        {"generation": "new", "menus": [{"name": "M", "sections": "x"}]},
        {"generation": "new", "menus": [5]},
        {"locations": 2},
        {"generation": "ancient"},
    ],
)
def test_bad_site_specs_are_refused_and_leave_nothing(wixsim, spec):
    with pytest.raises(WixSimError) as refused:
        wixsim.create_site(**spec)
    assert refused.value.response.status_code in (400, 422)
    assert wixsim.http.get("/_sim/sites").json()["sites"] == []


def test_seeded_menus_become_menus_api_entities(wixsim):
    site = wixsim.create_site(generation="new", locations=2, menus=MENU_SPEC)
    tree = wixsim.site_menus(site["instanceId"])
    first, second = tree["locations"]
    assert second["menus"] == []
    [menu] = first["menus"]
    assert (menu["name"], menu["revision"], menu["onlineOrderingEnabled"]) == ("Existing Wix menu", "1", True)
    [section] = menu["sections"]
    margherita, soda = section["items"]
    assert (soda["name"], soda["price"]) == ("Soda", "2.00")
    assert margherita["price"] == "12.50"
    size, toppings = margherita["modifierGroups"]
    assert size["rule"] == {"required": True, "minSelections": 1, "maxSelections": 1}
    assert [(m["name"], m["additionalCharge"], m["preSelected"]) for m in size["modifiers"]] == [
        ("Small", "0", True),
        ("Large", "3.00", False),
    ]
    assert toppings["rule"] == {"required": False, "minSelections": 0, "maxSelections": 2}
    entities = tree["entities"]
    assert all(i["businessLocationIds"] == [first["id"]] for i in entities["items"])
    assert all(m["businessLocationIds"] == [first["id"]] for m in entities["modifiers"])
    assert entities["sections"][0]["businessLocationId"] == first["id"]


def test_variants_labels_and_location_by_index(wixsim):
    spec = [
        {
            "name": "Second",
            "location": 1,
            "sections": [
                {
                    "name": "Drinks",
                    "items": [
                        {
                            "name": "Cola",
                            "labels": ["Vegan"],
                            "variants": [{"name": "S", "price": "2"}, {"name": "L", "price": "3.5"}],
                        },
                        {"name": "Tea", "labels": ["Vegan"], "price": "1.5", "inStock": False},
                    ],
                }
            ],
        }
    ]
    site = wixsim.create_site(generation="new", locations=["A", "B"], menus=spec)
    tree = wixsim.site_menus(site["instanceId"])
    assert tree["locations"][0]["menus"] == []
    cola, tea = tree["locations"][1]["menus"][0]["sections"][0]["items"]
    assert [(v["name"], v["price"]) for v in cola["variants"]] == [("S", "2"), ("L", "3.5")]
    assert (cola["labels"], tea["labels"], tea["inStock"]) == (["Vegan"], ["Vegan"], False)
    assert len(tree["entities"]["labels"]) == 1


@pytest.mark.parametrize("filename", ["state.json", "state.sqlite"])
def test_new_generation_state_survives_a_restart(tmp_path, filename):
    state = tmp_path / filename
    with running_wixsim(state_file=state) as client:
        site = client.create_site(generation="new", locations=2, menus=MENU_SPEC, validations_base_uri="http://x/v")
        before = client.site_menus(site["instanceId"])
    with running_wixsim(state_file=state) as client:
        kept = client.get_site(site["instanceId"])
        assert (kept["generation"], kept["validationsBaseUri"]) == ("new", "http://x/v")
        assert client.site_menus(site["instanceId"]) == before
