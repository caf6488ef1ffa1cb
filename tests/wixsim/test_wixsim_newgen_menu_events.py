"""Menu events: Wix's domain-event envelope, the writer's identity, order, and the merchant's dashboard edits."""

from __future__ import annotations

import json

import jwt
import pytest

from tests.wixsim.wixsim_test_helpers import MENU_SPEC, Hold, Reply, reset_while_held
from wixsim.client import WixSimError


@pytest.fixture
def ng(wixsim, provider):
    return wixsim.create_site(
        generation="new", locations=2, menus=MENU_SPEC, webhook_url=provider.base_url + "/wix/webhooks"
    )


def received(wixsim, provider):
    """Every webhook the provider got, decoded as Wix's SDK does: (event, domain event, identity)."""
    wixsim.drain_menu_events()
    out = []
    for call in provider.calls("/wix/webhooks"):
        claims = jwt.decode(call["body"].decode(), wixsim.public_key_pem, algorithms=["RS256"])
        event = json.loads(claims["data"])
        out.append((event, json.loads(event["data"]), json.loads(event["identity"])))
    return out


def api(wixsim, site, method, path, **kwargs):
    response = wixsim.wix(method, path, instance_id=site["instanceId"], **kwargs)
    assert response.status_code == 200, response.text
    return response.json()


def test_api_writes_announce_created_updated_deleted_as_the_app(wixsim, ng, provider):
    item = api(wixsim, ng, "POST", "/v1/items", json={"item": {"name": "Soup", "priceInfo": {"price": "5"}}})["item"]
    api(wixsim, ng, "PATCH", f"/v1/items/{item['id']}", json={"item": {"revision": "1", "name": "Soup of the day"}})
    api(wixsim, ng, "DELETE", f"/v1/items/{item['id']}")
    events = received(wixsim, provider)
    assert [e["eventType"] for e, _, _ in events] == [
        "wix.restaurants.menus.v1.item_created",
        "wix.restaurants.menus.v1.item_updated",
        "wix.restaurants.menus.v1.item_deleted",
    ]
    (created, c_body, c_who), (_, u_body, _), (_, d_body, _) = events
    assert created["instanceId"] == ng["instanceId"]
    assert c_who == {"identityType": "APP", "appId": wixsim.app_id}
    assert (c_body["entityFqdn"], c_body["slug"], c_body["entityId"]) == (
        "wix.restaurants.menus.v1.item",
        "created",
        item["id"],
    )
    assert c_body["createdEvent"]["entity"] == item
    assert u_body["updatedEvent"]["currentEntity"]["name"] == "Soup of the day"
    assert u_body["updatedEvent"]["currentEntity"]["revision"] == "2"
    assert d_body["deletedEvent"] == {} and d_body["entityId"] == item["id"]
    assert [b["entityEventSequence"] for b in (c_body, u_body, d_body)] == ["1", "2", "3"]
    assert len({b["id"] for b in (c_body, u_body, d_body)}) == 3


def test_bulk_writes_announce_only_what_succeeded(wixsim, ng, provider):
    body = {"modifierGroups": [{"name": "Sauce"}, {"name": ""}, {"name": "Side"}]}
    api(wixsim, ng, "POST", "/restaurants/item-modifier-group/v1/bulk/modifier-groups/create", json=body)
    events = received(wixsim, provider)
    assert [e["eventType"] for e, _, _ in events] == ["wix.restaurants.menus.v1.item_modifier_group_created"] * 2
    assert [b["createdEvent"]["entity"]["name"] for _, b, _ in events] == ["Sauce", "Side"]


def test_refused_writes_announce_nothing(wixsim, ng, provider):
    item = wixsim.site_menus(ng["instanceId"])["entities"]["items"][0]
    response = wixsim.wix(
        "PATCH", f"/v1/items/{item['id']}", instance_id=ng["instanceId"], json={"item": {"revision": "9"}}
    )
    assert response.status_code == 409
    assert received(wixsim, provider) == []


def test_the_merchant_edits_in_the_dashboard(wixsim, ng, provider):
    item = wixsim.site_menus(ng["instanceId"])["entities"]["items"][0]
    edited = wixsim.merchant_edit(ng["instanceId"], "item", item["id"], orderSettings={"inStock": False})
    assert edited["entity"]["revision"] == "2"
    assert edited["entity"]["orderSettings"] == {"inStock": False, "acceptSpecialRequests": True}
    assert edited["events"] == ["wix.restaurants.menus.v1.item_updated"]
    [(_event, body, who)] = received(wixsim, provider)
    assert who == {"identityType": "WIX_USER", "wixUserId": ng["ownerUserId"]}
    assert body["updatedEvent"]["currentEntity"]["orderSettings"]["inStock"] is False
    tree = wixsim.site_menus(ng["instanceId"])
    assert tree["locations"][0]["menus"][0]["sections"][0]["items"][0]["inStock"] is False
    stale = wixsim.wix(
        "PATCH", f"/v1/items/{item['id']}", instance_id=ng["instanceId"], json={"item": {"revision": "1", "name": "x"}}
    )
    assert stale.status_code == 409


def test_merchant_create_and_delete_and_bad_edits(wixsim, ng, provider):
    label = wixsim.merchant_create(ng["instanceId"], "labels", name="Chef's pick")["entity"]
    wixsim.merchant_delete(ng["instanceId"], "label", label["id"])
    assert [e["eventType"] for e, _, _ in received(wixsim, provider)] == [
        "wix.restaurants.menus.v1.item_label_created",
        "wix.restaurants.menus.v1.item_label_deleted",
    ]
    with pytest.raises(WixSimError) as bad:
        wixsim.merchant_edit(ng["instanceId"], "item", "nope", name="x")
    assert bad.value.response.status_code == 404
    item = wixsim.site_menus(ng["instanceId"])["entities"]["items"][0]
    with pytest.raises(WixSimError) as invalid:
        wixsim.merchant_edit(ng["instanceId"], "item", item["id"], priceInfo={"price": "1.2345"})
    assert invalid.value.response.status_code == 400
    with pytest.raises(WixSimError) as unknown:
        wixsim.merchant_edit(ng["instanceId"], "widgets", item["id"], name="x")
    assert unknown.value.response.status_code == 404


def test_operation_pause_by_the_merchant_and_by_the_app(wixsim, ng, provider):
    op_id = ng["locations"][0]["operationId"]
    wixsim.merchant_operation(ng["instanceId"], op_id, onlineOrderingStatus="DISABLED")
    patch = {"operation": {"revision": "2", "onlineOrderingStatus": "ENABLED"}}
    api(wixsim, ng, "PATCH", f"/restaurants-operations/v1/operations/{op_id}", json=patch)
    events = received(wixsim, provider)
    assert [e["eventType"] for e, _, _ in events] == ["wix.restaurants.operations.v1.operation_updated"] * 2
    assert [who["identityType"] for _, _, who in events] == ["WIX_USER", "APP"]
    assert [b["updatedEvent"]["currentEntity"]["onlineOrderingStatus"] for _, b, _ in events] == ["DISABLED", "ENABLED"]


def test_events_are_logged_with_delivery_results(wixsim, provider):
    silent = wixsim.create_site(generation="new")
    api(wixsim, silent, "POST", "/v1/labels", json={"label": {"name": "L"}})
    [entry] = wixsim.drain_menu_events()
    assert (entry["delivered"], entry["error"]) == (False, "no webhook URL")
    site = wixsim.create_site(generation="new", webhook_url=provider.base_url + "/broken")
    provider.script("/broken", Reply(500, {}))
    api(wixsim, site, "POST", "/v1/labels", json={"label": {"name": "L"}})
    wixsim.drain_menu_events()
    [logged] = wixsim.menu_events(instance_id=site["instanceId"])
    assert (logged["delivered"], logged["status"]) == (False, 500)
    assert logged["eventType"] == "wix.restaurants.menus.v1.item_label_created"


def test_a_reset_returns_only_after_the_menu_event_in_flight_landed(wixsim, ng, provider):
    wixsim.settings(spi_timeout_seconds=5)
    hold = Hold()
    provider.script("/wix/webhooks", Reply(200, {}, hold=hold))
    for name in ("Soup", "Salad", "Bread"):  # the first is sent and held, the other two wait behind it
        api(wixsim, ng, "POST", "/v1/items", json={"item": {"name": name, "priceInfo": {"price": "5"}}})
    assert reset_while_held(wixsim, provider, hold, "/wix/webhooks") == 1
    provider.reset()
    wixsim.drain_menu_events()
    assert provider.received == []  # the two queued behind it were dropped
    assert wixsim.menu_events() == []
