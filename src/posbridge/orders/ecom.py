"""The new generation's way back: kitchen progress as ONE fulfillment per eCommerce order, a cancel through eCom.

Accepted, Ready and Fulfilled are the statuses of a single fulfillment covering every line of the
order (created at the first report, updated after); a cancel is eCommerce's Cancel Order. Wix is
read before each write (the order's fulfillments), so a repeated report finds its fulfillment
already there and only updates it: harmless when repeated. The create itself is never resent
blindly: when its answer is lost (a 5xx, a timeout, a cut connection) Wix may have made the
fulfillment, so the order's fulfillments are read again before another create.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from posbridge.orders.channel import (
    ChannelRefused,
    ChannelUnavailable,
    Generation,
    OrderChannel,
    StatusReport,
    WixOrderRef,
)
from posbridge.orders.legacy import channel_error
from posbridge.orders.model import OrderStatus
from posbridge.wix.errors import WixApiError

FULFILLMENT_STATUS = {
    OrderStatus.ACCEPTED: "Accepted",
    OrderStatus.READY: "Ready",
    OrderStatus.FULFILLED: "Fulfilled",
}
REPORTED = frozenset({*FULFILLMENT_STATUS, OrderStatus.CANCELED})
ORDERS, FULFILLMENTS = "/ecom/v1/orders", "/ecom/v1/fulfillments"
MAX_MESSAGE = 1000
CREATE_ROUNDS = 3  # read-then-create rounds before the queue's backoff takes over


class EcomOrderChannel(OrderChannel):
    """Reports through Wix eCommerce's Order Fulfillments and Orders APIs with the site's own token."""

    generation = Generation.NEWGEN
    REPORTED = REPORTED
    API = "eCommerce"

    def _send(self, report: StatusReport) -> None:
        ref = report.order
        order_path = quote(ref.wix_order_id, safe="")
        try:
            if report.status == OrderStatus.CANCELED:
                body: dict[str, Any] = {"id": ref.wix_order_id}
                if report.message:
                    body["customMessage"] = report.message[:MAX_MESSAGE]
                self._cancel(ref.instance_id, order_path, body)
                return
            status = FULFILLMENT_STATUS[report.status]
            for round_ in range(1, CREATE_ROUNDS + 1):
                if self._update_existing(ref, order_path, status):
                    return
                try:
                    self._create(ref, order_path, status)
                    return
                except WixApiError as exc:
                    if not exc.retryable or round_ == CREATE_ROUNDS:
                        raise
        except WixApiError as exc:
            if exc.status == 428:
                self._judge_refusal(ref, order_path, exc)
                return
            raise channel_error(exc) from exc

    def _judge_refusal(self, ref: WixOrderRef, order_path: str, refusal: WixApiError) -> None:
        """Wix would not change the fulfillment (428, the order not APPROVED): moot if Wix cancelled it itself.

        The merchant may have cancelled the order in Wix's dashboard while the kitchen moved it (its
        webhook still on the way); an order whose payment Wix has not cleared is reported again later.
        """
        try:
            order = self.client.call_api(ref.instance_id, "GET", f"{ORDERS}/{order_path}").get("order") or {}
        except WixApiError as exc:
            raise channel_error(exc) from exc
        current = order.get("status")
        if current == "CANCELED":
            return
        if current in ("INITIALIZED", "PENDING"):
            raise ChannelUnavailable(f"Wix has not approved the order yet ({current})")
        raise ChannelRefused(f"the order is {current} at Wix: {refusal.message}")

    def _update_existing(self, ref: WixOrderRef, order_path: str, status: str) -> bool:
        """Set the status of the order's fulfillment if it has one; whether it had."""
        listed = self.client.call_api(ref.instance_id, "GET", f"{FULFILLMENTS}/orders/{order_path}")
        existing = ((listed.get("orderWithFulfillments") or {}).get("fulfillments")) or []
        if not existing:
            return False
        fulfillment_id = quote(str(existing[0].get("id")), safe="")
        self.client.call_api(
            ref.instance_id,
            "PATCH",
            f"{FULFILLMENTS}/{fulfillment_id}/orders/{order_path}",
            json={"orderId": ref.wix_order_id, "fulfillment": _fulfillment(status)},
        )
        return True

    def _create(self, ref: WixOrderRef, order_path: str, status: str) -> None:
        """Create the order's one fulfillment, covering every line; sent once (its answer may be lost)."""
        order = self.client.call_api(ref.instance_id, "GET", f"{ORDERS}/{order_path}").get("order") or {}
        lines = [{"id": line["id"], "quantity": line["quantity"]} for line in order.get("lineItems") or []]
        self.client.call_api(
            ref.instance_id,
            "POST",
            f"{FULFILLMENTS}/orders/{order_path}/create-fulfillment",
            json={"orderId": ref.wix_order_id, "fulfillment": {"lineItems": lines, **_fulfillment(status)}},
            at_most_once=True,
        )

    def _cancel(self, instance_id: str, order_path: str, body: dict[str, Any]) -> None:
        try:
            self.client.call_api(instance_id, "POST", f"{ORDERS}/{order_path}/cancel", json=body)
        except WixApiError as exc:
            if exc.status == 428:  # already cancelled is a no-op at Wix; anything else Wix will not allow
                raise ChannelRefused(str(exc)) from exc
            raise


def _fulfillment(status: str) -> dict[str, Any]:
    """The fulfillment's status fields; a done one is also `completed` (what eCom's fulfillmentStatus reads)."""
    return (
        {"status": status, "completed": True}
        if status == FULFILLMENT_STATUS[OrderStatus.FULFILLED]
        else {"status": status}
    )
