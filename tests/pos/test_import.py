"""Importing a menu document: ids are the identity, re-imports are no-ops, changes update rows in place."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select

from posbridge.pos.importer import import_menu
from posbridge.store.db import Database
from posbridge.store.models import (
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
    Variation,
)
from tests.pos.menu_documents import generated_document, small_document

pytestmark = pytest.mark.all_backends  # the database backend matters here


def _snapshot(db: Database, merchant_pos_id: str) -> dict[str, Any]:
    """Every row of a merchant's POS data, keyed by POS id (links by POS ids), with surrogate ids and timestamps."""
    with db.transaction(write=False) as session:
        merchant = session.scalar(select(Merchant).where(Merchant.pos_id == merchant_pos_id))
        assert merchant is not None
        snap: dict[str, Any] = {"merchant": (merchant.id, merchant.name, merchant.updated_at)}
        pos = {}
        for model in (Location, Menu, Section, Item, OptionGroup, Variation):
            rows = session.scalars(select(model).where(model.merchant_id == merchant.id))
            snap[model.__name__] = {row.pos_id: row for row in rows}
            pos[model.__name__] = {row.id: row.pos_id for row in snap[model.__name__].values()}
        snap["menu_locations"] = {
            (pos["Menu"][ml.menu_id], pos["Location"][ml.location_id])
            for ml in session.scalars(select(MenuLocation).where(MenuLocation.menu_id.in_(pos["Menu"])))
        }
        snap["section_items"] = {
            (pos["Section"][si.section_id], pos["Item"][si.item_id]): si.position
            for si in session.scalars(select(SectionItem).where(SectionItem.item_id.in_(pos["Item"])))
        }
        snap["prices"] = {
            (pos["Item"][p.item_id], pos["Location"][p.location_id]): p.price
            for p in session.scalars(select(ItemLocationPrice).where(ItemLocationPrice.item_id.in_(pos["Item"])))
        }
        snap["stock"] = {
            (pos["Item"][s.item_id], pos["Location"][s.location_id]): s
            for s in session.scalars(select(Stock).where(Stock.item_id.in_(pos["Item"])))
        }
        snap["choices"] = {
            (pos["OptionGroup"][c.group_id], pos["Variation"][c.variation_id]): (c.price, c.is_default, c.position)
            for c in session.scalars(select(OptionChoice).where(OptionChoice.group_id.in_(pos["OptionGroup"])))
        }
        snap["item_groups"] = {
            (pos["Item"][g.item_id], pos["OptionGroup"][g.group_id]): g.position
            for g in session.scalars(select(ItemOptionGroup).where(ItemOptionGroup.item_id.in_(pos["Item"])))
        }
        return snap


def _stamps(snap: dict[str, Any]) -> dict[str, datetime]:
    stamps = {"merchant": snap["merchant"][2]}
    for kind in ("Location", "Menu", "Item"):
        stamps.update({f"{kind}:{pos_id}": row.updated_at for pos_id, row in snap[kind].items()})
    stamps.update({f"Stock:{key}": row.updated_at for key, row in snap["stock"].items()})
    return stamps


def test_a_first_import_creates_everything_the_document_describes(db: Database) -> None:
    document = small_document()
    report = import_menu(db, document)
    assert report.kinds["items"].created == 4
    assert report.kinds["sectionItems"].created == 4
    snap = _snapshot(db, document["merchant"]["id"])
    loc1 = snap["Location"]["loc-1"]
    assert (loc1.latitude, loc1.longitude, loc1.delivery_radius_km) == (
        Decimal("40.75"),
        Decimal("-73.99"),
        Decimal("5"),
    )
    assert loc1.hours == [{"day": "MON", "open": "11:00", "close": "22:00"}]
    assert snap["Item"]["item-1"].price == Decimal("12.50")
    assert snap["Item"]["item-1"].tax_rate == Decimal("8.875")
    assert snap["prices"] == {("item-1", "loc-2"): Decimal("13.00")}
    # Stock: counted where given; null or absent means not tracked (no count).
    assert {key: row.quantity for key, row in snap["stock"].items()} == {
        ("item-1", "loc-1"): 40,
        ("item-3", "loc-1"): 5,
    }
    assert snap["menu_locations"] == {("menu-1", "loc-1"), ("menu-1", "loc-2"), ("menu-2", "loc-1")}
    assert snap["section_items"] == {
        ("sec-1", "item-1"): 0,
        ("sec-1", "item-2"): 1,
        ("sec-2", "item-3"): 0,
        ("sec-3", "item-4"): 0,
    }
    assert snap["choices"][("grp-size", "var-small")] == (Decimal("0"), True, 0)
    assert snap["choices"][("grp-size", "var-large")] == (Decimal("3.00"), False, 1)
    assert snap["item_groups"] == {("item-1", "grp-size"): 0, ("item-1", "grp-extras"): 1, ("item-2", "grp-size"): 0}
    assert snap["Menu"]["menu-2"].availability == [{"days": ["SAT", "SUN"], "from": "10:00", "to": "14:00"}]
    assert snap["Menu"]["menu-1"].availability is None


def test_re_importing_the_same_document_changes_nothing(db: Database) -> None:
    document = small_document()
    import_menu(db, document)
    before = _snapshot(db, document["merchant"]["id"])
    report = import_menu(db, document)
    assert report.changed == 0
    assert all(c.changed == 0 for c in report.kinds.values())
    assert report.kinds["items"].unchanged == 4
    after = _snapshot(db, document["merchant"]["id"])
    assert _stamps(after) == _stamps(before)


def test_a_changed_document_updates_in_place_keeping_surrogate_ids(db: Database) -> None:
    document = small_document()
    import_menu(db, document)
    before = _snapshot(db, document["merchant"]["id"])
    document["items"][0]["price"] = "13.25"
    document["items"][0]["locationPrices"] = {"loc-1": "12.75"}
    document["items"][0]["stock"] = {"loc-1": 12, "loc-2": 3}
    document["items"][0]["optionGroups"] = ["grp-extras"]
    document["menus"][0]["sections"][0]["items"] = ["item-2", "item-1"]
    document["menus"][0]["name"] = "Evening"
    document["optionGroups"][0]["defaults"] = ["var-large"]
    document["locations"][1]["name"] = "Uptown (new)"
    report = import_menu(db, document)
    after = _snapshot(db, document["merchant"]["id"])
    for kind in ("Location", "Menu", "Section", "Item", "OptionGroup", "Variation"):
        assert {k: r.id for k, r in after[kind].items()} == {k: r.id for k, r in before[kind].items()}, kind
    assert after["Item"]["item-1"].price == Decimal("13.25")
    assert after["Item"]["item-1"].updated_at > before["Item"]["item-1"].updated_at
    assert after["Item"]["item-2"].updated_at == before["Item"]["item-2"].updated_at
    assert after["prices"] == {("item-1", "loc-1"): Decimal("12.75")}
    assert after["stock"][("item-1", "loc-1")].quantity == 12
    assert after["stock"][("item-1", "loc-2")].quantity == 3
    assert after["item_groups"] == {("item-1", "grp-extras"): 0, ("item-2", "grp-size"): 0}
    assert after["section_items"][("sec-1", "item-2")] == 0
    assert after["section_items"][("sec-1", "item-1")] == 1
    assert after["Menu"]["menu-1"].name == "Evening"
    assert after["choices"][("grp-size", "var-large")][1] is True
    assert after["choices"][("grp-size", "var-small")][1] is False
    assert report.kinds["items"].updated == 1
    assert report.kinds["menus"].updated == 1
    assert report.kinds["locations"].updated == 1
    assert report.kinds["locationPrices"].created == 1 and report.kinds["locationPrices"].removed == 1


def test_entities_missing_from_a_re_import_are_deactivated_not_deleted(db: Database) -> None:
    document = small_document()
    import_menu(db, document)
    before = _snapshot(db, document["merchant"]["id"])
    # Drop loc-2, menu-2 (with its section sec-3), item-4 and item-3's stock count.
    document["locations"].pop(1)
    document["menus"][0]["locations"] = ["loc-1"]
    document["items"][0]["locationPrices"] = {}
    document["menus"].pop(1)
    document["items"].pop(3)
    document["items"][2]["stock"] = None
    report = import_menu(db, document)
    after = _snapshot(db, document["merchant"]["id"])
    assert (
        after["Location"]["loc-2"].active is False and after["Location"]["loc-2"].id == before["Location"]["loc-2"].id
    )
    assert after["Menu"]["menu-2"].active is False
    assert after["Item"]["item-4"].active is False
    assert after["Item"]["item-1"].active is True
    assert "sec-3" not in after["Section"]
    assert ("sec-3", "item-4") not in after["section_items"]
    assert after["menu_locations"] == {("menu-1", "loc-1")}
    assert after["stock"][("item-3", "loc-1")].quantity is None  # row kept: it also carries a manual 86
    assert report.kinds["locations"].removed == 1
    assert report.kinds["menus"].removed == 1
    assert report.kinds["items"].removed == 1
    assert report.kinds["sections"].removed == 1
    assert report.kinds["stock"].removed == 1

    # Listing them again brings the same rows back to life.
    report = import_menu(db, small_document(document["merchant"]["id"]))
    revived = _snapshot(db, document["merchant"]["id"])
    assert revived["Item"]["item-4"].active is True
    assert revived["Item"]["item-4"].id == before["Item"]["item-4"].id
    assert revived["Location"]["loc-2"].active is True
    assert report.kinds["items"].updated == 1


def test_importing_keeps_a_manual_86_on_the_stock_row(db: Database) -> None:
    document = small_document()
    import_menu(db, document)
    with db.transaction() as session:
        merchant = session.scalar(select(Merchant).where(Merchant.pos_id == document["merchant"]["id"]))
        assert merchant is not None
        item = session.scalar(select(Item).where(Item.merchant_id == merchant.id, Item.pos_id == "item-1"))
        assert item is not None
        stock = session.scalar(select(Stock).where(Stock.item_id == item.id))
        assert stock is not None
        stock.out_of_stock = True
    document["items"][0]["stock"] = {"loc-1": 7}
    import_menu(db, document)
    after = _snapshot(db, document["merchant"]["id"])
    assert after["stock"][("item-1", "loc-1")].quantity == 7
    assert after["stock"][("item-1", "loc-1")].out_of_stock is True


def test_merchants_are_separate(db: Database) -> None:
    first, second = small_document(), small_document()
    import_menu(db, first)
    second["items"][0]["price"] = "1.00"
    import_menu(db, second)
    assert _snapshot(db, first["merchant"]["id"])["Item"]["item-1"].price == Decimal("12.50")
    assert _snapshot(db, second["merchant"]["id"])["Item"]["item-1"].price == Decimal("1.00")


def test_the_generated_two_thousand_item_menu_imports_and_re_imports_as_a_no_op(db: Database) -> None:
    document = generated_document(items=2000, locations=3, menus=4, seed=2000)
    report = import_menu(db, document)
    assert report.kinds["items"].created == 2000
    assert report.kinds["locations"].created == 3
    assert report.kinds["menus"].created == 4
    assert import_menu(db, document).changed == 0


def _consume(db: Database, merchant_pos_id: str, item_pos_id: str, quantity: int) -> None:
    """What Create Order does to tracked stock (decrement), without the order around it."""
    with db.transaction() as session:
        stock = session.scalar(
            select(Stock)
            .join(Item, Item.id == Stock.item_id)
            .join(Merchant, Merchant.id == Item.merchant_id)
            .where(Merchant.pos_id == merchant_pos_id, Item.pos_id == item_pos_id)
        )
        assert stock is not None and stock.quantity is not None
        stock.quantity -= quantity


def test_re_importing_an_unchanged_document_keeps_the_stock_orders_consumed(db: Database) -> None:
    document = small_document()
    merchant = document["merchant"]["id"]
    import_menu(db, document)
    _consume(db, merchant, "item-1", 15)  # 40 → 25
    report = import_menu(db, document)
    assert report.changed == 0
    assert _snapshot(db, merchant)["stock"][("item-1", "loc-1")].quantity == 25


def test_a_stock_level_changed_in_the_document_is_a_restock(db: Database) -> None:
    document = small_document()
    merchant = document["merchant"]["id"]
    import_menu(db, document)
    _consume(db, merchant, "item-1", 15)
    _consume(db, merchant, "item-3", 2)
    document["items"][0]["stock"] = {"loc-1": 60}  # restocked to 60; item-3 still says 5
    report = import_menu(db, document)
    stock = _snapshot(db, merchant)["stock"]
    assert (stock[("item-1", "loc-1")].quantity, stock[("item-3", "loc-1")].quantity) == (60, 3)
    assert report.kinds["stock"].updated == 1
    # Back to the earlier level is a change too: the last imported level is what counts.
    document["items"][0]["stock"] = {"loc-1": 40}
    import_menu(db, document)
    assert _snapshot(db, merchant)["stock"][("item-1", "loc-1")].quantity == 40


def test_reset_stock_applies_every_level_as_written(db: Database) -> None:
    document = small_document()
    merchant = document["merchant"]["id"]
    import_menu(db, document)
    _consume(db, merchant, "item-1", 15)
    _consume(db, merchant, "item-3", 5)
    report = import_menu(db, document, reset_stock=True)
    stock = _snapshot(db, merchant)["stock"]
    assert (stock[("item-1", "loc-1")].quantity, stock[("item-3", "loc-1")].quantity) == (40, 5)
    assert report.kinds["stock"].updated == 2


def test_untracking_then_tracking_again_applies_the_level(db: Database) -> None:
    document = small_document()
    merchant = document["merchant"]["id"]
    import_menu(db, document)
    document["items"][0]["stock"] = {}
    import_menu(db, document)
    assert _snapshot(db, merchant)["stock"][("item-1", "loc-1")].quantity is None
    document["items"][0]["stock"] = {"loc-1": 40}
    import_menu(db, document)
    assert _snapshot(db, merchant)["stock"][("item-1", "loc-1")].quantity == 40
