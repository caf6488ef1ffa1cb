"""Create a new-generation site: business locations, the operation group, operations, fulfillment methods."""

from __future__ import annotations

from typing import Any

from wixsim.newgen.model import Entity, NewGenSite, stamp
from wixsim.newgen.seed import seed_menus

MAX_LOCATIONS = 100
DEFAULT_TIME_ZONE = "America/New_York"


def location(name: str, index: int) -> Entity:
    """A Locations API `Location` (the first one is the site's default)."""
    loc = stamp(
        {
            "name": name,
            "description": "",
            "default": index == 0,
            "status": "ACTIVE",
            "timeZone": DEFAULT_TIME_ZONE,
            "email": f"location{index + 1}@example.com",
            "phone": f"+1 555 010 {index:04d}",
            "address": {
                "country": "US",
                "subdivision": "US-NY",
                "city": "New York",
                "postalCode": "10001",
                "streetAddress": {"number": str(100 + index), "name": "Main St", "apt": ""},
                "formattedAddress": f"{100 + index} Main St, New York, NY 10001, USA",
            },
            "businessSchedule": {"periods": [], "specialHourPeriod": []},
            "archived": False,
            "locationTypes": ["BRANCH"],
        }
    )
    # Locations report no created/updated dates.
    loc.pop("createdDate")
    loc.pop("updatedDate")
    return loc


def _fulfillment_methods(loc: Entity) -> tuple[Entity, Entity]:
    pickup = stamp(
        {
            "pickupOptions": {
                "instructions": "Ask at the counter.",
                "address": {
                    "streetAddress": loc["address"]["streetAddress"],
                    "country": loc["address"]["country"],
                    "subdivision": loc["address"]["subdivision"],
                    "city": loc["address"]["city"],
                    "postalCode": loc["address"]["postalCode"],
                    "formattedAddress": loc["address"]["formattedAddress"],
                },
            },
            "type": "PICKUP",
            "name": "Pickup",
            "enabled": True,
            "fee": "0",
            "minOrderPrice": "0",
            "businessLocationId": loc["id"],
        }
    )
    delivery = stamp(
        {
            "deliveryOptions": {"deliveryTimeInMinutes": 45, "freeDeliveryThreshold": "50.00"},
            "type": "DELIVERY",
            "name": "Delivery",
            "enabled": True,
            "fee": "5.00",
            "minOrderPrice": "10.00",
            "businessLocationId": loc["id"],
        }
    )
    return pickup, delivery


def _operation(loc: Entity, group_id: str, methods: tuple[Entity, Entity]) -> Entity:
    return stamp(
        {
            "name": f"Online ordering · {loc['name']}",
            "default": bool(loc["default"]),
            "fulfillmentIds": [m["id"] for m in methods],
            "onlineOrderingStatus": "ENABLED",
            "defaultFulfillmentType": "PICKUP",
            "orderScheduling": {
                "type": "ASAP",
                "asapOptions": {
                    "preparationTime": {"type": "MAX_TIME", "maxTimeOptions": {"timeUnit": "MINUTES", "duration": 30}},
                    "asapFutureHandlingType": "NO_FUTURE_HANDLING",
                },
            },
            "operationGroupId": group_id,
            "businessLocationId": loc["id"],
        }
    )


def build_site(
    instance_id: str, site_name: str, locations: int | list[str], menus: dict[str, Any] | list[Any] | None
) -> NewGenSite:
    """The Restaurants (New) state of a fresh site; raises ValueError on a bad spec (nothing kept)."""
    names = [f"Location {i + 1}" for i in range(locations)] if isinstance(locations, int) else list(locations)
    if not 1 <= len(names) <= MAX_LOCATIONS:
        raise ValueError(f"locations: 1 to {MAX_LOCATIONS} business locations")
    if any(not isinstance(n, str) or not 1 <= len(n) <= 150 for n in names):
        raise ValueError("locations: names are 1 to 150 characters")
    site = NewGenSite(instance_id=instance_id)
    site.operation_group = stamp({"name": site_name[:500] or "Online ordering"})
    for index, name in enumerate(names):
        loc = location(name, index)
        site.locations[loc["id"]] = loc
        methods = _fulfillment_methods(loc)
        for method in methods:
            site.fulfillment_methods[method["id"]] = method
        op = _operation(loc, site.operation_group["id"], methods)
        site.operations[op["id"]] = op
    seed_menus(site, menus)
    return site


def locations_summary(site: NewGenSite) -> list[dict[str, str]]:
    """[{id, name, operationId}] per business location, default first."""
    return [
        {"id": loc["id"], "name": loc["name"], "operationId": site.operation_of(loc["id"])["id"]}
        for loc in site.locations.values()
    ]
