"""Build a complete WixOrder from a basket and the live catalog, totals exact with Decimal."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from wixsim.basket import Basket, BasketLine, BasketOption
from wixsim.clock import new_id, now, rfc3339
from wixsim.state import CatalogRecord, Entity, Site

CENT = Decimal("0.01")


def money(value: Decimal) -> str:
    """A decimal string with two places (half-up)."""
    return str(value.quantize(CENT, rounding=ROUND_HALF_UP))


class CheckoutError(ValueError):
    """The basket cannot be turned into an order (unknown item, unknown option...)."""


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
