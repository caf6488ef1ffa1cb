"""Proof by Wix's own code: the eCom SDK packages drive wixsim, and a provider built with @wix/sdk
receives wixsim's Validations calls and every eCom webhook (node tests in tests/wixsim/sdk_ecom/)."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from tests.wixsim.ecom_helpers import EcomSite, margherita_line, new_site
from tests.wixsim.node_sdk import node_env, package_fixtures, run_node
from wixsim.client import WixSimClient

SDK_DIR = Path(__file__).parent / "sdk_ecom"
ALL_EVENTS = {
    "order_created",
    "order_approved",
    "order_canceled",
    "order_updated",
    "order_payment_status_updated",
    "order_fulfilled",
    "fulfillments_updated",
}


sdk_dir, node_provider = package_fixtures(SDK_DIR)


def two_orders(wixsim: WixSimClient, site: EcomSite) -> tuple[str, str]:
    return tuple(  # type: ignore[return-value]
        wixsim.ecom_checkout(site.instance_id, site.location_id, [margherita_line(site)])["orderId"] for _ in range(2)
    )


@pytest.mark.parametrize(
    ("form", "orders_prefix", "fulfillments_prefix"),
    [
        ("wixapis", "/ecom/v1/orders", "/ecom/v1/fulfillments"),
        ("custom", "/_api/ecom-orders/v1/orders", "/_api/fulfillments/v1/fulfillments"),
    ],
)
def test_orders_and_fulfillments_packages_drive_wixsim(wixsim, sdk_dir, form, orders_prefix, fulfillments_prefix):
    site = new_site(wixsim)
    order_id, cancel_id = two_orders(wixsim, site)
    wixsim.clear_request_log()
    env = node_env(wixsim, WIX_INSTANCE_ID=site.instance_id, ORDER_ID=order_id, CANCEL_ORDER_ID=cancel_id)
    run = run_node(sdk_dir, env, "orders.mjs", form)
    assert run.returncode == 0, run.stderr
    assert '"missing":"ORDER_NOT_FOUND"' in run.stdout
    calls = [e for e in wixsim.request_log()["requests"] if e["endpoint"] != "token"]
    assert {e["endpoint"] for e in calls} == {
        "ecom.getOrder",
        "ecom.searchOrders",
        "ecom.addActivities",
        "ecom.createFulfillment",
        "ecom.updateFulfillment",
        "ecom.listFulfillmentsForSingleOrder",
        "ecom.deleteFulfillment",
        "ecom.cancelOrder",
        "ecom.bulkCreateFulfillments",
    }
    for call in calls:
        prefix = fulfillments_prefix if "Fulfillment" in call["endpoint"] else orders_prefix
        assert call["path"].startswith(prefix), call["path"]
        assert call["instanceId"] == site.instance_id
    assert wixsim.request_counts()["token"] >= 1
    assert wixsim.order(cancel_id)["order"]["status"] == "CANCELED"
    activities = wixsim.order(order_id)["order"]["activities"]
    comments = [a["merchantComment"]["message"] for a in activities if a["activityType"] == "MERCHANT_COMMENT"]
    assert comments == ["Sent to the kitchen"]
    assert [a["activityType"] for a in activities][-2:] == ["ORDER_FULFILLED", "ORDER_NOT_FULFILLED"]


def test_sdk_provider_gets_validations_and_every_event(wixsim, node_provider):
    site = new_site(
        wixsim, validations_base_uri=node_provider + "/validations", webhook_url=node_provider + "/webhooks"
    )
    card = wixsim.ecom_checkout(site.instance_id, site.location_id, [margherita_line(site, 2)])
    assert card["outcome"] == "APPROVED", card["validations"]
    first_line = card["order"]["lineItems"][0]["id"]
    [warning] = card["validations"]["violations"]
    assert warning["severity"] == "WARNING"
    assert warning["target"] == {"lineItem": {"name": "LINE_ITEM_DEFAULT", "id": first_line}}
    blocked = wixsim.ecom_checkout(site.instance_id, site.location_id, [margherita_line(site, 6)])
    assert blocked["outcome"] == "BLOCKED"
    assert blocked["validations"]["violations"][0]["description"] == "At most 5 items"
    cash = wixsim.ecom_checkout(site.instance_id, site.location_id, [margherita_line(site, 1)], payment="CASH")
    wixsim.ecom_mark_paid(cash["orderId"])
    created = wixsim.wix(
        "POST",
        f"/ecom/v1/fulfillments/orders/{card['orderId']}/create-fulfillment",
        instance_id=site.instance_id,
        json={"fulfillment": {"lineItems": [{"id": first_line}], "status": "Accepted"}},
    )
    assert created.status_code == 200
    cancel = wixsim.wix(
        "POST",
        f"/ecom/v1/orders/{cash['orderId']}/cancel",
        instance_id=site.instance_id,
        json={"customMessage": "Sorry"},
    )
    assert cancel.status_code == 200
    wixsim.ecom_refund(cash["orderId"])
    deliveries = wixsim.ecom_events(site.instance_id)
    assert deliveries and all(d["status"] == 200 for d in deliveries), deliveries
    seen = httpx.get(node_provider + "/seen", timeout=10).json()
    assert seen["errors"] == []
    assert {e["type"] for e in seen["events"]} == ALL_EVENTS
    assert len(seen["events"]) == len(deliveries)
    for event in seen["events"]:
        assert event["instanceId"] == site.instance_id
        assert event["eventTimeIsDate"] is True
        if event["type"] != "fulfillments_updated":
            assert event["orderId"] == event["entityId"]
            assert event["createdDateIsDate"] is True
    by_type = {e["type"]: e for e in seen["events"]}
    assert by_type["order_canceled"]["customMessage"] == "Sorry"
    assert by_type["order_fulfilled"]["newFulfillmentStatus"] == "FULFILLED"
    assert by_type["fulfillments_updated"]["statuses"] == ["Accepted"]
    assert by_type["order_created"]["status"] == "INITIALIZED"
    assert seen["events"][0]["identity"]["identityType"] == "ANONYMOUS_VISITOR"
    assert len(seen["validations"]) == 3
    first = seen["validations"][0]
    assert first["metadata"]["instanceId"] == site.instance_id
    assert first["request"]["sourceInfo"]["source"] == "CHECKOUT"
    sdk_line = first["request"]["validationInfo"]["lineItems"][0]
    assert sdk_line["_id"] == first_line
    assert sdk_line["catalogReference"]["appId"] == "9a5d83fd-8570-482e-81ab-cfa88942ee60"
