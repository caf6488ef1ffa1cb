"""First sync of a realistic menu, reproduced field for field in the live catalog."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from posbridge.pos.pricing import price_at
from posbridge.store.models import Item, Menu, Section, SectionItem
from tests.sync.world import SyncWorld


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
                assert wix_section["itemIds"]["values"] == [ids[("DISH", i)].wix_id for i in entries]
        for item in items.values():
            dish = live["items"][ids[("DISH", item.id)].wix_id]
            assert dish["name"] == item.name
            assert Decimal(dish["price"]["value"]) == price_at(item, world.location)
            assert Decimal(dish["taxRate"]) == item.tax_rate
            assert dish["labels"]["values"] == list(item.labels)
            assert dish["imageUrl"] == item.image_url
            assert dish["acceptSpecialRequest"] == item.accept_special_request
    assert sync.summary["counts"]["DISH"]["create"] == len(items)
