"""Telling Wix an order's new status (product.md §3 step 7): the outbound handler of `ORDER_STATUS` jobs.

The order channel of the order's Wix generation does the telling (`orders.channel.OrderChannel`;
legacy sites: Restaurants Orders v3 accept / fulfill / cancel, which is harmless when repeated and
judges a refused transition by Wix's own status). The Wix client already retries each call within
the instance's rate budget (Retry-After, else backoff); what still fails comes back to the outbound
queue: `TryLater` when Wix may take it later, `GiveUp` (needs attention) when it never will.
"""

from __future__ import annotations

from posbridge.config import Settings
from posbridge.orders.channel import (
    ChannelRefused,
    ChannelUnauthorized,
    ChannelUnavailable,
    OrderChannel,
    StatusReport,
    WixOrderRef,
)
from posbridge.orders.channels import channel_class
from posbridge.orders.model import OrderStatus, StatusActor
from posbridge.services import attention, outbound
from posbridge.services.outbound import GiveUp, Job, TryLater, generation_of
from posbridge.store.db import Database
from posbridge.store.models import OrderRow
from posbridge.wix.client import WixClient


def channel_for(order: OrderRow, client: WixClient) -> OrderChannel:
    """The order channel an order came through: eCommerce for a new-generation pairing, else the SPI's."""
    return channel_class(generation_of(order))(client)


def push_status(db: Database, settings: Settings, job: Job, client: WixClient) -> None:
    """Report one status change to Wix; raises TryLater or GiveUp."""
    with db.transaction(write=False) as session:
        order = session.get(OrderRow, job.order_id) if job.order_id is not None else None
        if order is None:
            raise GiveUp("the order is gone", actions=(attention.RESOLVE,))
        channel = channel_for(order, client)
        ref = WixOrderRef(instance_id=order.instance_id, wix_order_id=order.wix_order_id)
    message = job.payload.get("message")
    report = StatusReport(
        order=ref,
        status=OrderStatus(str(job.payload.get("status"))),
        actor=StatusActor(str(job.payload.get("actor") or StatusActor.SYSTEM)),
        message=message if isinstance(message, str) else None,
    )
    if not channel.reports(report.status):
        return  # queued for another channel's sake; nothing Wix models here
    try:
        channel.report(report)
    except ChannelUnavailable as exc:
        raise TryLater(f"Wix did not take it: {exc}", retry_after=exc.retry_after) from exc
    except ChannelUnauthorized as exc:
        raise GiveUp(f"Wix does not let posbridge manage this site's orders: {exc}") from exc
    except ChannelRefused as exc:
        raise GiveUp(f"Wix refused it: {exc}", actions=(attention.RETRY, attention.CANCEL)) from exc


outbound.register(outbound.ORDER_STATUS, push_status, attention_kind=attention.STATUS_PUSH_FAILED)
