"""Prices of menu entities as Decimal: what a cart line costs before quantities and fees."""

from __future__ import annotations

from decimal import Decimal

from wixsim.newgen.model import Entity


class PricingError(ValueError):
    """The item cannot be priced as asked (wrong or missing variant, modifier not in the group)."""


def item_price(item: Entity, variant_id: str | None = None) -> Decimal:
    """The item's price: `priceInfo.price`, or the chosen variant's price when the item has price variants."""
    variants = (item.get("priceVariants") or {}).get("variants")
    if variants:
        if variant_id is None:
            raise PricingError(f"item {item['id']} is priced per variant; a variantId is required")
        for variant in variants:
            if variant["variantId"] == variant_id:
                info = variant.get("priceInfo") or {}
                return Decimal(info.get("price", variant.get("price", "0")))
        raise PricingError(f"variant {variant_id} is not a price variant of item {item['id']}")
    if variant_id is not None:
        raise PricingError(f"item {item['id']} has no price variants")
    return Decimal((item.get("priceInfo") or {}).get("price", "0"))


def modifier_charge(group: Entity, modifier_id: str) -> Decimal:
    """The surcharge of one modifier in a modifier group (`"0"` when the group gives none)."""
    for entry in group.get("modifiers", []):
        if entry["id"] == modifier_id:
            return Decimal((entry.get("additionalChargeInfo") or {}).get("additionalCharge") or "0")
    raise PricingError(f"modifier {modifier_id} is not in modifier group {group['id']}")
