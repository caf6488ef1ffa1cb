"""The customer's basket: what a checkout is asked to order (control API request models)."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

from pydantic import AfterValidator, Field

from wixsim.clock import new_id
from wixsim.models import StrictModel


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
