"""The legacy order channel: orders arrive through the POS SPI, progress goes back through Orders v3.

Hand-over: `spi/handlers.py` (Validate Order, Create Order) parses the WixOrder into the domain's
order and calls the ordering service. Way back: Restaurants Orders v3 models NEW → ACCEPTED →
FULFILLED and CANCELED (wix-apis.md §4); READY is the kitchen's own step and is not reported.
"""

from __future__ import annotations

from posbridge.orders.channel import (
    ChannelRefused,
    ChannelUnauthorized,
    ChannelUnavailable,
    Generation,
    OrderChannel,
    StatusReport,
)
from posbridge.orders.model import OrderStatus
from posbridge.wix import orders
from posbridge.wix.errors import WixApiError

REPORTED = frozenset({OrderStatus.ACCEPTED, OrderStatus.FULFILLED, OrderStatus.CANCELED})
# Wix statuses at which a report of the key's status is moot: Wix is there already, or past it.
_SETTLED = {
    OrderStatus.ACCEPTED: {"ACCEPTED", "FULFILLED", "CANCELED"},
    OrderStatus.FULFILLED: {"FULFILLED", "CANCELED"},
    OrderStatus.CANCELED: {"CANCELED"},
}


class LegacyOrderChannel(OrderChannel):
    """Reports through Wix's Restaurants Orders v3 API with the site's own token (`WixClient`)."""

    generation = Generation.LEGACY
    REPORTED = REPORTED
    API = "Orders v3"

    def _send(self, report: StatusReport) -> None:
        ref = report.order
        try:
            if report.status == OrderStatus.ACCEPTED:
                orders.accept_order(self.client, ref.instance_id, ref.wix_order_id, report.message)
            elif report.status == OrderStatus.FULFILLED:
                orders.fulfill_order(self.client, ref.instance_id, ref.wix_order_id)
            else:
                orders.cancel_order(self.client, ref.instance_id, ref.wix_order_id, report.message)
        except WixApiError as exc:
            if exc.status == 428:
                self._judge_refusal(report, exc)
                return
            raise channel_error(exc) from exc

    def _judge_refusal(self, report: StatusReport, refusal: WixApiError) -> None:
        """Wix refused the transition (428): harmless when Wix is already there or past it, else say why.

        Someone may have moved the order in Wix's dashboard, or Wix cancelled it; an order still
        PENDING at Wix (payment not cleared) is reported again later.
        """
        ref = report.order
        try:
            current = orders.get_order(self.client, ref.instance_id, ref.wix_order_id).get("status")
        except WixApiError as exc:
            raise channel_error(exc) from exc
        if current in _SETTLED[report.status]:
            return
        if current == "PENDING":
            raise ChannelUnavailable("Wix has not cleared the order's payment yet (PENDING)")
        raise ChannelRefused(f"the order is {current} at Wix and cannot become {report.status}: {refusal.message}")


def channel_error(exc: WixApiError) -> ChannelUnavailable | ChannelRefused | ChannelUnauthorized:
    """Wix's answer by failure mode: try again, never again, or an operator's turn."""
    if exc.retryable:
        return ChannelUnavailable(str(exc))
    if exc.status in (401, 403):
        return ChannelUnauthorized(str(exc))
    return ChannelRefused(str(exc))
