"""A customer checkout: Validate Order, record the order at Wix (NEW), Create Order with Wix's resends."""

from __future__ import annotations

import copy
from typing import Any, TypedDict

from wixsim import spi_caller
from wixsim.basket import Basket
from wixsim.clock import new_id, rfc3339
from wixsim.order_builder import CheckoutError, build_order
from wixsim.state import ConfigurationRecord, Entity, OrderRecord, Store

__all__ = ["Basket", "CheckoutError", "run_checkout"]


class _Bases(TypedDict):
    """The provider base URIs every SPI call of a checkout shares (keyword arguments of `spi_caller.call`)."""

    default_base: str | None
    base_uri: str | None


def wix_order(order: Entity, conf: ConfigurationRecord) -> Entity:
    """The Restaurants Orders v3 view of a WixOrder that Wix has recorded."""
    stamp = rfc3339()
    out = copy.deepcopy(order)
    out.update(
        {
            "locationId": conf.location_id,
            "createdDate": stamp,
            "updatedDate": stamp,
            "status": "NEW",
            "activities": [],
            "channelInfo": {"type": "WEB"},
        }
    )
    return out


async def run_checkout(store: Store, basket: Basket) -> dict[str, Any]:
    """Validate Order, record the order (NEW), Create Order with Wix's resends; report every answer."""
    settings = store.data.settings
    site = store.site(basket.instanceId)
    conf = store.configuration(basket.instanceId, basket.configurationId)
    cat = store.catalog(basket.instanceId, conf.catalog_id)
    order = build_order(basket, site, cat)
    app = store.data.app
    meta_identity = spi_caller.visitor_identity(order["customer"].get("visitorId") or new_id())
    common: _Bases = {"default_base": settings.default_provider_base_uri, "base_uri": basket.providerBaseUri}
    result: dict[str, Any] = {
        "orderId": order["id"],
        "order": order,
        "validate": None,
        "create": None,
        "resendCount": 0,
        "posOrderId": None,
        "posLocationId": None,
    }
    account_id = basket.accountId
    if account_id is None:
        listed = await spi_caller.call(
            app, site, "list-account-ids", {}, timeout=settings.spi_timeout_seconds, **common
        )
        result["listAccountIds"] = listed
        ids = (listed.get("body") or {}).get("accountIds") if isinstance(listed.get("body"), dict) else None
        if listed["status"] != 200 or not ids:
            result["outcome"] = "NO_ACCOUNT"
            return result
        account_id = ids[0]
    result["accountId"] = account_id
    request = {"accountId": account_id, "configurationId": conf.id, "order": order}
    if not basket.skipValidate:
        meta = spi_caller.metadata(site, identity=meta_identity)
        validated = await spi_caller.call(
            app, site, "validate-order", request, timeout=settings.spi_timeout_seconds, meta=meta, **common
        )
        result["validate"] = validated
        if validated["status"] != 200:
            result["outcome"] = "VALIDATION_FAILED"
            return result
    rec = OrderRecord(
        id=order["id"], instance_id=site.instance_id, configuration_id=conf.id, order=wix_order(order, conf)
    )
    rec.status_history.append({"status": "NEW", "at": rec.order["createdDate"], "source": "wix", "message": None})
    store.data.orders[rec.id] = rec
    create_request = {**request, "paidByPosGateway": basket.paidByPosGateway}
    timeout = basket.createTimeoutSeconds or settings.create_order_timeout_seconds
    max_resends = settings.create_order_max_resends if basket.maxResends is None else basket.maxResends
    meta = spi_caller.metadata(site, identity=meta_identity)
    attempts = []
    for _attempt in range(max_resends + 1):
        answer = await spi_caller.call(app, site, "create-order", create_request, timeout=timeout, meta=meta, **common)
        attempts.append(answer)
        if answer["error"] is None and (answer["status"] or 0) < 500:
            break
    result["resendCount"] = len(attempts) - 1
    last = attempts[-1]
    result["create"] = {**last, "attempts": attempts}
    body = last.get("body")
    body = body if isinstance(body, dict) else {}
    if last["status"] == 200 and body.get("posOrderId"):
        rec.pos_order_id = str(body["posOrderId"])
        rec.pos_location_id = body.get("posLocationId")
        result.update(posOrderId=rec.pos_order_id, posLocationId=rec.pos_location_id, outcome="CREATED")
    else:
        result["outcome"] = "CREATE_FAILED"
    rec.checkout = {k: v for k, v in result.items() if k != "order"}
    return result
