# Vendored verbatim from ../shared/tools/genmenu.py so tests and benchmarks run from any checkout.
#!/usr/bin/env python3
"""Write a realistic merchant menu document (format posbridge.menu/1) of a chosen size.

    genmenu.py --items 2000 --locations 3 --seed 7 > menu.json

Deterministic for a given seed. Standard library only.
"""

import argparse
import json
import random
import sys
from decimal import Decimal

DAYS = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"]
SECTIONS = [
    "Starters",
    "Salads",
    "Soups",
    "Pizza",
    "Pasta",
    "Burgers",
    "Bowls",
    "Sandwiches",
    "Grill",
    "Seafood",
    "Curries",
    "Noodles",
    "Tacos",
    "Sides",
    "Kids",
    "Desserts",
    "Coffee",
    "Tea",
    "Soft Drinks",
    "Beer",
    "Wine",
    "Cocktails",
    "Breakfast",
    "Brunch",
]
NOUNS = [
    "Margherita",
    "Carbonara",
    "Caesar",
    "Tom Yum",
    "Pad Thai",
    "Bibimbap",
    "Falafel",
    "Shawarma",
    "Ramen",
    "Pho",
    "Burrito",
    "Quesadilla",
    "Risotto",
    "Lasagna",
    "Gnocchi",
    "Paella",
    "Tikka Masala",
    "Korma",
    "Poke",
    "Club",
    "Reuben",
    "Cheeseburger",
    "Wings",
    "Nachos",
    "Tiramisu",
    "Cheesecake",
    "Brownie",
    "Latte",
    "Espresso",
    "Lemonade",
]
ADJECTIVES = [
    "Classic",
    "Spicy",
    "Smoky",
    "Garden",
    "House",
    "Truffle",
    "Crispy",
    "Grilled",
    "Roasted",
    "Sweet Chili",
    "Garlic",
    "Lemon Herb",
    "Double",
    "Vegan",
    "Chef's",
]
LABELS = ["vegetarian", "vegan", "spicy", "gluten-free", "new", "popular", "contains-nuts"]
CITIES = [
    ("New York", "10001", 40.75, -73.99, "America/New_York"),
    ("Chicago", "60601", 41.88, -87.62, "America/Chicago"),
    ("Austin", "73301", 30.27, -97.74, "America/Chicago"),
    ("Seattle", "98101", 47.61, -122.33, "America/Los_Angeles"),
]


def money(rng, lo, hi):
    return str((Decimal(rng.randint(lo * 4, hi * 4)) / 4).quantize(Decimal("0.01")))


def build(items, locations, menus, seed):
    rng = random.Random(seed)
    locs = []
    for n in range(locations):
        city, zip_code, lat, lon, tz = CITIES[n % len(CITIES)]
        locs.append(
            {
                "id": f"loc-{n + 1}",
                "name": f"{city} #{n // len(CITIES) + 1}",
                "timezone": tz,
                "address": {
                    "street": f"{100 + n} Main St",
                    "city": city,
                    "zipCode": zip_code,
                    "countryCode": "US",
                    "latitude": lat,
                    "longitude": lon,
                },
                "hours": [{"day": d, "open": "00:00", "close": "24:00"} for d in DAYS],
                "fulfillment": ["PICKUP", "DELIVERY", "DINE_IN"],
                "deliveryRadiusKm": 5.0,
                "slotMinutes": 15,
                "ordersPerSlot": 1000,
                "requireCustomerPhone": True,
                "requireCustomerEmail": False,
            }
        )
    variations = [
        {"id": f"var-{k}", "name": name}
        for k, name in enumerate(
            [
                "Small",
                "Medium",
                "Large",
                "Extra cheese",
                "Bacon",
                "Avocado",
                "Mushrooms",
                "Olives",
                "Jalapeños",
                "Extra shot",
                "Oat milk",
                "No onions",
                "No tomato",
                "No sauce",
                "Gluten-free base",
                "Side salad",
                "Fries",
                "Sweet potato fries",
            ],
            start=1,
        )
    ]
    groups = [
        {
            "id": "grp-size",
            "name": "Size",
            "type": "SELECTION",
            "min": 1,
            "max": 1,
            "defaults": ["var-2"],
            "choices": [
                {"variation": "var-1", "price": "0"},
                {"variation": "var-2", "price": "2.00"},
                {"variation": "var-3", "price": "4.00"},
            ],
        },
        {
            "id": "grp-extras",
            "name": "Extras",
            "type": "EXTRAS",
            "min": 0,
            "max": 3,
            "defaults": [],
            "choices": [{"variation": f"var-{k}", "price": money(rng, 1, 3)} for k in range(4, 10)],
        },
        {
            "id": "grp-remove",
            "name": "Remove",
            "type": "DESELECTION",
            "min": 0,
            "max": 3,
            "defaults": [],
            "choices": [{"variation": f"var-{k}", "price": "0"} for k in (12, 13, 14)],
        },
        {
            "id": "grp-side",
            "name": "Choose a side",
            "type": "SELECTION",
            "min": 1,
            "max": 1,
            "defaults": ["var-17"],
            "choices": [
                {"variation": "var-16", "price": "0"},
                {"variation": "var-17", "price": "0"},
                {"variation": "var-18", "price": "1.50"},
            ],
        },
    ]
    all_items = []
    for n in range(items):
        name = f"{rng.choice(ADJECTIVES)} {rng.choice(NOUNS)} {n + 1}"
        option_groups = [g["id"] for g in groups if rng.random() < 0.35]
        item = {
            "id": f"item-{n + 1}",
            "name": name,
            "description": f"{name} made fresh to order.",
            "price": money(rng, 3, 32),
            "taxRate": "8.875",
            "labels": rng.sample(LABELS, rng.randint(0, 2)),
            "imageUrl": f"https://images.example.com/items/{n + 1}.jpg",
            "optionGroups": option_groups,
            "acceptSpecialRequest": rng.random() < 0.8,
        }
        if locations > 1 and rng.random() < 0.2:
            item["locationPrices"] = {"loc-2": money(rng, 3, 34)}
        if rng.random() < 0.1:
            item["stock"] = {"loc-1": rng.randint(0, 50)}
        all_items.append(item)
    menu_docs = []
    per_menu = max(1, -(-items // menus))
    for m in range(menus):
        chunk = all_items[m * per_menu : (m + 1) * per_menu]
        section_count = max(1, min(len(SECTIONS), len(chunk) // 25 or 1))
        sections = [
            {
                "id": f"sec-{m + 1}-{s + 1}",
                "name": SECTIONS[(m * 7 + s) % len(SECTIONS)],
                "description": "",
                "items": [],
            }
            for s in range(section_count)
        ]
        for k, item in enumerate(chunk):
            sections[k % section_count]["items"].append(item["id"])
        menu = {
            "id": f"menu-{m + 1}",
            "name": ["All Day", "Lunch", "Dinner", "Drinks", "Brunch"][m % 5],
            "description": "",
            "locations": [loc["id"] for loc in locs],
            "sections": sections,
        }
        if m == 1:
            menu["availability"] = [{"days": DAYS[1:6], "from": "11:00", "to": "15:00"}]
        menu_docs.append(menu)
    return {
        "format": "posbridge.menu/1",
        "merchant": {"id": f"merchant-{seed}", "name": "Trattoria Uno", "currency": "USD"},
        "locations": locs,
        "menus": menu_docs,
        "items": all_items,
        "optionGroups": groups,
        "variations": variations,
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=200)
    parser.add_argument("--locations", type=int, default=2)
    parser.add_argument("--menus", type=int, default=2)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    json.dump(build(args.items, args.locations, args.menus, args.seed), sys.stdout, indent=1)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
