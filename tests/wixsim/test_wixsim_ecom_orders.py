"""eCom Orders and Order Fulfillments APIs: paths as the SDK builds them, rules, tenancy, events."""

from __future__ import annotations

import pytest

from tests.wixsim.ecom_helpers import EcomSite, margherita_line, new_site, unwrap_event
from tests.wixsim.wixsim_test_helpers import Hold, Reply, reset_while_held
from wixsim.testing import running_wixsim

ORDER_FORMS = ("/ecom/v1/orders", "/v1/orders", "/_api/ecom-orders/v1/orders", "/_api/orders/v1/orders")
FULFILLMENT_FORMS = ("/ecom/v1/fulfillments", "/v1/fulfillments", "/_api/fulfillments/v1/fulfillments")


@pytest.fixture
def ecom(wixsim, provider) -> EcomSite:
    return new_site(wixsim, webhook_url=provider.base_url + "/wix/webhooks")


@pytest.fixture
def placed(wixsim, ecom) -> dict:
    return wixsim.ecom_checkout(ecom.instance_id, ecom.location_id, [margherita_line(ecom, 2)])["order"]


def event_types(wixsim, provider, since: int = 0) -> list[str]:
    wixsim.ecom_events()
    calls = provider.calls("/wix/webhooks")[since:]
    return [unwrap_event(wixsim.public_key_pem, c["body"])[0]["eventType"] for c in calls]


@pytest.mark.parametrize("base", ORDER_FORMS)
def test_get_order_on_every_path_form(wixsim, ecom, placed, base):
    response = wixsim.wix("GET", f"{base}/{placed['id']}", instance_id=ecom.instance_id)
    assert response.status_code == 200
    assert response.json()["order"] == wixsim.order(placed["id"])["order"]
    assert response.headers["x-wix-request-id"]
    assert wixsim.request_counts(ecom.instance_id)["ecom.getOrder"] == 1


def test_tenancy_auth_and_missing_orders(wixsim, ecom, placed):
    other = new_site(wixsim)
    path = f"/ecom/v1/orders/{placed['id']}"
    foreign = wixsim.wix("GET", path, instance_id=other.instance_id)
    missing = wixsim.wix("GET", "/ecom/v1/orders/nope", instance_id=ecom.instance_id)
    assert foreign.status_code == missing.status_code == 404
    assert foreign.json()["details"]["applicationError"]["code"] == "ORDER_NOT_FOUND"
    assert wixsim.wix("GET", path).status_code == 401
    cancel = wixsim.wix("POST", f"/ecom/v1/orders/{placed['id']}/cancel", instance_id=other.instance_id, json={})
    assert cancel.status_code == 404
    assert wixsim.order(placed["id"])["order"]["status"] == "APPROVED"
    search = wixsim.wix("POST", "/ecom/v1/orders/search", instance_id=other.instance_id, json={})
    assert search.json()["orders"] == []


def test_search_filters_sorts_and_pages(wixsim, ecom):
    ids = [
        wixsim.ecom_checkout(ecom.instance_id, ecom.location_id, [margherita_line(ecom, 1)], payment=pay)["orderId"]
        for pay in ("CARD", "CASH", "CARD", "CASH", "CARD")
    ]

    def search(body):
        response = wixsim.wix("POST", "/v1/orders/search", instance_id=ecom.instance_id, json=body)
        assert response.status_code == 200, response.text
        return response.json()

    everything = search({})
    assert [o["id"] for o in everything["orders"]] == list(reversed(ids))
    unpaid = search({"search": {"filter": {"paymentStatus": "NOT_PAID"}}})
    assert {o["id"] for o in unpaid["orders"]} == {ids[1], ids[3]}
    by_location = search(
        {"search": {"filter": {"businessLocation._id": {"$eq": ecom.location_id}, "status": {"$in": ["APPROVED"]}}}}
    )
    assert len(by_location["orders"]) == 5
    page = search({"search": {"sort": [{"fieldName": "number", "order": "ASC"}], "cursorPaging": {"limit": 2}}})
    assert [o["id"] for o in page["orders"]] == ids[:2]
    assert page["metadata"]["hasNext"] is True
    seen = list(page["orders"])
    while page["metadata"]["hasNext"]:
        page = search({"search": {"cursorPaging": {"limit": 2, "cursor": page["metadata"]["cursors"]["next"]}}})
        seen += page["orders"]
    assert [o["id"] for o in seen] == ids
    for bad in (
        {"search": {"cursorPaging": {"limit": 101}}},
        {"search": {"cursorPaging": {"cursor": "%%%"}}},
        {"search": {"filter": {"status": {"$regex": "A"}}}},
    ):
        response = wixsim.wix("POST", "/v1/orders/search", instance_id=ecom.instance_id, json=bad)
        assert response.status_code == 400
        assert "validationError" in response.json()["details"]


def test_cancel_order_once_with_events(wixsim, ecom, placed, provider):
    before = len(provider.calls("/wix/webhooks"))
    path = f"/ecom/v1/orders/{placed['id']}/cancel"
    body = {"sendOrderCanceledEmail": True, "customMessage": "Out of dough"}
    response = wixsim.wix("POST", path, instance_id=ecom.instance_id, json=body)
    assert response.status_code == 200
    assert response.json()["order"]["status"] == "CANCELED"
    assert response.json()["order"]["activities"][-1]["activityType"] == "ORDER_CANCELED"
    assert event_types(wixsim, provider, before) == ["wix.ecom.v1.order_canceled", "wix.ecom.v1.order_updated"]
    _env, event, identity = unwrap_event(wixsim.public_key_pem, provider.calls("/wix/webhooks")[before]["body"])
    assert event["actionEvent"]["body"]["customMessage"] == "Out of dough"
    assert event["actionEvent"]["body"]["sendOrderCanceledEmail"] is True
    assert identity == {"identityType": "APP", "appId": wixsim.app_id}
    again = wixsim.wix("POST", path, instance_id=ecom.instance_id, json={})
    assert again.status_code == 200
    assert event_types(wixsim, provider, before) == ["wix.ecom.v1.order_canceled", "wix.ecom.v1.order_updated"]
    bad = wixsim.wix("POST", path, instance_id=ecom.instance_id, json={"restockAllItems": "yes"})
    assert bad.status_code == 400


def test_add_activities_takes_merchant_comments_only(wixsim, ecom, placed, provider):
    path = f"/ecom/v1/orders/{placed['id']}/activities/add"
    comment = {"activityType": "MERCHANT_COMMENT", "merchantComment": {"message": "Sent to kitchen"}}
    response = wixsim.wix(
        "POST", path, instance_id=ecom.instance_id, json={"orderId": placed["id"], "orderActivities": [comment]}
    )
    assert response.status_code == 200
    [activity_id] = response.json()["activityIds"]
    added = response.json()["order"]["activities"][-1]
    assert (added["id"], added["merchantComment"]["message"]) == (activity_id, "Sent to kitchen")
    for bad in (
        {"orderActivities": []},
        {"orderActivities": [{"merchantComment": {"message": "x"}}]},
        {"orderActivities": [{"activityType": "ORDER_PAID"}]},
        {"orderActivities": [{"activityType": "MERCHANT_COMMENT", "merchantComment": {"message": ""}}]},
        {"orderActivities": [comment] * 301},
        {"orderId": "other", "orderActivities": [comment]},
    ):
        refused = wixsim.wix("POST", path, instance_id=ecom.instance_id, json=bad)
        assert refused.status_code == 400, bad
    assert len(wixsim.order(placed["id"])["order"]["activities"]) == len(placed["activities"]) + 1


def fulfill(wixsim, ecom, order_id, fulfillment, base="/ecom/v1/fulfillments"):
    return wixsim.wix(
        "POST",
        f"{base}/orders/{order_id}/create-fulfillment",
        instance_id=ecom.instance_id,
        json={"orderId": order_id, "fulfillment": fulfillment},
    )


@pytest.mark.parametrize("base", FULFILLMENT_FORMS)
def test_fulfillment_lifecycle_drives_fulfillment_status(wixsim, ecom, placed, provider, base):
    line = placed["lineItems"][0]["id"]
    before = len(provider.calls("/wix/webhooks"))
    created = fulfill(
        wixsim, ecom, placed["id"], {"lineItems": [{"id": line, "quantity": 1}], "status": "Accepted"}, base
    )
    assert created.status_code == 200, created.text
    fid = created.json()["fulfillmentId"]
    [f] = created.json()["orderWithFulfillments"]["fulfillments"]
    assert (f["id"], f["status"], f["lineItems"]) == (fid, "Accepted", [{"id": line, "quantity": 1}])
    order = wixsim.order(placed["id"])["order"]
    assert order["fulfillmentStatus"] == "PARTIALLY_FULFILLED"
    assert order["fulfillmentStatusesAggregate"] == {"statuses": ["Accepted"]}
    assert event_types(wixsim, provider, before) == [
        "wix.ecom.v1.fulfillments_updated",
        "wix.ecom.v1.order_fulfilled",
        "wix.ecom.v1.order_updated",
    ]
    _env, event, _i = unwrap_event(wixsim.public_key_pem, provider.calls("/wix/webhooks")[before]["body"])
    assert event["entityFqdn"] == "wix.ecom.v1.fulfillments"
    assert event["updatedEvent"]["currentEntity"]["orderId"] == placed["id"]
    update = wixsim.wix(
        "PATCH",
        f"{base}/{fid}/orders/{placed['id']}",
        instance_id=ecom.instance_id,
        json={
            "orderId": placed["id"],
            "fulfillment": {
                "id": fid,
                "lineItems": [{"id": line, "quantity": 2}],
                "status": "Fulfilled",
                "completed": True,
            },
        },
    )
    assert update.status_code == 200, update.text
    assert wixsim.order(placed["id"])["order"]["fulfillmentStatus"] == "FULFILLED"
    listed = wixsim.wix("GET", f"{base}/orders/{placed['id']}", instance_id=ecom.instance_id).json()
    assert listed["orderWithFulfillments"]["fulfillments"][0]["completed"] is True
    deleted = wixsim.wix("DELETE", f"{base}/{fid}/orders/{placed['id']}", instance_id=ecom.instance_id)
    assert deleted.json()["orderWithFulfillments"]["fulfillments"] == []
    assert wixsim.order(placed["id"])["order"]["fulfillmentStatus"] == "NOT_FULFILLED"
    counts = wixsim.request_counts(ecom.instance_id)
    assert counts["ecom.createFulfillment"] == counts["ecom.updateFulfillment"] == counts["ecom.deleteFulfillment"] == 1


def test_fulfillment_rules(wixsim, ecom, placed):
    line = placed["lineItems"][0]["id"]
    for bad, status in (
        ({"lineItems": [{"id": line}], "status": "accepted"}, 400),
        ({"lineItems": [], "status": "Ready"}, 400),
        ({"status": "Ready"}, 400),
        ({"lineItems": [{"id": line, "quantity": 3}]}, 428),
        ({"lineItems": [{"id": "nope"}]}, 404),
        ({"lineItems": [{"id": line}], "trackingInfo": {"trackingLink": "ftp://x"}}, 400),
        ({"lineItems": [{"id": line}], "trackingInfo": {"trackingNumber": "1"}, "customInfo": {"fieldsData": {}}}, 400),
    ):
        assert fulfill(wixsim, ecom, placed["id"], bad).status_code == status, bad
    assert wixsim.order(placed["id"])["fulfillments"] == []
    ok = fulfill(wixsim, ecom, placed["id"], {"lineItems": [{"id": line}], "status": "In_Delivery"})
    assert ok.json()["orderWithFulfillments"]["fulfillments"][0]["lineItems"] == [{"id": line, "quantity": 2}]
    assert fulfill(wixsim, ecom, placed["id"], {"lineItems": [{"id": line}]}).status_code == 428
    missing = wixsim.wix("DELETE", f"/v1/fulfillments/nope/orders/{placed['id']}", instance_id=ecom.instance_id)
    assert missing.status_code == 404


def test_no_fulfillments_for_orders_that_are_not_approved(wixsim, ecom, placed):
    wixsim.ecom_cancel(placed["id"])
    refused = fulfill(
        wixsim, ecom, placed["id"], {"lineItems": [{"id": placed["lineItems"][0]["id"]}], "status": "Accepted"}
    )
    assert refused.status_code == 428
    assert refused.json()["details"]["applicationError"]["code"] == "ORDER_NOT_APPROVED"


def test_list_fulfillments_for_multiple_orders_hides_other_sites(wixsim, ecom, placed):
    other = new_site(wixsim)
    theirs = wixsim.ecom_checkout(other.instance_id, other.location_id, [margherita_line(other, 1)])["orderId"]
    fulfill(wixsim, ecom, placed["id"], {"lineItems": [{"id": placed["lineItems"][0]["id"]}], "status": "Ready"})
    response = wixsim.wix(
        "POST",
        "/ecom/v1/fulfillments/list-by-ids",
        instance_id=ecom.instance_id,
        json={"orderIds": [placed["id"], theirs]},
    )
    [mine] = response.json()["ordersWithFulfillments"]
    assert mine["orderId"] == placed["id"] and mine["fulfillments"][0]["status"] == "Ready"
    assert (
        wixsim.wix(
            "POST", "/v1/fulfillments/list-by-ids", instance_id=ecom.instance_id, json={"orderIds": []}
        ).status_code
        == 400
    )


def test_dashboard_refund_and_cancel(wixsim, ecom, placed, provider):
    partial = wixsim.ecom_refund(placed["id"], amount="10.00", reason="cold")
    assert partial["order"]["paymentStatus"] == "PARTIALLY_REFUNDED"
    assert partial["order"]["balanceSummary"]["refunded"]["amount"] == "10.00"
    assert partial["order"]["activities"][-1]["orderRefunded"]["amount"]["amount"] == "10.00"
    canceled = wixsim.ecom_cancel(placed["id"], refund=True)
    assert (canceled["order"]["status"], canceled["order"]["paymentStatus"]) == ("CANCELED", "FULLY_REFUNDED")
    assert canceled["order"]["balanceSummary"]["refunded"]["amount"] == "33.50"
    assert [d["eventType"] for d in canceled["delivered"]] == [
        "wix.ecom.v1.order_canceled",
        "wix.ecom.v1.order_updated",
        "wix.ecom.v1.order_payment_status_updated",
        "wix.ecom.v1.order_updated",
    ]
    history = wixsim.order(placed["id"])["history"]
    assert [h["source"] for h in history][-3:] == ["dashboard"] * 3
    too_much = wixsim.http.post(f"/_sim/orders/{placed['id']}/refund", json={"amount": "1.00"})
    assert too_much.status_code == 428


def test_faults_and_rate_limit_apply_to_ecom_endpoints(wixsim, ecom, placed):
    wixsim.inject_fault("ecom.getOrder", "5xx", count=1)
    path = f"/ecom/v1/orders/{placed['id']}"
    assert wixsim.wix("GET", path, instance_id=ecom.instance_id).status_code == 503
    assert wixsim.wix("GET", path, instance_id=ecom.instance_id).status_code == 200
    wixsim.set_rate_limit(2)
    statuses = [wixsim.wix("GET", path, instance_id=ecom.instance_id).status_code for _ in range(3)]
    assert statuses == [200, 200, 429]


def test_ecom_orders_survive_a_restart(tmp_path, provider):
    state = tmp_path / "wixsim.json"
    with running_wixsim(state_file=state) as first:
        site = new_site(first, webhook_url=provider.base_url + "/wix/webhooks")
        order_id = first.ecom_checkout(site.instance_id, site.location_id, [margherita_line(site, 1)])["orderId"]
        line = first.order(order_id)["order"]["lineItems"][0]["id"]
        fulfill(first, site, order_id, {"lineItems": [{"id": line}], "status": "Accepted"})
    with running_wixsim(state_file=state) as second:
        again = second.order(order_id)
        assert again["order"]["fulfillmentStatus"] == "FULFILLED"
        assert again["fulfillments"][0]["status"] == "Accepted"
        got = second.wix("GET", f"/ecom/v1/orders/{order_id}", instance_id=site.instance_id)
        assert got.status_code == 200


def test_bulk_create_fulfillments_is_per_order(wixsim, ecom, placed):
    second = wixsim.ecom_checkout(ecom.instance_id, ecom.location_id, [margherita_line(ecom, 1)])["order"]
    line, other_line = placed["lineItems"][0]["id"], second["lineItems"][0]["id"]
    body = {
        "ordersWithFulfillments": [
            {
                "orderId": placed["id"],
                "fulfillments": [{"lineItems": [{"id": line, "quantity": 1}], "status": "Accepted"}],
            },
            {
                "orderId": second["id"],
                "fulfillments": [
                    {"lineItems": [{"id": other_line}], "status": "Accepted"},
                    {"lineItems": [{"id": other_line}], "status": "Ready"},
                ],
            },
            {"orderId": "nope", "fulfillments": [{"lineItems": [{"id": line}]}]},
        ]
    }
    response = wixsim.wix(
        "POST", "/ecom/v1/fulfillments/orders/bulk/create-fulfillments", instance_id=ecom.instance_id, json=body
    )
    assert response.status_code == 200, response.text
    results = response.json()["results"]
    assert [r["itemMetadata"]["success"] for r in results] == [True, False, False]
    assert results[1]["itemMetadata"]["error"]["code"] == "INSUFFICIENT_QUANTITY_TO_FULFILL"
    assert results[2]["itemMetadata"]["error"]["code"] == "ORDER_NOT_FOUND"
    assert response.json()["bulkActionMetadata"] == {"totalSuccesses": 1, "totalFailures": 2, "undetailedFailures": 0}
    assert wixsim.order(second["id"])["fulfillments"] == []
    assert wixsim.order(placed["id"])["order"]["fulfillmentStatus"] == "PARTIALLY_FULFILLED"
    empty = wixsim.wix(
        "POST", "/v1/fulfillments/orders/bulk/create-fulfillments", instance_id=ecom.instance_id, json={}
    )
    assert empty.status_code == 400


def test_a_failing_or_missing_webhook_does_not_undo_the_order(wixsim, provider):
    site = new_site(wixsim, webhook_url=provider.base_url + "/wix/webhooks")
    provider.script("/wix/webhooks", Reply(500, {}))
    answer = wixsim.ecom_checkout(site.instance_id, site.location_id, [margherita_line(site, 1)])
    assert answer["outcome"] == "APPROVED"
    assert [e["status"] for e in answer["events"]] == [500, 500, 500]
    assert [e["status"] for e in wixsim.order(answer["orderId"])["events"]] == [500, 500, 500]
    quiet = new_site(wixsim)
    silent = wixsim.ecom_checkout(quiet.instance_id, quiet.location_id, [margherita_line(quiet, 1)])
    assert {e["error"] for e in silent["events"]} == {"no webhook URL"}
    assert wixsim.order(silent["orderId"])["order"]["status"] == "APPROVED"


def test_reset_cuts_deliveries_still_queued(wixsim, provider):
    site = new_site(wixsim, webhook_url=provider.base_url + "/slow")
    provider.script("/slow", Reply(200, {}, delay=0.5))
    wixsim.settings(spi_timeout_seconds=5)
    order = wixsim.ecom_checkout(site.instance_id, site.location_id, [margherita_line(site, 1)])["order"]
    for _ in range(3):
        wixsim.wix(
            "POST",
            f"/ecom/v1/orders/{order['id']}/activities/add",
            instance_id=site.instance_id,
            json={"orderActivities": [{"activityType": "MERCHANT_COMMENT", "merchantComment": {"message": "x"}}]},
        )
    wixsim.reset()
    provider.reset()
    assert wixsim.ecom_events() == []
    assert provider.received == []


def test_a_reset_returns_only_after_the_delivery_in_flight_landed(wixsim, provider):
    site = new_site(wixsim, webhook_url=provider.base_url + "/held")
    wixsim.settings(spi_timeout_seconds=5)
    order = wixsim.ecom_checkout(site.instance_id, site.location_id, [margherita_line(site, 1)])["order"]
    hold = Hold()
    provider.script("/held", Reply(200, {}, hold=hold))
    for _ in range(3):  # the first is sent and held by the provider, the other two wait behind it
        wixsim.wix(
            "POST",
            f"/ecom/v1/orders/{order['id']}/activities/add",
            instance_id=site.instance_id,
            json={"orderActivities": [{"activityType": "MERCHANT_COMMENT", "merchantComment": {"message": "x"}}]},
        )
    assert reset_while_held(wixsim, provider, hold, "/held") == 1
    provider.reset()
    wixsim.http.post("/_sim/events/drain").raise_for_status()
    assert provider.received == []  # the two queued behind it were dropped
    assert wixsim.ecom_events() == []


def test_a_failed_delivery_is_redelivered_with_the_same_signed_body(wixsim, provider):
    site = new_site(wixsim, webhook_url=provider.base_url + "/wix/webhooks")
    provider.script("/wix/webhooks", Reply(503, {}), Reply(503, {}), Reply(503, {}), Reply(200, {}))
    answer = wixsim.ecom_checkout(site.instance_id, site.location_id, [margherita_line(site, 1)])
    approved = next(e for e in answer["events"] if e["eventType"] == "wix.ecom.v1.order_approved")
    assert approved["status"] == 503
    before = len(provider.calls("/wix/webhooks"))
    again = wixsim.redeliver_ecom_event(approved["eventId"])
    assert (again["eventId"], again["eventType"], again["status"]) == (
        approved["eventId"],
        "wix.ecom.v1.order_approved",
        200,
    )
    calls = provider.calls("/wix/webhooks")
    assert len(calls) == before + 1
    first = next(c for c in calls if unwrap_event(wixsim.public_key_pem, c["body"])[1]["id"] == approved["eventId"])
    assert calls[-1]["body"] == first["body"]  # Wix's retry resends the same signed body
    assert [e["status"] for e in wixsim.ecom_events(site.instance_id) if e["eventId"] == approved["eventId"]] == [
        503,
        200,
    ]
    assert wixsim.http.post("/_sim/events/nope/redeliver").status_code == 404
    wixsim.update_site(site.instance_id, webhook_url=provider.base_url + "/fixed")  # the app's endpoint moved
    assert wixsim.redeliver_ecom_event(approved["eventId"])["url"] == provider.base_url + "/fixed"
    assert [c["body"] for c in provider.calls("/fixed")] == [first["body"]]
