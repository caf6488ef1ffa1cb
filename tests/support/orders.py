"""WixOrder dicts as Wix sends them (camelCase, money as strings), priced off the default POS world.

`order_dict(lines=[line("item-1", 2, options={"Size": ["var-large"]})])` builds an order whose
totals add up; pass `totals={...}` (merged over the computed ones) or per-line `price=` to break it.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from posbridge.orders.model import Order
from posbridge.spi.order_wire import WixOrder
from tests.support.fixtures_pos import GROUPS, ITEMS, VARIATIONS, dish_wix_id, variation_wix_id

# Friday 27 Nov 2026, 18:00 in New York (EST, UTC-5): Downtown is open, the Dinner menu is on.
FRIDAY_EVENING = datetime(2026, 11, 27, 23, 0, tzinfo=UTC)
CUSTOMER = {"firstName": "Ada", "lastName": "Lovelace", "phone": "+1 212 555 0100", "email": "ada@example.com"}
NEAR_DOWNTOWN = (40.7580, -73.9855)  # Times Square, ~1 km from Downtown

_CHOICE_PRICES = {var: price for _, _, _, _, choices in GROUPS.values() for var, price, _ in choices}


def choice(variation: str, *, price: str | None = None, quantity: int = 1) -> dict[str, Any]:
    """A selected choice (a nested line item) of the default world, at its POS price unless `price` is given."""
    return {
        "quantity": quantity,
        "price": price if price is not None else _CHOICE_PRICES.get(variation, "0.00"),
        "catalogReference": {
            "catalogItemId": variation_wix_id(variation),
            "catalogItemName": VARIATIONS.get(variation),
        },
    }


def line(
    item: str = "item-1",
    quantity: int = 1,
    *,
    price: str | None = None,
    options: dict[str, list[str | dict[str, Any]]] | None = None,
    catalog_item_id: str | None = None,
    comment: str | None = None,
) -> dict[str, Any]:
    """A line item; `options` maps option name → variation ids (or ready-made choice dicts)."""
    name, pos_price, _, _ = ITEMS.get(item, (item, "0.00", "", ()))
    dish_options = [
        {
            "name": option_name,
            "type": next((g[1] for g in GROUPS.values() if g[0] == option_name), "EXTRAS"),
            "selectedChoices": [c if isinstance(c, dict) else choice(c) for c in chosen],
        }
        for option_name, chosen in (options or {}).items()
    ]
    found: dict[str, Any] = {
        "quantity": quantity,
        "price": price if price is not None else pos_price,
        "catalogReference": {"catalogItemId": catalog_item_id or dish_wix_id(item), "catalogItemName": name},
        "dishOptions": dish_options,
    }
    if comment:
        found["comment"] = comment
    return found


def _amount(entry: dict[str, Any]) -> Decimal:
    options = sum(
        (_amount(c) for option in entry.get("dishOptions", []) for c in option.get("selectedChoices", [])),
        Decimal("0"),
    )
    return (Decimal(entry.get("price", "0")) + options) * entry.get("quantity", 1)


def order_dict(
    lines: list[dict[str, Any]] | None = None,
    *,
    order_id: str | None = None,
    currency: str = "USD",
    fulfillment_type: str = "PICKUP",
    asap: bool = True,
    promised_time: datetime | None = None,
    delivery_to: tuple[float, float] | None = NEAR_DOWNTOWN,
    customer: dict[str, Any] | None = None,
    delivery: str = "0.00",
    tax: str = "0.00",
    tip: str = "0.00",
    discount: str = "0.00",
    loyalty: str = "0.00",
    service_fees: tuple[str, ...] = (),
    totals: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A WixOrder dict whose totals add up (unless `totals` overrides them)."""
    lines = [line("item-3")] if lines is None else lines  # Tiramisu: no options to choose
    fulfillment: dict[str, Any] = {"type": fulfillment_type, "asap": asap}
    if promised_time is not None:
        fulfillment["promisedTime"] = promised_time.isoformat().replace("+00:00", "Z")
    if fulfillment_type == "DELIVERY":
        address: dict[str, Any] = {"formatted": "1500 Broadway, New York", "city": "New York", "countryCode": "US"}
        if delivery_to is not None:
            address["location"] = {"latitude": delivery_to[0], "longitude": delivery_to[1]}
        fulfillment["deliveryDetails"] = {"restaurant": {"fee": delivery}, "address": address}
    elif fulfillment_type == "PICKUP":
        fulfillment["pickupDetails"] = {}
    else:
        fulfillment["dineInDetails"] = {"label": "table", "value": "#6"}
    subtotal = sum((_amount(entry) for entry in lines), Decimal("0"))
    fees = [Decimal(fee) for fee in service_fees]
    total = subtotal + Decimal(delivery) + Decimal(tax) + Decimal(tip) + sum(fees, Decimal("0"))
    total -= Decimal(discount) + Decimal(loyalty)
    computed = {
        "subtotal": str(subtotal),
        "total": str(total),
        "delivery": delivery,
        "tax": tax,
        "tip": tip,
        "discount": discount,
        "loyaltySavings": loyalty,
        "quantity": sum(entry.get("quantity", 1) for entry in lines),
        "serviceFees": [
            {"ruleId": f"fee-{i}", "name": "Service", "fee": {"value": fee, "currency": currency}}
            for i, fee in enumerate(service_fees)
        ],
    }
    stated = {**computed, **(totals or {})}
    return {
        "id": order_id or f"wix-order-{uuid.uuid4().hex[:12]}",
        "currency": currency,
        "lineItems": lines,
        "discounts": [],
        "fulfillment": fulfillment,
        # Paid in full: the payment follows the stated total, so a test breaking the total breaks only that.
        "payments": [{"type": "WIX_PAYMENTS", "amount": str(stated.get("total", total)), "method": "card"}],
        "customer": CUSTOMER if customer is None else customer,
        "totals": stated,
    }


def parse_order(raw: dict[str, Any]) -> Order:
    """A WixOrder dict parsed as the SPI edge does: the wire model, then the domain's order."""
    return WixOrder.model_validate(raw).to_order()


def wix_order(lines: list[dict[str, Any]] | None = None, **kwargs: Any) -> Order:
    """`order_dict` parsed as the SPI edge does (`parse_order`)."""
    return parse_order(order_dict(lines, **kwargs))


__all__ = ["CUSTOMER", "FRIDAY_EVENING", "NEAR_DOWNTOWN", "choice", "line", "order_dict", "parse_order", "wix_order"]
