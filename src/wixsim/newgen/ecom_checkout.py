"""A customer checkout on a new-generation site: cart from the live menus, Validations plugin, the eCom order."""

from __future__ import annotations

import copy
from datetime import datetime
from decimal import Decimal
from typing import Any, Literal

from pydantic import AwareDatetime, Field, model_validator

from wixsim import spi_caller
from wixsim.basket import DecimalStr
from wixsim.clock import new_id, now, rfc3339
from wixsim.errors import WixApiError
from wixsim.models import StrictModel
from wixsim.newgen import ecom_events as ev
from wixsim.newgen import ecom_model as model
from wixsim.newgen.access import newgen_site
from wixsim.newgen.ecom_state import RESTAURANTS_APP_ID, EcomOrderRecord, Entity, price, round_money
from wixsim.newgen.model import NewGenSite
from wixsim.newgen.pricing import PricingError, item_price, modifier_charge
from wixsim.order_builder import CheckoutError, set_path
from wixsim.runtime import Sim
from wixsim.state import Site

VALIDATIONS_PATH = "/v1/get-violations"
VALIDATIONS_EXTENSION_TYPE = "ECOM_VALIDATIONS"
MAX_SPECIAL_REQUESTS = 1000
FIRST_ORDER_NUMBER = 10001


class CartModifiers(StrictModel):
    """Modifiers picked in one of the item's modifier groups."""

    groupId: str
    modifierIds: list[str] = Field(default_factory=list)


class CartLine(StrictModel):
    """One menu item in the cart."""

    itemId: str
    quantity: int = Field(1, ge=1, le=100000)
    variantId: str | None = None
    modifiers: list[CartModifiers] | None = Field(
        None, description="Groups not listed take their pre-selected modifiers"
    )
    specialRequests: str | None = Field(None, max_length=MAX_SPECIAL_REQUESTS)


class TimeSlot(StrictModel):
    """When a scheduled order is wanted (RFC 3339 instants with a zone, `from` before `to`)."""

    from_: AwareDatetime = Field(alias="from")
    to: AwareDatetime

    @model_validator(mode="after")
    def _ordered(self) -> TimeSlot:
        if self.to <= self.from_:
            raise ValueError("timeSlot.to must be after timeSlot.from")
        return self

    def wire(self) -> Entity:
        """{from, to} as eCom writes them (UTC, milliseconds)."""
        return {"from": rfc3339(self.from_.timestamp()), "to": rfc3339(self.to.timestamp())}


class NewGenCheckout(StrictModel):
    """A checkout on a new-generation site (see docs/wixsim.md)."""

    instanceId: str
    locationId: str
    lines: list[CartLine] = Field(min_length=1, max_length=300)
    fulfillment: Literal["PICKUP", "DELIVERY"] = "PICKUP"
    payment: Literal["CARD", "CASH"] = "CARD"
    buyer: dict[str, Any] | None = Field(None, description="{email, firstName, lastName, phone, contactId}")
    address: dict[str, Any] | None = Field(None, description="Delivery address (eCom Address)")
    buyerNote: str | None = None
    tax: DecimalStr | None = Field(None, description="Tax to charge (Wix's tax settings are not emulated)")
    overrides: dict[str, Any] = Field(default_factory=dict, description="dotted.path -> value on the order")
    validationsBaseUri: str | None = Field(None, description="Override the site's Validations plugin base URI")
    timeSlot: TimeSlot | None = Field(None, description="A scheduled order's slot; ASAP when absent")


def _offer(ng: NewGenSite, location_id: str, operation_id: str, item_id: str) -> tuple[str, str]:
    """(menuId, sectionId) of the first visible menu of the location, ordered online, that offers the item."""
    for menu in ng.menus.menus.values():
        if menu.get("businessLocationId") != location_id or menu.get("visible") is False:
            continue
        settings = ng.ordering_settings.get(menu["id"])
        if settings is not None and (
            settings.get("operationId") not in (None, operation_id) or settings.get("onlineOrderingEnabled") is False
        ):
            continue
        for section_id in menu.get("sectionIds", []):
            section = ng.menus.sections.get(section_id) or {}
            if section.get("visible") is not False and item_id in section.get("itemIds", []):
                return menu["id"], section_id
    raise CheckoutError(f"item {item_id} is not on any menu ordered online at location {location_id}")


def _picked(line: CartLine, item: Entity, ng: NewGenSite) -> list[tuple[Entity, list[str]]]:
    """Each of the item's modifier groups with the modifiers picked (pre-selected where not named), rules checked."""
    groups = [
        ng.menus.modifier_groups[g["id"]] for g in item.get("modifierGroups", []) if g["id"] in ng.menus.modifier_groups
    ]
    named = {m.groupId: m.modifierIds for m in line.modifiers or []}
    unknown = set(named) - {g["id"] for g in groups}
    if unknown:
        raise CheckoutError(f"modifier groups {sorted(unknown)} are not groups of item {item['id']}")
    out = []
    for group in groups:
        ids = named.get(group["id"])
        if ids is None:
            ids = [m["id"] for m in group.get("modifiers", []) if m.get("preSelected")]
        if len(set(ids)) != len(ids):
            raise CheckoutError(f"a modifier is picked twice in group {group['id']}")
        rule = group.get("rule") or {}
        low = rule.get("minSelections") or (1 if rule.get("required") else 0)
        high = rule.get("maxSelections")
        if len(ids) < low or (high is not None and len(ids) > high):
            raise CheckoutError(f"group {group.get('name')!r} takes {low}..{high} modifiers, got {len(ids)}")
        for modifier_id in ids:
            entity = ng.menus.modifiers.get(modifier_id) or {}
            if entity.get("inStock") is False:
                raise CheckoutError(f"modifier {entity.get('name')!r} is out of stock")
        out.append((group, ids))
    return out


def _line(line: CartLine, ng: NewGenSite, location_id: str, operation_id: str, currency: str) -> tuple[Entity, Decimal]:
    item = ng.menus.items.get(line.itemId)
    if item is None:
        raise CheckoutError(f"unknown item {line.itemId}")
    if item.get("visible") is False or not (item.get("orderSettings") or {}).get("inStock", True):
        raise CheckoutError(f"item {item.get('name')!r} is not available (hidden or out of stock)")
    menu_id, section_id = _offer(ng, location_id, operation_id, line.itemId)
    try:
        unit = item_price(item, line.variantId)
        picked = [(group, [(m, modifier_charge(group, m)) for m in ids]) for group, ids in _picked(line, item, ng)]
    except PricingError as err:
        raise CheckoutError(str(err)) from err
    if line.specialRequests and not (item.get("orderSettings") or {}).get("acceptSpecialRequests", True):
        raise CheckoutError(f"item {item.get('name')!r} does not accept special requests")
    options: Entity = {"operationId": operation_id, "menuId": menu_id, "sectionId": section_id}
    descriptions: list[Entity] = []
    if line.variantId is not None:
        options["priceVariant"] = {"id": line.variantId, "formattedPrice": price(unit, currency)["formattedAmount"]}
        variant_name = (ng.menus.variants.get(line.variantId) or {}).get("name", "")
        descriptions.append(
            {
                "name": {"original": "Size", "translated": "Size"},
                "plainText": {"original": variant_name, "translated": variant_name},
            }
        )
    options["modifierGroups"] = [
        {
            "id": group["id"],
            "modifiers": [
                {"id": m, "price": str(charge), "formattedPrice": price(charge, currency)["formattedAmount"]}
                for m, charge in chosen
            ],
        }
        for group, chosen in picked
        if chosen
    ]
    if line.specialRequests:
        options["specialRequests"] = line.specialRequests
    typed_groups = [
        {
            "id": group["id"],
            "name": {"original": group.get("name", ""), "translated": group.get("name", "")},
            "modifiers": [
                {
                    "id": m,
                    "quantity": 1,
                    "label": {
                        "original": (ng.menus.modifiers.get(m) or {}).get("name", ""),
                        "translated": (ng.menus.modifiers.get(m) or {}).get("name", ""),
                    },
                    "price": price(charge, currency),
                }
                for m, charge in chosen
            ],
        }
        for group, chosen in picked
        if chosen
    ]
    unit += sum((charge for _group, chosen in picked for _m, charge in chosen), Decimal("0"))
    # Rounded per line, so the subtotal is exactly the sum of the line prices a reader sees.
    total = round_money(unit * line.quantity, currency)
    name = item.get("name", "")
    return (
        {
            "id": new_id(),
            "productName": {"original": name, "translated": name},
            "catalogReference": {"catalogItemId": item["id"], "appId": RESTAURANTS_APP_ID, "options": options},
            "quantity": line.quantity,
            "totalDiscount": price(Decimal("0"), currency),
            "descriptionLines": descriptions,
            "physicalProperties": {"shippable": False},
            "itemType": {"preset": "PHYSICAL"},
            "price": price(unit, currency),
            "priceBeforeDiscounts": price(unit, currency),
            "totalPriceBeforeTax": price(total, currency),
            "totalPriceAfterTax": price(total, currency),
            "lineItemPrice": price(total, currency),
            "taxDetails": {"taxRate": "0", "totalTax": price(Decimal("0"), currency)},
            "priceUndetermined": False,
            "fixedQuantity": False,
            "modifierGroups": typed_groups,
        },
        total,
    )


def _method(ng: NewGenSite, operation: Entity, kind: str) -> Entity:
    for method_id in operation.get("fulfillmentIds", []):
        method = ng.fulfillment_methods.get(method_id) or {}
        if method.get("type") == kind and method.get("enabled", True):
            return method
    raise CheckoutError(f"location offers no enabled {kind} fulfillment method")


def _shipping(
    basket: NewGenCheckout, ng: NewGenSite, operation: Entity, subtotal: Decimal, currency: str
) -> tuple[Entity, Decimal]:
    method = _method(ng, operation, basket.fulfillment)
    minimum = Decimal(method.get("minOrderPrice") or "0")
    if subtotal < minimum:
        raise CheckoutError(f"subtotal {subtotal} is below the {basket.fulfillment} minimum of {minimum}")
    fee = Decimal(method.get("fee") or "0")
    threshold = (method.get("deliveryOptions") or {}).get("freeDeliveryThreshold")
    if threshold is not None and subtotal >= Decimal(threshold):
        fee = Decimal("0")
    location = ng.locations[basket.locationId]
    info: Entity = {
        "code": method["id"],
        "title": method.get("name") or basket.fulfillment.title(),
        "cost": {"price": price(fee, currency)},
    }
    if basket.fulfillment == "PICKUP":
        address = {k: v for k, v in (location.get("address") or {}).items() if k != "formattedAddress"}
        info["logistics"] = {"pickupDetails": {"address": address, "pickupMethod": "STORE_PICKUP"}}
        instructions = (method.get("pickupOptions") or {}).get("instructions")
        if instructions:
            info["logistics"]["instructions"] = instructions
    else:
        if not basket.address:
            raise CheckoutError("a DELIVERY checkout needs an address")
        info["logistics"] = {"shippingDestination": {"address": basket.address, "contactDetails": _contact(basket)}}
    minutes = (method.get("deliveryOptions") or {}).get("deliveryTimeInMinutes")
    if basket.timeSlot is not None:
        info["logistics"]["deliveryTimeSlot"] = basket.timeSlot.wire()
    elif minutes:
        info["logistics"]["deliveryTime"] = f"{minutes} min"
    return info, fee


def _ordering_open(operation: Entity) -> bool:
    """ENABLED, or PAUSED_UNTIL a time that has passed."""
    status = operation.get("onlineOrderingStatus")
    if status in (None, "ENABLED"):
        return True
    if status != "PAUSED_UNTIL":
        return False
    until = (operation.get("pausedUntilOptions") or {}).get("time")
    try:
        moment = datetime.fromisoformat(str(until).replace("Z", "+00:00"))
    except ValueError:
        return False
    return moment.tzinfo is not None and moment.timestamp() <= now()


def _contact(basket: NewGenCheckout) -> Entity:
    buyer = basket.buyer or {}
    return {k: buyer[k] for k in ("firstName", "lastName", "phone") if buyer.get(k) is not None}


def build_order(basket: NewGenCheckout, site: Site, ng: NewGenSite, number: int) -> Entity:
    """The eCom order (INITIALIZED, unpaid) for a cart, from the live menus and prices."""
    if basket.locationId not in ng.locations:
        raise CheckoutError(f"unknown business location {basket.locationId}")
    operation = next((o for o in ng.operations.values() if o.get("businessLocationId") == basket.locationId), None)
    if operation is None:
        raise CheckoutError(f"location {basket.locationId} has no operation")
    if not _ordering_open(operation):
        raise CheckoutError(f"online ordering is {operation['onlineOrderingStatus']} at this location")
    currency = site.currency
    lines, subtotal = [], Decimal("0")
    for line in basket.lines:
        built, total = _line(line, ng, basket.locationId, operation["id"], currency)
        lines.append(built)
        subtotal += total
    shipping, fee = _shipping(basket, ng, operation, subtotal, currency)
    tax = Decimal(basket.tax or "0")
    total = subtotal + fee + tax
    visitor_id = new_id()
    buyer = basket.buyer or {}
    stamp = rfc3339()
    order: Entity = {
        "id": new_id(),
        "number": str(number),
        "createdDate": stamp,
        "updatedDate": stamp,
        "lineItems": lines,
        "buyerInfo": {
            "visitorId": visitor_id,
            "contactId": buyer.get("contactId") or new_id(),
            "email": buyer.get("email", "buyer@example.com"),
        },
        "paymentStatus": "NOT_PAID",
        "fulfillmentStatus": "NOT_FULFILLED",
        "buyerLanguage": "en",
        "weightUnit": "KG",
        "currency": currency,
        "taxIncludedInPrices": False,
        "siteLanguage": "en",
        "priceSummary": {
            "subtotal": price(subtotal, currency),
            "shipping": price(fee, currency),
            "tax": price(tax, currency),
            "discount": price(Decimal("0"), currency),
            "total": price(total, currency),
            "totalAdditionalFees": price(Decimal("0"), currency),
        },
        "billingInfo": {"contactDetails": _contact(basket)},
        "shippingInfo": shipping,
        "status": "INITIALIZED",
        "archived": False,
        "taxSummary": {"totalTax": price(tax, currency)},
        "appliedDiscounts": [],
        "activities": [model.activity("ORDER_PLACED")],
        "attributionSource": "UNSPECIFIED",
        "createdBy": {"visitorId": visitor_id},
        "channelInfo": {"type": "WEB"},
        "seenByAHuman": False,
        "checkoutId": new_id(),
        "purchaseFlowId": new_id(),
        "customFields": [],
        "balanceSummary": {
            "balance": price(total, currency),
            "paid": price(Decimal("0"), currency),
            "refunded": price(Decimal("0"), currency),
        },
        "additionalFees": [],
        "businessLocation": {"id": basket.locationId, "name": ng.locations[basket.locationId].get("name", "")},
        "fulfillmentStatusesAggregate": {"statuses": []},
        "imported": False,
    }
    if basket.buyerNote:
        order["buyerNote"] = basket.buyerNote
    payment_option = "FULL_PAYMENT_OFFLINE" if basket.payment == "CASH" else "FULL_PAYMENT_ONLINE"
    for built in lines:
        built["paymentOption"] = payment_option
    for path, value in basket.overrides.items():
        set_path(order, path, value)
    return order


def validation_request(order: Entity) -> Entity:
    """GetValidationViolationsRequest for the order about to be placed (source CHECKOUT)."""
    shipping = order.get("shippingInfo") or {}
    lines = [
        {
            "id": line["id"],
            "quantity": line["quantity"],
            "catalogReference": copy.deepcopy(line["catalogReference"]),
            "productName": copy.deepcopy(line["productName"]),
            "price": copy.deepcopy(line["price"]),
            "physicalProperties": {"shippable": "shippingDestination" in (shipping.get("logistics") or {})},
            "itemType": {"preset": "PHYSICAL"},
        }
        for line in order["lineItems"]
    ]
    summary = order["priceSummary"]
    info: Entity = {
        "buyerDetails": {"email": order["buyerInfo"].get("email"), "contactId": order["buyerInfo"].get("contactId")},
        "lineItems": lines,
        "weightUnit": order.get("weightUnit", "KG"),
        "priceSummary": {
            "subtotal": summary["subtotal"],
            "shipping": summary["shipping"],
            "tax": summary["tax"],
            "discount": summary["discount"],
            "total": summary["total"],
            "additionalFees": summary["totalAdditionalFees"],
        },
        "billingInfo": copy.deepcopy(order.get("billingInfo") or {}),
        "shippingInfo": {
            "selectedCarrierServiceOption": {
                "code": shipping.get("code", ""),
                "title": shipping.get("title", ""),
                "cost": {"price": copy.deepcopy((shipping.get("cost") or {}).get("price"))},
                **(
                    {"deliveryTimeSlot": copy.deepcopy(shipping["logistics"]["deliveryTimeSlot"])}
                    if "deliveryTimeSlot" in (shipping.get("logistics") or {})
                    else {}
                ),
            }
        },
        "appliedDiscounts": [],
        "currency": order.get("currency"),
        "conversionCurrency": order.get("currency"),
        "paymentCurrency": order.get("currency"),
    }
    destination = (shipping.get("logistics") or {}).get("shippingDestination")
    if destination:
        info["shippingAddress"] = copy.deepcopy(destination)
    return {"sourceInfo": {"source": "CHECKOUT", "purchaseFlowId": order["purchaseFlowId"]}, "validationInfo": info}


async def call_validations(sim: Sim, site: Site, base: str, request: Entity, visitor_id: str) -> Entity:
    """POST the signed request to `{base}/v1/get-violations`; a failed call blocks nothing (fail open)."""
    store = sim.store
    meta = spi_caller.metadata(
        site, identity=spi_caller.visitor_identity(visitor_id), app_extension_type=VALIDATIONS_EXTENSION_TYPE
    )
    body, headers, token = spi_caller.build_envelope(store.data.app, request, meta)
    url = base.rstrip("/") + VALIDATIONS_PATH
    result = await spi_caller.post(url, body, headers, store.data.settings.spi_timeout_seconds)
    answer = result.get("body")
    violations = answer.get("violations") if result["status"] == 200 and isinstance(answer, dict) else None
    violations = [v for v in violations or [] if isinstance(v, dict)]
    result.update(
        request=request,
        metadata=meta,
        jwt=token,
        violations=violations,
        blocking=any(v.get("severity") == "ERROR" for v in violations),
        failedOpen=result["status"] != 200,
    )
    return result


async def run_checkout(sim: Sim, basket: NewGenCheckout) -> Entity:
    """Cart -> Validations -> order INITIALIZED -> (paid) -> APPROVED, with every event delivered before answering."""
    store = sim.store
    site = store.site(basket.instanceId)
    ng = newgen_site(store, basket.instanceId)
    mine = [r for r in store.data.ecom_orders.values() if r.instance_id == site.instance_id]
    order = build_order(basket, site, ng, FIRST_ORDER_NUMBER + len(mine))
    result: Entity = {"orderId": None, "order": None, "validations": None, "events": []}
    base = basket.validationsBaseUri or site.validations_base_uri
    if base:
        result["validations"] = await call_validations(
            sim, site, base, validation_request(order), order["buyerInfo"]["visitorId"]
        )
        if result["validations"]["blocking"]:
            result["outcome"] = "BLOCKED"
            return result
    rec = EcomOrderRecord(id=order["id"], instance_id=site.instance_id, order=order)
    rec.history.append({"at": order["createdDate"], "what": "status", "source": "checkout", "status": "INITIALIZED"})
    store.data.ecom_orders[rec.id] = rec
    events: model.Events = [ev.order_created(rec)]
    if basket.payment == "CARD":
        model._set_balance(rec, Decimal(order["priceSummary"]["total"]["amount"]), Decimal("0"))
        rec.order["activities"].append(model.activity("ORDER_PAID"))
        # Within checkout the payment shows as payment_status_updated only (no separate order_updated).
        events += model.set_payment_status(rec, "PAID", "checkout")[:1]
    events += model.approve(rec, "checkout")
    ids = sim.ecom_outbox.raise_events(store, rec, events, spi_caller.visitor_identity(order["buyerInfo"]["visitorId"]))
    result["events"] = await sim.ecom_outbox.drain(store, ids)
    rec.checkout = {"validations": result["validations"], "payment": basket.payment, "fulfillment": basket.fulfillment}
    result.update(orderId=rec.id, order=copy.deepcopy(rec.order), outcome="APPROVED")
    return result


def not_new_generation(instance_id: str) -> WixApiError:
    """The error for a control call about eCom orders on a legacy site."""
    return WixApiError(428, "NOT_NEW_GENERATION", f"site {instance_id} is not a new-generation site")
