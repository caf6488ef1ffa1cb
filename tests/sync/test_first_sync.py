"""First sync of a realistic menu, reproduced field for field in the live catalog."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from posbridge.pos.pricing import price_at
from posbridge.pos.stock import available_quantity, stock_rows
from posbridge.store.models import Item, Menu, OptionGroup, Section, SectionItem
from posbridge.store.types import utcnow
from tests.sync.world import SyncWorld

pytestmark = pytest.mark.all_backends  # the database backend matters here


def test_first_sync_publishes_the_menu_field_for_field(world: SyncWorld) -> None:
    sync = world.sync()
    assert sync.status == "SYNCED", (sync.failure_code, sync.failure_reason)
    live = world.live()
    ids = world.id_map()
    with world.db.transaction(write=False) as session:
        menus = list(session.scalars(select(Menu).where(Menu.id.in_(world.menus))))
        items = {
            i.id: i
            for i in session.scalars(
                select(Item).where(Item.merchant_id == world.merchant).options(selectinload(Item.location_prices))
            )
        }
        for menu in menus:
            wix_menu = live["menus"][ids[("MENU", menu.id)].wix_id]
            assert wix_menu["name"] == menu.name and not wix_menu["archived"]
            sections = list(
                session.scalars(select(Section).where(Section.menu_id == menu.id).order_by(Section.position))
            )
            assert wix_menu["sectionIds"]["values"] == [ids[("SECTION", s.id)].wix_id for s in sections]
            for section in sections:
                entries = session.scalars(
                    select(SectionItem.item_id)
                    .where(SectionItem.section_id == section.id)
                    .order_by(SectionItem.position)
                )
                wix_section = live["sections"][ids[("SECTION", section.id)].wix_id]
                assert wix_section["name"] == section.name
                assert wix_section["itemIds"]["values"] == [ids[("DISH", i)].wix_id for i in entries]
        groups = {
            g.id: g
            for g in session.scalars(
                select(OptionGroup)
                .where(OptionGroup.merchant_id == world.merchant)
                .options(selectinload(OptionGroup.choices))
            )
        }
        stock = stock_rows(session, world.location, items)
        wix_to_variation = {row.wix_id: ref for (kind, ref), row in ids.items() if kind == "VARIATION"}
        for ref in wix_to_variation.values():
            assert live["items"][ids[("VARIATION", ref)].wix_id]["type"] == "VARIATION"
        for item in items.values():
            dish = live["items"][ids[("DISH", item.id)].wix_id]
            assert dish["name"] == item.name and dish["description"] == item.description
            assert Decimal(dish["price"]["value"]) == price_at(item, world.location)
            assert Decimal(dish["taxRate"]) == item.tax_rate
            assert dish["labels"]["values"] == list(item.labels)
            assert dish["imageUrl"] == item.image_url
            assert dish["acceptSpecialRequest"] == item.accept_special_request
            assert dish["inStock"] == (available_quantity(stock.get(item.id), utcnow()) != 0)
            assert [o["name"] for o in dish.get("dishOptions", {}).get("values", [])] == [
                groups[link.group_id].name for link in item.option_groups
            ]
            for option, link in zip(dish.get("dishOptions", {}).get("values", []), item.option_groups, strict=True):
                assert option_summary(option, wix_to_variation) == group_summary(groups[link.group_id])
        lunch = next(m for m in menus if m.availability)
        wix_lunch = live["menus"][ids[("MENU", lunch.id)].wix_id]
        assert wix_lunch["visibilityCriteria"]["availability"]["periods"] == [
            {"openDay": d, "openTime": "11:00", "closeDay": d, "closeTime": "15:00"}
            for d in ("MON", "TUE", "WED", "THU", "FRI")
        ]
        assert wix_lunch["visibilityCriteria"]["fulfillmentTypes"] == ["DELIVERY", "PICKUP_OR_DINE_IN"]
    assert sync.summary["counts"]["DISH"]["create"] == len(items)
    assert sync.summary["calls"]["createDraftCatalog"] == 1 and sync.summary["calls"]["publishDraftCatalog"] == 1


def option_summary(option: dict[str, Any], wix_to_variation: dict[str, int]) -> tuple[Any, ...]:
    """A Wix dish option reduced to comparable facts, choices named by POS variation."""
    kind = option["type"].lower()
    body = option[kind]
    choices = tuple((wix_to_variation[c["itemId"]], Decimal(c["price"]["value"])) for c in body["availableChoices"])
    if kind == "selection":
        defaults: tuple[int, ...] = (wix_to_variation[body["defaultChoice"]],) if body.get("defaultChoice") else ()
    else:
        defaults = tuple(wix_to_variation[d] for d in body.get("defaultChoices", []))
    bounds = (body.get("minChoices"), body.get("maxChoices")) if kind == "extras" else (None, None)
    return option["type"], choices, defaults, bounds


def group_summary(group: OptionGroup) -> tuple[Any, ...]:
    """The POS option group reduced to the same facts."""
    choices = tuple((c.variation_id, c.price) for c in group.choices)
    defaults = tuple(c.variation_id for c in group.choices if c.is_default)
    bounds = (group.min_choices, group.max_choices) if group.type == "EXTRAS" else (None, None)
    return group.type, choices, defaults, bounds
