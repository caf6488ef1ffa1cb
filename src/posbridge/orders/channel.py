"""The order channel: how Wix hands an order over, and how the kitchen's progress goes back to Wix.

What differs between Wix's two generations of restaurant sites (docs/architecture.md "Order
channels"; /work/shared/spec/wix-newgen-ordering.md) sits behind this seam; the order checks, the
POS backend and the kitchen flow are shared:

- checks before payment: SPI Validate Order (legacy) | the eCommerce Validations service plugin (new);
- hand-over: SPI Create Order, Wix waiting for a POS order id | the `wix.ecom.v1.order_approved` webhook;
- an order is keyed by instance, configuration and Restaurants order id | instance and eCommerce order id;
- progress back: Orders v3 accept / fulfill / cancel | one fulfillment per order (Accepted, Ready,
  Fulfilled) and eCommerce's cancel.

The hand-over side is an adapter's job: it parses its wire form into `orders.model.Order`, and
the ordering service resolves where the order lands, as the channel names it
(`services.order_pairing`: `LegacyPairingKey`, the SPI call's account and configuration;
`BusinessLocationKey`, the eCommerce order's business location), to a `services.order_checks.Pairing`,
which is all the checks and the order write read. The way back is `OrderChannel.report`, run from
the job queue, never on a request path; `orders.channels.channel_class` picks a generation's channel.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import ClassVar

from posbridge.orders.model import OrderStatus, StatusActor
from posbridge.wix.client import WixClient

# One enum for both seams of a generation (the catalog target and this channel), re-exported here.
from posbridge.wix.generation import Generation as Generation


class ChannelError(Exception):
    """Wix did not take a status report."""


class ChannelUnavailable(ChannelError):
    """Wix did not answer, throttled, or failed on its side: report again later (after `retry_after`)."""

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class ChannelRefused(ChannelError):
    """Wix refused the report for good (a transition it does not allow, an order it does not know)."""


class ChannelUnauthorized(ChannelError):
    """posbridge may not act on this site's orders (app removed, permission missing): an operator must act."""


@dataclass(frozen=True)
class WixOrderRef:
    """Which order, in Wix's terms: the site (instance) and the order's id in this channel."""

    instance_id: str
    wix_order_id: str


@dataclass(frozen=True)
class StatusReport:
    """A kitchen status change to tell Wix about."""

    order: WixOrderRef
    status: OrderStatus
    actor: StatusActor
    message: str | None = None  # what the customer reads (an accept's ETA, a cancel's reason)


class OrderChannel(ABC):
    """One generation's order channel: what it reports back to Wix and how, with the site's own token."""

    generation: Generation
    REPORTED: ClassVar[frozenset[OrderStatus]]  # the statuses Wix models in this channel
    API: ClassVar[str]  # the Wix API reports go through, as a refusal names it

    def __init__(self, client: WixClient) -> None:
        self.client = client

    @classmethod
    def reports(cls, status: OrderStatus) -> bool:
        """Whether Wix models this status in this channel (a status it does not model is never reported).

        A class method: queueing a report asks it before any Wix client exists (`orders.channels`).
        """
        return status in cls.REPORTED

    def report(self, report: StatusReport) -> None:
        """Tell Wix the order moved; raises `ChannelUnavailable`, `ChannelRefused` or `ChannelUnauthorized`.

        Must be harmless when repeated (the queue delivers at least once), must never be called for a
        status `reports` declines, and must never change posbridge's own record of the order: the
        caller records the outcome.
        """
        if not self.reports(report.status):
            raise ValueError(f"{self.API} does not model {report.status}")
        self._send(report)

    @abstractmethod
    def _send(self, report: StatusReport) -> None:
        """`report` for a status this channel models: the channel's own calls to Wix."""
        raise NotImplementedError
