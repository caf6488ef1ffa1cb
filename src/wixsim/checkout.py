"""A customer checkout: build a complete WixOrder from the live catalog, then Validate and Create."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Annotated, Any

from pydantic import AfterValidator, Field

from wixsim import spi_caller
from wixsim.clock import new_id, now, rfc3339
from wixsim.models import StrictModel
from wixsim.state import CatalogRecord, ConfigurationRecord, Entity, OrderRecord, Site, Store

CENT = Decimal("0.01")


def _decimal_string(value: str) -> str:
    try:
        number = Decimal(value)
    except InvalidOperation as exc:
        raise ValueError(f"{value!r} is not a decimal string") from exc
    if not number.is_finite():
        raise ValueError(f"{value!r} is not a finite decimal")
    return value


DecimalStr = Annotated[str, AfterValidator(_decimal_string)]
"""A money amount as a decimal string ("12.50")."""


def money(value: Decimal) -> str:
    """A decimal string with two places (half-up)."""
    return str(value.quantize(CENT, rounding=ROUND_HALF_UP))


class CheckoutError(ValueError):
    """The basket cannot be turned into an order (unknown item, unknown option...)."""


class BasketOption(StrictModel):
    """Choices picked for one dish option, by option name; choices by item id or choice name."""

    name: str
    choices: list[str] = Field(default_factory=list)


class BasketLine(StrictModel):
    """One dish in the basket. `price`/`name` are used only when itemId is not in the live catalog."""

    itemId: str
    quantity: int = Field(1, ge=1)
    comment: str | None = None
    options: list[BasketOption] = Field(default_factory=list)
    price: DecimalStr | None = None
    name: str | None = None


class BasketDiscount(StrictModel):
    """A discount applied by Wix."""

    amount: DecimalStr
    name: str = "Discount"
    type: str = "OFF_ORDER"
    id: str = Field(default_factory=new_id)
    description: str | None = None


class BasketServiceFee(StrictModel):
    """A service fee rule applied by Wix."""

    fee: DecimalStr
    name: str = "Service fee"
    tax: DecimalStr = "0"
    ruleId: str = Field(default_factory=new_id)


class Basket(StrictModel):
    """What the customer chose. Fulfillment: type PICKUP|DELIVERY|DINE_IN plus optional details."""

    instanceId: str
    configurationId: str
    accountId: str | None = None
    lines: list[BasketLine] = Field(min_length=1)
    fulfillmentType: str = Field("PICKUP", pattern="^(PICKUP|DELIVERY|DINE_IN)$")
    asap: bool = True
    promisedTime: str | None = None
    fee: DecimalStr = "0"
    address: dict[str, Any] | None = None
    externalProvider: dict[str, Any] | None = None
    curbside: str | None = None
    dineIn: dict[str, str] | None = None
    customer: dict[str, Any] | None = None
    tip: DecimalStr = "0"
    discounts: list[BasketDiscount] = Field(default_factory=list)
    loyaltyAmount: DecimalStr = "0"
    serviceFees: list[BasketServiceFee] = Field(default_factory=list)
    tax: DecimalStr | None = Field(None, description="Override the computed tax")
    comment: str | None = None
    paymentType: str = "WIX_PAYMENTS"
    paymentMethod: str | None = "CREDIT_CARD"
    paidByPosGateway: bool = False
    overrides: dict[str, Any] = Field(default_factory=dict, description="dotted.path -> value on the order")
    providerBaseUri: str | None = None
    createTimeoutSeconds: float | None = None
    maxResends: int | None = Field(None, ge=0)
    skipValidate: bool = False
    orderId: str | None = None


def _option_line(choice_id: str, price: str, cat: CatalogRecord) -> Entity:
    item = cat.live.items.get(choice_id, {})
    return {
        "quantity": 1,
        "price": money(Decimal(price)),
        "dishOptions": [],
        "catalogReference": {"catalogItemId": choice_id, "catalogItemName": item.get("name", "")},
    }


def _dish_options(dish: Entity, picked: list[BasketOption], cat: CatalogRecord) -> tuple[list[Entity], Decimal]:
    """Mirror the dish's options with the customer's selectedChoices; returns (options, unit add-on)."""
    picks = {p.name: p.choices for p in picked}
    known = {o.get("name") for o in dish.get("dishOptions", {}).get("values", [])}
    unknown = set(picks) - known
    if unknown:
        raise CheckoutError(f"dish {dish['name']!r} has no options {sorted(unknown)}")
    options: list[Entity] = []
    extra = Decimal("0")
    for option in dish.get("dishOptions", {}).get("values", []):
        kind = option["type"].lower()
        body = option[kind]
        available = [
            {
                "itemId": c["itemId"],
                "price": money(Decimal(c["price"]["value"])),
                "name": cat.live.items.get(c["itemId"], {}).get("name", ""),
            }
            for c in body.get("availableChoices", [])
        ]
        by_name = {c["name"]: c["itemId"] for c in available}
        prices = {c["itemId"]: c["price"] for c in available}
        if kind == "selection":
            defaults = [body["defaultChoice"]] if body.get("defaultChoice") else []
            low, high = 1, 1
        elif kind == "extras":
            defaults = list(body.get("defaultChoices", []))
            low, high = body.get("minChoices", 0), body.get("maxChoices", len(available))
        else:
            defaults, low, high = [], 0, len(available)
        chosen = picks.get(option["name"])
        ids = defaults if chosen is None else [by_name.get(c, c) for c in chosen]
        bad = [i for i in ids if i not in prices]
        if bad:
            raise CheckoutError(f"option {option['name']!r} has no choices {bad}")
        selected = [_option_line(i, prices[i], cat) for i in ids]
        extra += sum((Decimal(prices[i]) for i in ids), Decimal("0"))
        options.append(
            {
                "name": option["name"],
                "type": option["type"],
                "minChoices": low,
                "maxChoices": high,
                "availableChoices": available,
                "defaultChoices": defaults,
                "selectedChoices": selected,
            }
        )
    return options, extra


def _line(line: BasketLine, cat: CatalogRecord) -> tuple[Entity, Decimal, Decimal]:
    """One order line; returns (line, line total, tax rate %)."""
    dish = cat.live.items.get(line.itemId)
    if dish is None:
        if line.price is None:
            raise CheckoutError(f"item {line.itemId} is not in the live catalog (give price to send it anyway)")
        dish = {"id": line.itemId, "name": line.name or "Unknown item", "price": {"value": line.price}}
    unit = Decimal(line.price if line.price is not None else dish.get("price", {}).get("value", "0"))
    options, extra = _dish_options(dish, line.options, cat)
    reference = {"catalogItemId": line.itemId, "catalogItemName": dish.get("name", "")}
    if dish.get("description"):
        reference["catalogItemDescription"] = dish["description"]
    if dish.get("imageUrl"):
        reference["catalogItemMedia"] = dish["imageUrl"]
    out: Entity = {
        "quantity": line.quantity,
        "price": money(unit),
        "dishOptions": options,
        "catalogReference": reference,
    }
    if line.comment:
        out["comment"] = line.comment
    return out, (unit + extra) * line.quantity, Decimal(dish.get("taxRate") or "0")


def _fulfillment(basket: Basket) -> tuple[Entity, Decimal]:
    """The fulfillment (flat oneof form) and the fee it adds to totals.delivery."""
    promised = basket.promisedTime or rfc3339(now() + 30 * 60)
    out: Entity = {"type": basket.fulfillmentType, "asap": basket.asap, "promisedTime": promised}
    fee = Decimal(basket.fee)
    if basket.fulfillmentType == "DELIVERY":
        address = basket.address or {
            "formatted": "1 Main St, Springfield, US",
            "country": "US",
            "countryCode": "US",
            "city": "Springfield",
            "street": "Main St",
            "streetNumber": "1",
            "zipCode": "12345",
            "subdivision": "US-IL",
            "approximate": False,
            "location": {"latitude": 39.7817, "longitude": -89.6501},
        }
        details: Entity = {"address": address, "dropOffInfo": {"contactless": False}}
        if basket.externalProvider is not None:
            provider = {
                "id": new_id(),
                "name": "Courier",
                "customerFee": money(fee),
                "commission": "0.00",
                **basket.externalProvider,
            }
            details["externalProvider"] = provider
            fee = Decimal(provider["customerFee"])
            start = datetime.now(UTC) + timedelta(minutes=20)
            details["pickupInfo"] = {
                "windowStartTime": rfc3339(start.timestamp()),
                "windowEndTime": rfc3339(start.timestamp() + 600),
            }
        else:
            details["restaurant"] = {"fee": money(fee)}
        out["deliveryDetails"] = details
    elif basket.fulfillmentType == "PICKUP":
        pickup: Entity = {"fee": money(fee)}
        if basket.curbside is not None:
            pickup["curbside"] = {"info": basket.curbside}
        out["pickupDetails"] = pickup
    else:
        out["dineInDetails"] = basket.dineIn or {"label": "table", "value": "6"}
        fee = Decimal("0")
    return out, fee


def build_order(basket: Basket, site: Site, cat: CatalogRecord) -> Entity:
    """The complete WixOrder for a basket, totals exact to the cent, overrides applied last."""
    lines, subtotal, tax = [], Decimal("0"), Decimal("0")
    for basket_line in basket.lines:
        line, line_total, rate = _line(basket_line, cat)
        lines.append(line)
        subtotal += line_total
        tax += (line_total * rate / 100).quantize(CENT, rounding=ROUND_HALF_UP)
    fulfillment, delivery = _fulfillment(basket)
    fees = [
        {
            "ruleId": f.ruleId,
            "name": f.name,
            "fee": {"value": money(Decimal(f.fee)), "currency": site.currency},
            "tax": {"value": money(Decimal(f.tax)), "currency": site.currency},
        }
        for f in basket.serviceFees
    ]
    fee_total = sum((Decimal(f.fee) for f in basket.serviceFees), Decimal("0"))
    tax += sum((Decimal(f.tax) for f in basket.serviceFees), Decimal("0"))
    if basket.tax is not None:
        tax = Decimal(basket.tax)
    discount = sum((Decimal(d.amount) for d in basket.discounts), Decimal("0"))
    loyalty, tip = Decimal(basket.loyaltyAmount), Decimal(basket.tip)
    total = subtotal + delivery + tax + tip + fee_total - discount - loyalty
    customer = basket.customer or {
        "firstName": "Dana",
        "lastName": "Levi",
        "phone": "+15550100",
        "email": "dana@example.com",
        "contactId": new_id(),
        "visitorId": new_id(),
    }
    payment: Entity = {"type": basket.paymentType, "amount": money(total)}
    if basket.paymentMethod:
        payment["method"] = basket.paymentMethod
    if basket.paymentType != "CASH":
        payment["providerTransactionId"] = new_id()
    order: Entity = {
        "id": basket.orderId or new_id(),
        "currency": site.currency,
        "lineItems": lines,
        "discounts": [
            {
                "catalogDiscountId": d.id,
                "appliedAmount": money(Decimal(d.amount)),
                "catalogDiscountType": d.type,
                "catalogDiscountName": d.name,
                **({"catalogDiscountDescription": d.description} if d.description else {}),
            }
            for d in basket.discounts
        ],
        "fulfillment": fulfillment,
        "payments": [payment],
        "customer": customer,
        "totals": {
            "subtotal": money(subtotal),
            "total": money(total),
            "delivery": money(delivery),
            "tax": money(tax),
            "discount": money(discount),
            "loyaltySavings": money(loyalty),
            "quantity": sum(line.quantity for line in basket.lines),
            "tip": money(tip),
            "serviceFees": fees,
        },
        "loyaltyInfo": {"appliedAmount": money(loyalty)},
    }
    if basket.comment:
        order["comment"] = basket.comment
    for path, value in basket.overrides.items():
        set_path(order, path, value)
    return order


def set_path(target: Entity, path: str, value: Any) -> None:
    """Set (or, for None, delete) a dotted path such as `totals.total` or `lineItems.0.price`."""
    parts = path.split(".")
    node: Any = target
    for part in parts[:-1]:
        node = node[int(part)] if isinstance(node, list) else node.setdefault(part, {})
    last = parts[-1]
    if isinstance(node, list):
        node[int(last)] = value
    elif value is None:
        node.pop(last, None)
    else:
        node[last] = value


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
    common = {"default_base": settings.default_provider_base_uri, "base_uri": basket.providerBaseUri}
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
        ids = (listed.get("body") or {}).get("accountIds") if isinstance(listed.get("body"), dict) else None
        if listed["status"] != 200 or not ids:
            result.update(outcome="NO_ACCOUNT", listAccountIds=listed)
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
    body = last.get("body") if isinstance(last.get("body"), dict) else {}
    if last["status"] == 200 and body.get("posOrderId"):
        rec.pos_order_id = str(body["posOrderId"])
        rec.pos_location_id = body.get("posLocationId")
        result.update(posOrderId=rec.pos_order_id, posLocationId=rec.pos_location_id, outcome="CREATED")
    else:
        result["outcome"] = "CREATE_FAILED"
    rec.checkout = {k: v for k, v in result.items() if k != "order"}
    return result
