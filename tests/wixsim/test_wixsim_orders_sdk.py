"""Proof by Wix's own code: a provider built with @wix/sdk and the restaurant orders module reads every
Orders v3 webhook wixsim raises (node provider in tests/wixsim/sdk_orders/)."""

from __future__ import annotations

from pathlib import Path

import httpx

from tests.wixsim.node_sdk import package_fixtures
from tests.wixsim.wixsim_test_helpers import ProviderStub, SiteInfo, item_named
from wixsim.client import WixSimClient

sdk_dir, node_provider = package_fixtures(Path(__file__).parent / "sdk_orders")


def test_the_orders_sdk_hands_each_status_change_to_its_handler(
    wixsim: WixSimClient, site: SiteInfo, provider: ProviderStub, node_provider: str
) -> None:
    wixsim.update_site(site.instance_id, webhook_url=node_provider + "/webhooks")
    soda = item_named(wixsim, site.catalog_id, "Soda")
    placed = [wixsim.checkout(site.instance_id, site.configuration_id, [{"itemId": soda["id"]}]) for _ in range(2)]
    first, second = (p["orderId"] for p in placed)
    for order_id, action in ((first, "accept"), (first, "fulfill")):  # the provider, through the Orders API
        answer = wixsim.wix("POST", f"/v3/orders/{order_id}/{action}", instance_id=site.instance_id, json={})
        assert answer.status_code == 200
    wixsim.set_order_status(second, "PENDING", emit=False)
    wixsim.set_order_status(second, "NEW")  # payment cleared
    wixsim.set_order_status(second, "CANCELED", message="Out of dough")  # the owner, in Wix's dashboard
    deliveries = wixsim.order_events(site.instance_id)
    assert [d["status"] for d in deliveries] == [200] * 4, deliveries
    seen = httpx.get(node_provider + "/seen", timeout=10).json()
    assert seen["errors"] == []
    assert [(e["type"], e["orderId"], e["status"]) for e in seen["events"]] == [
        ("order_accepted", first, "ACCEPTED"),
        ("order_fulfilled", first, "FULFILLED"),
        ("order_new_order", second, "NEW"),
        ("order_canceled", second, "CANCELED"),
    ]
    for event in seen["events"]:
        assert event["entityId"] == event["orderId"] and event["instanceId"] == site.instance_id
        assert event["eventTimeIsDate"] is True and event["updatedDateIsDate"] is True
    assert seen["events"][-1]["lastMessage"] == "Out of dough"
    assert [e["identity"]["identityType"] for e in seen["events"]] == ["APP", "APP", "WIX_USER", "WIX_USER"]
