"""Shared data and helpers for wixsim's tests (module name kept unique across the test tree)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from wixsim.client import WixSimClient

MENU_SPEC = {
    "menus": [
        {
            "name": "Existing Wix menu",
            "sections": [
                {
                    "name": "Pizza",
                    "items": [
                        {
                            "name": "Margherita",
                            "price": "12.50",
                            "taxRate": "10",
                            "description": "Tomato, mozzarella",
                            "options": [
                                {
                                    "name": "Size",
                                    "type": "SELECTION",
                                    "default": ["Small"],
                                    "choices": [
                                        {"name": "Small", "price": "0"},
                                        {"name": "Large", "price": "3.00"},
                                    ],
                                },
                                {
                                    "name": "Toppings",
                                    "type": "EXTRAS",
                                    "maxChoices": 2,
                                    "choices": [
                                        {"name": "Olives", "price": "1.25"},
                                        {"name": "Basil", "price": "0.50"},
                                    ],
                                },
                            ],
                        },
                        {"name": "Soda", "price": "2.00"},
                    ],
                }
            ],
        }
    ]
}


@dataclass
class SiteInfo:
    """A created site with handy ids."""

    raw: dict[str, Any]

    @property
    def instance_id(self) -> str:
        """The app instance id."""
        return self.raw["instanceId"]

    @property
    def configuration_id(self) -> str:
        """The first configuration's id."""
        return self.raw["configurations"][0]["id"]

    @property
    def catalog_id(self) -> str:
        """The first configuration's catalog id."""
        return self.raw["configurations"][0]["catalogId"]


def item_named(wixsim: WixSimClient, catalog_id: str, name: str) -> dict[str, Any]:
    """The live item with this name."""
    return next(i for i in wixsim.live_catalog(catalog_id)["items"] if i["name"] == name)
