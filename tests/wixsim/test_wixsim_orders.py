"""Restaurants Orders v3: allowed, repeated and forbidden status transitions, and the webhooks they raise."""

from __future__ import annotations

import json

import jwt
import pytest

from tests.wixsim.wixsim_test_helpers import item_named


@pytest.fixture
def order_id(wixsim, site, provider):
    """A NEW order placed through a checkout."""
    soda = item_named(wixsim, site.catalog_id, "Soda")
    return wixsim.checkout(site.instance_id, site.configuration_id, [{"itemId": soda["id"]}])["orderId"]


def act(wixsim, site, order_id, action, **body):
    """POST an order action."""
    return wixsim.wix("POST", f"/restaurants/v3/orders/{order_id}/{action}", instance_id=site.instance_id, json=body)


def test_get_order_returns_the_wix_order(wixsim, site, order_id):
    order = wixsim.wix("GET", f"/v3/orders/{order_id}", instance_id=site.instance_id).json()["order"]
    assert order["id"] == order_id
    assert order["status"] == "NEW"
    assert order["channelInfo"] == {"type": "WEB"}
    assert order["locationId"]


def test_accept_then_fulfill_is_allowed_and_recorded(wixsim, site, order_id):
    accepted = act(wixsim, site, order_id, "accept", id=order_id, message="20 minutes")
    assert accepted.status_code == 200
    assert accepted.json()["order"]["status"] == "ACCEPTED"
    assert accepted.json()["order"]["activities"][-1]["message"] == "20 minutes"
    assert act(wixsim, site, order_id, "fulfill", id=order_id).json()["order"]["status"] == "FULFILLED"
    history = [h["status"] for h in wixsim.order(order_id)["statusHistory"]]
    assert history == ["NEW", "ACCEPTED", "FULFILLED"]


def test_repeating_the_current_status_is_a_no_op_200(wixsim, site, order_id):
    act(wixsim, site, order_id, "accept")
    again = act(wixsim, site, order_id, "accept")
    assert again.status_code == 200
    assert again.json()["order"]["status"] == "ACCEPTED"
    assert [h["status"] for h in wixsim.order(order_id)["statusHistory"]] == ["NEW", "ACCEPTED"]


def test_fulfilled_cannot_go_back_to_accepted(wixsim, site, order_id):
    act(wixsim, site, order_id, "accept")
    act(wixsim, site, order_id, "fulfill")
    response = act(wixsim, site, order_id, "accept")
    assert response.status_code == 428
    assert response.json()["details"]["applicationError"]["code"] == "ORDER_STATUS_TRANSITION_NOT_ALLOWED"
    assert wixsim.order(order_id)["order"]["status"] == "FULFILLED"


def test_new_cannot_be_fulfilled_directly(wixsim, site, order_id):
    assert act(wixsim, site, order_id, "fulfill").status_code == 428


@pytest.mark.parametrize("path", [[], ["accept"], ["accept", "fulfill"]])
def test_cancel_is_allowed_from_new_accepted_and_fulfilled(wixsim, site, order_id, path):
    for action in path:
        act(wixsim, site, order_id, action)
    assert act(wixsim, site, order_id, "cancel", message="sold out").json()["order"]["status"] == "CANCELED"


def test_canceled_order_cannot_be_accepted(wixsim, site, order_id):
    act(wixsim, site, order_id, "cancel")
    assert act(wixsim, site, order_id, "accept").status_code == 428
    assert act(wixsim, site, order_id, "cancel").status_code == 200


def test_pending_order_accepts_nothing_until_wix_moves_it_to_new(wixsim, site, order_id):
    wixsim.set_order_status(order_id, "PENDING")
    assert act(wixsim, site, order_id, "accept").status_code == 428
    wixsim.set_order_status(order_id, "NEW")
    assert act(wixsim, site, order_id, "accept").status_code == 200


def test_message_over_1000_characters_is_400(wixsim, site, order_id):
    response = act(wixsim, site, order_id, "cancel", message="x" * 1001)
    assert response.status_code == 400
    assert wixsim.order(order_id)["order"]["status"] == "NEW"


def test_body_id_must_match_the_path(wixsim, site, order_id):
    assert act(wixsim, site, order_id, "accept", id="other").status_code == 400


def test_unknown_order_is_404(wixsim, site):
    assert act(wixsim, site, "nope", "accept").status_code == 404


def test_list_orders_filters_by_status_and_stays_in_the_instance(wixsim, site, order_id):
    soda = item_named(wixsim, site.catalog_id, "Soda")
    second = wixsim.checkout(site.instance_id, site.configuration_id, [{"itemId": soda["id"]}])["orderId"]
    act(wixsim, site, order_id, "accept")
    listed = wixsim.wix("GET", "/restaurants/v3/orders", instance_id=site.instance_id).json()["orders"]
    assert [o["id"] for o in listed] == [second, order_id]
    accepted = wixsim.wix("GET", "/v3/orders", instance_id=site.instance_id, params={"status": "ACCEPTED"})
    assert [o["id"] for o in accepted.json()["orders"]] == [order_id]
    other = wixsim.create_site()["instanceId"]
    assert wixsim.wix("GET", "/v3/orders", instance_id=other).json()["orders"] == []
    assert wixsim.wix("GET", "/v3/orders", instance_id=other, params={"limit": 0}).status_code == 400


def _order_events(wixsim, provider):
    """The Orders v3 webhooks the provider received, unwrapped: (eventType, identity type, domain event)."""
    wixsim.order_events()  # waits for the queued ones
    out = []
    for call in provider.calls("/wix/webhooks"):
        claims = jwt.decode(call["body"].decode(), wixsim.public_key_pem, algorithms=["RS256"])
        outer = json.loads(claims["data"])
        if outer["eventType"].startswith("wix.restaurants.v3.order_"):
            out.append((outer["eventType"], json.loads(outer["identity"])["identityType"], json.loads(outer["data"])))
    return out


def test_status_changes_raise_order_webhooks_in_the_sdk_shape(wixsim, site, provider, order_id):
    act(wixsim, site, order_id, "accept", message="20 minutes")
    act(wixsim, site, order_id, "accept")  # a repeat raises nothing
    wixsim.set_order_status(order_id, "CANCELED", message="out of dough")  # in Wix's dashboard
    events = _order_events(wixsim, provider)
    assert [(t, who) for t, who, _ in events] == [
        ("wix.restaurants.v3.order_accepted", "APP"),
        ("wix.restaurants.v3.order_canceled", "WIX_USER"),
    ]
    for (_, _, event), slug, status in zip(events, ("accepted", "canceled"), ("ACCEPTED", "CANCELED"), strict=True):
        assert event["entityFqdn"] == "wix.restaurants.v3.order" and event["slug"] == slug
        assert event["entityId"] == order_id and event["id"] and event["eventTime"]
        assert event["actionEvent"]["body"]["order"]["status"] == status
    assert events[1][2]["actionEvent"]["body"]["order"]["activities"][-1]["message"] == "out of dough"
    assert len({e["id"] for _, _, e in events}) == 2


def test_a_silent_change_raises_nothing_and_a_redelivery_repeats_the_same_event(wixsim, site, provider, order_id):
    wixsim.set_order_status(order_id, "ACCEPTED", emit=False)
    assert _order_events(wixsim, provider) == []
    wixsim.set_order_status(order_id, "FULFILLED")
    logged = wixsim.order_events(instance_id=site.instance_id)
    again = wixsim.redeliver_order_event(logged[0]["seq"])
    assert again["delivered"] and again["payload"] == logged[0]["payload"]
    events = _order_events(wixsim, provider)
    assert [e["id"] for _, _, e in events] == [events[0][2]["id"]] * 2
