"""Wix's restaurant orders API (wix-apis.md §4): read an order and move its status."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from posbridge.wix.client import WixClient

BASE = "/v3/orders"
MAX_MESSAGE = 1000  # Wix refuses longer accept/cancel messages


def get_order(client: WixClient, instance_id: str, order_id: str) -> dict[str, Any]:
    """The order as Wix holds it."""
    return _order(client.call(instance_id, "GET", f"{BASE}/{quote(order_id, safe='')}"))


def accept_order(client: WixClient, instance_id: str, order_id: str, message: str | None = None) -> dict[str, Any]:
    """NEW → ACCEPTED (repeating it is a no-op on Wix's side)."""
    return _transition(client, instance_id, order_id, "accept", message)


def cancel_order(client: WixClient, instance_id: str, order_id: str, message: str | None = None) -> dict[str, Any]:
    """NEW | ACCEPTED | FULFILLED → CANCELED."""
    return _transition(client, instance_id, order_id, "cancel", message)


def fulfill_order(client: WixClient, instance_id: str, order_id: str) -> dict[str, Any]:
    """ACCEPTED → FULFILLED."""
    return _transition(client, instance_id, order_id, "fulfill", None)


def _transition(client: WixClient, instance_id: str, order_id: str, action: str, message: str | None) -> dict[str, Any]:
    body: dict[str, Any] = {"id": order_id}
    if message:
        body["message"] = message[:MAX_MESSAGE]
    return _order(client.call(instance_id, "POST", f"{BASE}/{quote(order_id, safe='')}/{action}", json=body))


def _order(answer: dict[str, Any]) -> dict[str, Any]:
    return dict(answer.get("order") or {})
