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
from posbridge.wix import ecom
from posbridge.wix.errors import WixApiError

FULFILLMENT_STATUS = {
    OrderStatus.ACCEPTED: "Accepted",
    OrderStatus.READY: "Ready",
    OrderStatus.FULFILLED: "Fulfilled",
}
REPORTED = frozenset({*FULFILLMENT_STATUS, OrderStatus.CANCELED})
MAX_MESSAGE = 1000
CREATE_ROUNDS = 3  # read-then-create rounds before the queue's backoff takes over


class EcomOrderChannel(OrderChannel):
    """Reports through Wix eCommerce's Order Fulfillments and Orders APIs with the site's own token."""

    generation = Generation.NEWGEN
    REPORTED = REPORTED
    API = "eCommerce"

    def _send(self, report: StatusReport) -> None:
        ref = report.order
        try:
            if report.status == OrderStatus.CANCELED:
                self._cancel(ref, report.message[:MAX_MESSAGE] if report.message else None)
                return
            status = FULFILLMENT_STATUS[report.status]
            for round_ in range(1, CREATE_ROUNDS + 1):
                if self._update_existing(ref, status):
                    return
                try:
                    self._create(ref, status)
                    return
                except WixApiError as exc:
                    if not exc.retryable or round_ == CREATE_ROUNDS:
                        raise
        except WixApiError as exc:
            if exc.status == 428:
                self._judge_refusal(ref, exc)
                return
            raise channel_error(exc) from exc

    def _judge_refusal(self, ref: WixOrderRef, refusal: WixApiError) -> None:
        """Wix would not change the fulfillment (428, the order not APPROVED): moot if Wix cancelled it itself.

        The merchant may have cancelled the order in Wix's dashboard while the kitchen moved it (its
        webhook still on the way); an order whose payment Wix has not cleared is reported again later.
        """
        try:
            order = ecom.get_order(self.client, ref.instance_id, ref.wix_order_id)
        except WixApiError as exc:
            raise channel_error(exc) from exc
        current = order.get("status")
        if current == "CANCELED":
            return
        if current in ("INITIALIZED", "PENDING"):
            raise ChannelUnavailable(f"Wix has not approved the order yet ({current})")
        raise ChannelRefused(f"the order is {current} at Wix: {refusal.message}")

    def _update_existing(self, ref: WixOrderRef, status: str) -> bool:
        """Set the status of the order's fulfillment if it has one; whether it had."""
        existing = ecom.list_fulfillments(self.client, ref.instance_id, ref.wix_order_id)
        if not existing:
            return False
        fulfillment_id = str(existing[0].get("id"))
        ecom.update_fulfillment(self.client, ref.instance_id, ref.wix_order_id, fulfillment_id, _fulfillment(status))
        return True

    def _create(self, ref: WixOrderRef, status: str) -> None:
        """Create the order's one fulfillment, covering every line; sent once (its answer may be lost)."""
        order = ecom.get_order(self.client, ref.instance_id, ref.wix_order_id)
        lines = [{"id": line["id"], "quantity": line["quantity"]} for line in order.get("lineItems") or []]
        ecom.create_fulfillment(
            self.client, ref.instance_id, ref.wix_order_id, {"lineItems": lines, **_fulfillment(status)}
        )

    def _cancel(self, ref: WixOrderRef, message: str | None) -> None:
        try:
            ecom.cancel_order(self.client, ref.instance_id, ref.wix_order_id, message)
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
