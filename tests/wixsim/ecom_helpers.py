"""Shared data and helpers for wixsim's eCommerce tests (module name kept unique across the test tree)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import jwt

from wixsim.client import WixSimClient

ECOM_MENU = {
    "menus": [
        {
            "name": "Dinner",
            "sections": [
                {
                    "name": "Pizza",
                    "items": [
                        {
                            "name": "Margherita",
                            "price": "12.50",
                            "options": [
                                {
                                    "name": "Size",
                                    "type": "SELECTION",
                                    "default": ["Small"],
                                    "choices": [{"name": "Small", "price": "0"}, {"name": "Large", "price": "3.00"}],
                                },
                                {
                                    "name": "Toppings",
                                    "type": "EXTRAS",
                                    "maxChoices": 2,
                                    "choices": [
                                        {"name": "Olives", "price": "1.25"},
                                        {"name": "Basil", "price": "0.50"},
                                        {"name": "Truffle", "price": "9.00", "inStock": False},
                                    ],
                                },
                            ],
                        },
                        {
                            "name": "Lasagna",
                            "variants": [{"name": "Half", "price": "9.00"}, {"name": "Full", "price": "15.00"}],
                        },
                        {"name": "Soda", "price": "2.00", "acceptSpecialRequests": False},
                        {"name": "Tiramisu", "price": "6.00", "inStock": False},
                    ],
                }
            ],
        }
    ]
}


@dataclass
class EcomSite:
    """A new-generation site with ids by name."""

    raw: dict[str, Any]
    tree: dict[str, Any]

    @property
    def instance_id(self) -> str:
        """The app instance id."""
        return self.raw["instanceId"]

    @property
    def location_id(self) -> str:
        """The default business location (the one with the menu)."""
        return self.raw["locations"][0]["id"]

    @property
    def operation_id(self) -> str:
        """The default location's operation."""
        return self.raw["locations"][0]["operationId"]

    def menu(self) -> dict[str, Any]:
        """The seeded menu (nested)."""
        return self.tree["locations"][0]["menus"][0]

    def item(self, name: str) -> dict[str, Any]:
        """A seeded item by name (nested form)."""
        return next(i for s in self.menu()["sections"] for i in s["items"] if i["name"] == name)

    def group(self, item: str, name: str) -> dict[str, Any]:
        """A modifier group of an item by name."""
        return next(g for g in self.item(item)["modifierGroups"] if g["name"] == name)

    def modifier(self, item: str, group: str, name: str) -> str:
        """A modifier id by names."""
        return next(m["id"] for m in self.group(item, group)["modifiers"] if m["name"] == name)


def new_site(wixsim: WixSimClient, **spec: Any) -> EcomSite:
    """A new-generation site seeded with ECOM_MENU."""
    raw = wixsim.create_site(generation="new", menus=ECOM_MENU, **spec)
    return EcomSite(raw, wixsim.site_menus(raw["instanceId"]))


def margherita_line(site: EcomSite, quantity: int = 2) -> dict[str, Any]:
    """A large Margherita with olives (unit 12.50 + 3.00 + 1.25 = 16.75)."""
    return {
        "itemId": site.item("Margherita")["id"],
        "quantity": quantity,
        "modifiers": [
            {
                "groupId": site.group("Margherita", "Size")["id"],
                "modifierIds": [site.modifier("Margherita", "Size", "Large")],
            },
            {
                "groupId": site.group("Margherita", "Toppings")["id"],
                "modifierIds": [site.modifier("Margherita", "Toppings", "Olives")],
            },
        ],
        "specialRequests": "well done",
    }


def unwrap_event(public_key_pem: str, body: bytes) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """Decode like `webhooks.process`: verify, parse data -> envelope -> (event data, identity)."""
    claims = jwt.decode(body.decode(), public_key_pem, algorithms=["RS256"])
    envelope = json.loads(claims["data"])
    return envelope, json.loads(envelope["data"]), json.loads(envelope["identity"])
