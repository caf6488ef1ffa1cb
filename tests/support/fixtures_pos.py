"""A realistic tenant built straight through the models: merchant, location, menus, items, options, stock,
an account linked to the Wix instance, a READY configuration and the sync id map a sync would leave.

`build_pos(db, instance_id)` writes it and returns a `PosWorld` of ids; keyword overrides change the
location (`location={...}`), stock (`stock={"item-2": 3}`) and more. Every instance gets its own
merchant, so tests on one database never see each other.

The default world (Trattoria Uno, Downtown, America/New_York, open every day 11:00–23:00):
- menu "Dinner" (always, while open): Margherita 12.50 (13.00 at "Uptown"), Diavola 14.00
  (tracked stock 5), Tiramisu 7.00;
- menu "Brunch" (SAT–SUN 10:00–14:00): Pancakes 9.00;
- Margherita and Diavola take "Size" (SELECTION 1..1: Small 0.00 default, Large 3.00) and
  "Extras" (EXTRAS 0..2: Bacon 2.00, Olives 1.00, Basil 0.50).
Wix ids follow the POS ids: dish "wix-dish-item-1", choice "wix-var-var-2".
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from posbridge.store.db import Database
from posbridge.store.models import (
    Account,
    Configuration,
    ConfigurationMenu,
    Instance,
    Item,
    ItemLocationPrice,
    ItemOptionGroup,
    Location,
    Menu,
    MenuLocation,
    Merchant,
    OptionChoice,
    OptionGroup,
    Section,
    SectionItem,
    Stock,
    SyncIdMap,
    Variation,
)

# Every account needs its contact for order problems before it is ready (services/status.py).
CONTACT_ARGS = ("Ana Rossi", "ana@example.com", "+1 212 555 0100")  # link_account(contact=…)
# The same contact as the admin API's `contact` body and the CLI's `link` options.
CONTACT_JSON = dict(zip(("name", "email", "phone"), CONTACT_ARGS, strict=True))
CONTACT_OPTIONS = tuple(
    part
    for flag, value in zip(("--contact-name", "--contact-email", "--contact-phone"), CONTACT_ARGS, strict=True)
    for part in (flag, value)
)
CONTACT = dict(zip(("contact_name", "contact_email", "contact_phone"), CONTACT_ARGS, strict=True))
EVERY_DAY = ("MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN")

DEFAULT_LOCATION: dict[str, Any] = {
    "pos_id": "loc-1",
    "name": "Downtown",
    "timezone": "America/New_York",
    "address": {"street": "1 Main St", "city": "New York", "zipCode": "10001", "countryCode": "US"},
    "latitude": Decimal("40.7500"),
    "longitude": Decimal("-73.9900"),
    "hours": [{"day": day, "open": "11:00", "close": "23:00"} for day in EVERY_DAY],
    "fulfillment": ["PICKUP", "DELIVERY", "DINE_IN"],
    "delivery_radius_km": Decimal("5.0"),
    "slot_minutes": 15,
    "orders_per_slot": 20,
    "require_customer_phone": True,
    "require_customer_email": False,
}

# pos id → (name, price, menu, option groups)
ITEMS: dict[str, tuple[str, str, str, tuple[str, ...]]] = {
    "item-1": ("Margherita", "12.50", "menu-1", ("grp-size", "grp-extras")),
    "item-2": ("Diavola", "14.00", "menu-1", ("grp-size", "grp-extras")),
    "item-3": ("Tiramisu", "7.00", "menu-1", ()),
    "item-4": ("Pancakes", "9.00", "menu-2", ()),
}
VARIATIONS = {
    "var-small": "Small",
    "var-large": "Large",
    "var-bacon": "Bacon",
    "var-olives": "Olives",
    "var-basil": "Basil",
}
# pos id → (name, type, min, max, [(variation, price, default)])
GROUPS: dict[str, tuple[str, str, int, int, list[tuple[str, str, bool]]]] = {
    "grp-size": ("Size", "SELECTION", 1, 1, [("var-small", "0.00", True), ("var-large", "3.00", False)]),
    "grp-extras": (
        "Extras",
        "EXTRAS",
        0,
        2,
        [("var-bacon", "2.00", False), ("var-olives", "1.00", False), ("var-basil", "0.50", False)],
    ),
}
MENUS: dict[str, tuple[str, list[dict[str, Any]] | None]] = {
    "menu-1": ("Dinner", None),
    "menu-2": ("Brunch", [{"days": ["SAT", "SUN"], "from": "10:00", "to": "14:00"}]),
}


def dish_wix_id(item_pos_id: str) -> str:
    """The Wix catalog item id the sync gave a POS item."""
    return f"wix-dish-{item_pos_id}"


def variation_wix_id(variation_pos_id: str) -> str:
    """The Wix id the sync gave a POS variation (an option choice)."""
    return f"wix-var-{variation_pos_id}"


@dataclass
class PosWorld:
    """Ids of everything `build_pos` wrote, by POS id."""

    instance_id: str
    account_id: str
    configuration_id: str  # the Wix configuration id
    catalog_id: str
    currency: str
    merchant: int
    location: int
    location_pos_id: str
    configuration: int
    account: int
    other_location: int
    items: dict[str, int] = field(default_factory=dict)
    variations: dict[str, int] = field(default_factory=dict)
    groups: dict[str, int] = field(default_factory=dict)
    menus: dict[str, int] = field(default_factory=dict)

    def ids(self) -> dict[str, str]:
        """The keyword arguments the ordering services take to address this tenant."""
        return {
            "instance_id": self.instance_id,
            "account_id": self.account_id,
            "configuration_id": self.configuration_id,
        }


def build_pos(
    db: Database,
    instance_id: str,
    *,
    location: dict[str, Any] | None = None,
    stock: dict[str, int | None] | None = None,
    selected_menus: tuple[str, ...] = ("menu-1", "menu-2"),
    currency: str = "USD",
) -> PosWorld:
    """Write a complete, READY tenant for `instance_id` and return its ids."""
    suffix = uuid.uuid4().hex[:10]
    stock = {"item-2": 5} if stock is None else stock
    with db.transaction() as s:
        if s.get(Instance, instance_id) is None:
            s.add(Instance(id=instance_id))
        merchant = Merchant(pos_id=f"m-{suffix}", name="Trattoria Uno", currency=currency)
        s.add(merchant)
        s.flush()
        loc = Location(merchant_id=merchant.id, **{**DEFAULT_LOCATION, **(location or {})})
        uptown = Location(merchant_id=merchant.id, **{**DEFAULT_LOCATION, "pos_id": "loc-2", "name": "Uptown"})
        s.add_all([loc, uptown])
        s.flush()
        variations = {
            pid: Variation(merchant_id=merchant.id, pos_id=pid, name=name) for pid, name in VARIATIONS.items()
        }
        s.add_all(variations.values())
        s.flush()
        groups = {}
        for pid, (name, kind, low, high, choices) in GROUPS.items():
            group = OptionGroup(
                merchant_id=merchant.id, pos_id=pid, name=name, type=kind, min_choices=low, max_choices=high
            )
            group.choices = [
                OptionChoice(variation_id=variations[var].id, price=Decimal(price), is_default=default, position=i)
                for i, (var, price, default) in enumerate(choices)
            ]
            groups[pid] = group
        s.add_all(groups.values())
        menus = {}
        for pid, (name, availability) in MENUS.items():
            menus[pid] = Menu(merchant_id=merchant.id, pos_id=pid, name=name, availability=availability)
        s.add_all(menus.values())
        s.flush()
        for menu in menus.values():
            s.add_all(
                [
                    MenuLocation(menu_id=menu.id, location_id=loc.id),
                    MenuLocation(menu_id=menu.id, location_id=uptown.id),
                ]
            )
        sections = {
            pid: Section(merchant_id=merchant.id, menu_id=menu.id, pos_id=f"sec-{pid}", name=f"{menu.name} dishes")
            for pid, menu in menus.items()
        }
        s.add_all(sections.values())
        items = {}
        for position, (pid, (name, price, menu_pid, group_pids)) in enumerate(ITEMS.items()):
            item = Item(merchant_id=merchant.id, pos_id=pid, name=name, price=Decimal(price), tax_rate=Decimal("8.875"))
            item.option_groups = [ItemOptionGroup(group_id=groups[g].id, position=i) for i, g in enumerate(group_pids)]
            items[pid] = item
            s.add(item)
            s.flush()
            s.add(SectionItem(section_id=sections[menu_pid].id, item_id=item.id, position=position))
        s.add(ItemLocationPrice(item_id=items["item-1"].id, location_id=uptown.id, price=Decimal("13.00")))
        for pid, quantity in stock.items():
            s.add(Stock(item_id=items[pid].id, location_id=loc.id, quantity=quantity))
        account = Account(instance_id=instance_id, account_id=f"acct-{suffix}", merchant_id=merchant.id, **CONTACT)
        s.add(account)
        s.flush()
        catalog_id = f"cat-{suffix}"
        configuration = Configuration(
            instance_id=instance_id,
            wix_id=f"cfg-{suffix}",
            account_pk=account.id,
            location_id=loc.id,
            catalog_id=catalog_id,
            wix_location_name="Downtown (Wix)",
        )
        configuration.selected_menus = [
            ConfigurationMenu(menu_id=menus[pid].id, position=i) for i, pid in enumerate(selected_menus)
        ]
        s.add(configuration)
        s.flush()
        id_rows = [
            SyncIdMap(
                instance_id=instance_id, catalog_id=catalog_id, kind="DISH", pos_ref=item.id, wix_id=dish_wix_id(pid)
            )
            for pid, item in items.items()
        ] + [
            SyncIdMap(
                instance_id=instance_id,
                catalog_id=catalog_id,
                kind="VARIATION",
                pos_ref=v.id,
                wix_id=variation_wix_id(pid),
            )
            for pid, v in variations.items()
        ]
        s.add_all(id_rows)
        return PosWorld(
            instance_id=instance_id,
            account_id=account.account_id,
            configuration_id=configuration.wix_id,
            catalog_id=catalog_id,
            currency=currency,
            merchant=merchant.id,
            location=loc.id,
            location_pos_id=loc.pos_id,
            configuration=configuration.id,
            account=account.id,
            other_location=uptown.id,
            items={pid: item.id for pid, item in items.items()},
            variations={pid: v.id for pid, v in variations.items()},
            groups={pid: g.id for pid, g in groups.items()},
            menus={pid: m.id for pid, m in menus.items()},
        )
