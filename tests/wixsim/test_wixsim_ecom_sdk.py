"""Proof by Wix's own code: the eCom SDK packages drive wixsim, and a provider built with @wix/sdk
receives wixsim's Validations calls and every eCom webhook (node tests in tests/wixsim/sdk_ecom/)."""

from __future__ import annotations

import fcntl
import os
import queue
import shutil
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.wixsim.ecom_helpers import EcomSite, margherita_line, new_site
from wixsim.client import WixSimClient

SDK_DIR = Path(__file__).parent / "sdk_ecom"
NPM_TIMEOUT_SECONDS = 600
NODE_TIMEOUT_SECONDS = 120
START_TIMEOUT_SECONDS = 30
ALL_EVENTS = {
    "order_created",
    "order_approved",
    "order_canceled",
    "order_updated",
    "order_payment_status_updated",
    "order_fulfilled",
    "fulfillments_updated",
}


@pytest.fixture(scope="session")
def sdk_dir() -> Path:
    """tests/wixsim/sdk_ecom with its locked npm dependencies installed (npm ci, once, under a lock)."""
    assert shutil.which("node") and shutil.which("npm"), "node and npm are needed for the SDK tests"
    with open(SDK_DIR / ".install.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (SDK_DIR / "node_modules" / "@wix" / "sdk").is_dir():
            subprocess.run(
                ["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"],
                cwd=SDK_DIR,
                check=True,
                timeout=NPM_TIMEOUT_SECONDS,
            )
    return SDK_DIR


def node_env(wixsim: WixSimClient, **extra: str) -> dict[str, str]:
    return dict(
        os.environ,
        WIXSIM_URL=wixsim.base_url,
        WIX_APP_ID=wixsim.app_id,
        WIX_APP_SECRET=wixsim.app_secret,
        WIX_PUBLIC_KEY=wixsim.public_key_pem,
        **extra,
    )


@pytest.fixture
def node_provider(sdk_dir: Path, wixsim: WixSimClient) -> Iterator[str]:
    """provider.mjs on a free port; yields its base URL and stops it after the test."""
    proc = subprocess.Popen(
        ["node", "provider.mjs"],
        cwd=sdk_dir,
        env=node_env(wixsim),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: [lines.put(line) for line in proc.stdout or []], daemon=True).start()
    try:
        first = lines.get(timeout=START_TIMEOUT_SECONDS)
        assert first.startswith("listening "), first
        yield f"http://127.0.0.1:{int(first.split()[1])}"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


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
    run = subprocess.run(
        ["node", "orders.mjs", form],
        cwd=sdk_dir,
        env=node_env(wixsim, WIX_INSTANCE_ID=site.instance_id, ORDER_ID=order_id, CANCEL_ORDER_ID=cancel_id),
        capture_output=True,
        text=True,
        timeout=NODE_TIMEOUT_SECONDS,
    )
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
