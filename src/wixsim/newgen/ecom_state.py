"""What wixsim keeps of an eCommerce order: the order, its fulfillments, history and delivered events."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from pydantic import BaseModel, Field

Entity = dict[str, Any]

RESTAURANTS_APP_ID = "9a5d83fd-8570-482e-81ab-cfa88942ee60"
"""The Wix Restaurants Orders (New) app: `catalogReference.appId` of every restaurant line item."""

CENT = Decimal("0.01")
MINOR_UNITS = {
    **dict.fromkeys(("JPY", "KRW", "CLP", "ISK", "VND", "XAF", "XOF", "UGX", "PYG", "RWF"), 0),
    **dict.fromkeys(("BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"), 3),
}
"""ISO 4217 minor units where they are not 2."""
SYMBOLS = {"USD": "$", "CAD": "CA$", "AUD": "A$", "EUR": "€", "GBP": "£", "ILS": "₪", "JPY": "¥"}


class EcomOrderRecord(BaseModel):
    """An eCom order of a new-generation site, as Wix holds it, plus what the control API shows."""

    id: str
    instance_id: str
    order: Entity
    fulfillments: list[Entity] = Field(default_factory=list)
    history: list[Entity] = Field(default_factory=list)
    events: list[Entity] = Field(default_factory=list)
    checkout: Entity | None = None
    event_sequence: int = 0


def money(value: Decimal, currency: str = "USD") -> str:
    """A decimal string with the currency's minor units (half-up): "12.50", "1500", "1.125"."""
    return str(round_money(value, currency))


def round_money(value: Decimal, currency: str) -> Decimal:
    """`value` rounded half-up to the currency's minor units."""
    return value.quantize(Decimal(1).scaleb(-MINOR_UNITS.get(currency, 2)), rounding=ROUND_HALF_UP)


def price(value: Decimal, currency: str) -> Entity:
    """eCom's Price: {amount, formattedAmount}."""
    amount = money(value, currency)
    symbol = SYMBOLS.get(currency)
    return {"amount": amount, "formattedAmount": f"{symbol}{amount}" if symbol else f"{amount} {currency}"}
