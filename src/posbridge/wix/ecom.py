"""Wix eCommerce's Orders and Order Fulfillments APIs: read an order, its fulfillments, write them, cancel it.

What the new generation's order channel (`orders/ecom.py`) calls with the site's own token; the
legacy channel's counterpart is `wix/orders.py`. Ids are quoted into the path here.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from posbridge.wix.client import WixClient

ORDERS, FULFILLMENTS = "/ecom/v1/orders", "/ecom/v1/fulfillments"


def get_order(client: WixClient, instance_id: str, order_id: str) -> dict[str, Any]:
    """The order as eCommerce holds it (empty when Wix answered none)."""
    order: dict[str, Any] = client.call_api(instance_id, "GET", f"{ORDERS}/{_id(order_id)}").get("order") or {}
    return order


def list_fulfillments(client: WixClient, instance_id: str, order_id: str) -> list[dict[str, Any]]:
    """The order's fulfillments, as eCommerce lists them."""
    listed = client.call_api(instance_id, "GET", f"{FULFILLMENTS}/orders/{_id(order_id)}")
    fulfillments: list[dict[str, Any]] = ((listed.get("orderWithFulfillments") or {}).get("fulfillments")) or []
    return fulfillments


def update_fulfillment(
    client: WixClient, instance_id: str, order_id: str, fulfillment_id: str, fulfillment: dict[str, Any]
) -> None:
    """Set fields of one of the order's fulfillments."""
    client.call_api(
        instance_id,
        "PATCH",
        f"{FULFILLMENTS}/{_id(fulfillment_id)}/orders/{_id(order_id)}",
        json={"orderId": order_id, "fulfillment": fulfillment},
    )


def create_fulfillment(client: WixClient, instance_id: str, order_id: str, fulfillment: dict[str, Any]) -> None:
    """Create a fulfillment of the order; sent at most once, since Wix may have made it when the answer is lost."""
    client.call_api(
        instance_id,
        "POST",
        f"{FULFILLMENTS}/orders/{_id(order_id)}/create-fulfillment",
        json={"orderId": order_id, "fulfillment": fulfillment},
        at_most_once=True,
    )


def cancel_order(client: WixClient, instance_id: str, order_id: str, custom_message: str | None) -> None:
    """eCommerce's Cancel Order, with the message the customer is shown when there is one."""
    body: dict[str, Any] = {"id": order_id}
    if custom_message:
        body["customMessage"] = custom_message
    client.call_api(instance_id, "POST", f"{ORDERS}/{_id(order_id)}/cancel", json=body)


def _id(value: str) -> str:
    return quote(value, safe="")
