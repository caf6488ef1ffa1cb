"""Catalog sync of new-generation sites into Wix's Menus API, against a real wixsim (issue 12 §1-3, §5)."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import delete, select, update

from posbridge.app import create_app
from posbridge.config import Settings
from posbridge.errors import WixError
from posbridge.pos.pricing import price_at
from posbridge.pos.stock import available_quantity
from posbridge.services import strays
from posbridge.services.syncing import describe, request_pos_change_sync, request_reconcile
from posbridge.store.db import Database
from posbridge.store.models import (
    ChoiceStock,
    Item,
    ItemOptionGroup,
    Menu,
    OptionGroup,
    SectionItem,
    Stock,
    SyncIdMap,
    SyncLog,
    Variation,
)
from posbridge.store.types import utcnow
from posbridge.sync import runner
from posbridge.sync.preview import dry_run
from posbridge.sync.runner import Progress, run_sync
from tests.conftest import ADMIN_TOKEN
from tests.support.cli import CliResult, run_with_settings
from tests.support.server import serve_in_thread
from tests.sync.newgen_world import NewGenWorld, build_newgen_world
from tests.sync.test_wix_side import OLD_WIX_MENU
from wixsim.client import WixSimClient

WRITES = ("bulkCreate", "bulkUpdate", "createLabel", "update", "create", "delete", "bulkDelete")


@pytest.fixture()
def newgen(db: Database, wixsim: WixSimClient, sim_settings: Callable[..., Settings]) -> Callable[..., NewGenWorld]:
    def build(**kwargs: Any) -> NewGenWorld:
        return build_newgen_world(db, sim_settings(), wixsim, **kwargs)

    return build


def _writes(counts: dict[str, int]) -> dict[str, int]:
    return {k: v for k, v in counts.items() if k.split(".")[-1].startswith(WRITES)}


def _items(tree: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {i["name"]: i for m in tree["menus"] for s in m["sections"] for i in s["items"]}


def test_first_sync_writes_the_pos_menus_field_for_field(newgen: Callable[..., NewGenWorld]) -> None:
    world = newgen()
    sync = world.sync()
    assert sync.status == "SYNCED", sync.failure_reason
    tree = world.tree()
    assert len(tree["menus"]) == 2 and all(m["visible"] for m in tree["menus"])
    live = _items(tree)
    assert live, "no items were written"
    with world.db.transaction(write=False) as session:
        pos_items = {i.name: i for i in session.scalars(select(Item).where(Item.merchant_id == world.merchant))}
        groups = {
            g.id: g for g in session.scalars(select(OptionGroup).where(OptionGroup.merchant_id == world.merchant))
        }
        here = select(Stock).where(Stock.location_id == world.location)
        stock = {row.item_id: row for row in session.scalars(here)}
        variation_names = {
            v.id: v.name.strip()
            for v in session.scalars(select(Variation).where(Variation.merchant_id == world.merchant))
        }
        sized_items = 0
        for name, item in live.items():
            pos = pos_items[name]
            base = price_at(pos, world.location)
            assert item["acceptSpecialRequests"] == bool(pos.accept_special_request), name
            assert item["inStock"] is (available_quantity(stock.get(pos.id), utcnow()) != 0), name
            wanted = [groups[link.group_id] for link in pos.option_groups]
            size = next((g for g in wanted if _size_like(g, variation_names)), None)
            if size is None:
                assert Decimal(item["price"]) == base and "variants" not in item, name
            else:
                # A size-like group is the item's price variants (priced per item), not a modifier group.
                sized_items += 1
                assert "price" not in item, name
                wanted.remove(size)
                expected = [(variation_names[c.variation_id], base + c.price) for c in size.choices]
                assert [(v["name"], Decimal(v["price"])) for v in item["variants"]] == expected, name
            assert [g["name"] for g in item["modifierGroups"]] == [g.name for g in wanted]
            for wix_group, group in zip(item["modifierGroups"], wanted, strict=True):
                charges = [Decimal(m["additionalCharge"]) for m in wix_group["modifiers"]]
                assert charges == [c.price for c in group.choices]
                if group.type == "SELECTION":
                    assert wix_group["rule"] == {"required": True, "minSelections": 1, "maxSelections": 1}
        # Items alike in options share one modifier group: no more groups than distinct POS groups.
        used = {link.group_id for i in pos_items.values() for link in i.option_groups if i.name in live}
    assert 0 < len(world.entities()["modifierGroups"]) <= len(used)
    assert sized_items, "the seeded menu has no size-like option group: the test would prove nothing"
    # Item Variants are shared by name: one per distinct size name, however many items use it.
    variants = world.entities()["variants"]
    assert len({v["name"] for v in variants}) == len(variants) > 0
    calls = world.counts()
    assert calls.get("items.bulkCreateItems", 0) == -(-len(live) // 100)


def test_first_sync_writes_descriptions_labels_groups_and_sections_in_order(newgen: Callable[..., NewGenWorld]) -> None:
    """Beyond prices: texts, labels, each group's rule and pre-selected modifiers, placement and order."""
    world = newgen()
    assert world.sync().status == "SYNCED"
    tree, entities = world.tree(), world.entities()
    raw = {kind: {e["id"]: e for e in entities[kind]} for kind in ("menus", "sections", "items")}
    live = _items(tree)
    checked = {"labels": 0, "EXTRAS": 0, "DESELECTION": 0, "SELECTION": 0, "preSelected": 0}
    with world.db.transaction(write=False) as session:
        names = {
            v.id: v.name.strip()
            for v in session.scalars(select(Variation).where(Variation.merchant_id == world.merchant))
        }
        pos_menus = {m.name.strip(): m for m in session.scalars(select(Menu).where(Menu.merchant_id == world.merchant))}
        by_id = {i.id: i for i in session.scalars(select(Item).where(Item.merchant_id == world.merchant))}
        all_groups = {
            g.id: g for g in session.scalars(select(OptionGroup).where(OptionGroup.merchant_id == world.merchant))
        }
        assert {m["name"] for m in tree["menus"]} <= set(pos_menus)
        for menu in tree["menus"]:
            pos_menu = pos_menus[menu["name"]]
            assert raw["menus"][menu["id"]].get("description", "") == (pos_menu.description or "")
            pos_sections = {s.name.strip(): s for s in pos_menu.sections}
            # Sections in the POS's order (those with something sold here), each with its dishes in order.
            wanted_order = [
                s.name.strip() for s in pos_menu.sections if s.name.strip() in {x["name"] for x in menu["sections"]}
            ]
            assert [x["name"] for x in menu["sections"]] == wanted_order, menu["name"]
            for section in menu["sections"]:
                pos_section = pos_sections[section["name"]]
                assert raw["sections"][section["id"]].get("description", "") == (pos_section.description or "")
                sold = [by_id[e.item_id].name for e in pos_section.entries if by_id[e.item_id].name in live]
                assert [i["name"] for i in section["items"]] == sold, section["name"]
        pos_items = {i.name: i for i in by_id.values()}
        for name, item in live.items():
            pos = pos_items[name]
            (wire,) = [i for i in entities["items"] if i["name"] == name]
            assert wire.get("description", "") == (pos.description or ""), name
            assert item["labels"] == [str(label) for label in pos.labels or ()], name
            checked["labels"] += bool(item["labels"])
            groups = [all_groups[link.group_id] for link in pos.option_groups]
            wix_groups = {g["name"]: g for g in item["modifierGroups"]}
            for group in groups:
                if group.name.strip() not in wix_groups:
                    continue  # the dish's size group: its price variants (checked in the first test)
                wix = wix_groups[group.name.strip()]
                count = len(group.choices)
                assert [m["name"] for m in wix["modifiers"]] == [names[c.variation_id] for c in group.choices]
                defaults = [names[c.variation_id] for c in group.choices if c.is_default]
                pre = [m["name"] for m in wix["modifiers"] if m["preSelected"]]
                if group.type == "SELECTION":
                    rule = {"required": True, "minSelections": 1, "maxSelections": 1}
                    assert pre == defaults[:1], (name, group.name)
                elif group.type == "DESELECTION":  # everything comes with the dish; the customer removes
                    rule = {"required": False, "minSelections": 0, "maxSelections": count}
                    assert pre == [m["name"] for m in wix["modifiers"]], (name, group.name)
                else:
                    low = group.min_choices or 0
                    high = group.max_choices if group.max_choices is not None else count
                    rule = {"required": low > 0, "minSelections": low, "maxSelections": high}
                    assert pre == (defaults[:1] if low == high == 1 else defaults), (name, group.name)
                assert wix["rule"] == rule, (name, group.name)
                checked[group.type] += 1
                checked["preSelected"] += bool(pre)
    # The seeded menu must exercise every shape, or this test would prove less than it says.
    assert all(checked.values()), checked


def _size_like(group: OptionGroup, names: dict[int, str]) -> bool:
    choice_names = {names[c.variation_id] for c in group.choices}
    return (
        group.type == "SELECTION"
        and len(choice_names) == len(group.choices)
        and any(c.price != 0 for c in group.choices)
    )


def test_a_size_86ed_at_the_location_is_left_out_of_the_items_price_variants(
    newgen: Callable[..., NewGenWorld],
) -> None:
    world = newgen()
    assert world.sync().status == "SYNCED"
    live = _items(world.tree())
    with world.db.transaction() as session:
        names = {
            v.id: v.name.strip()
            for v in session.scalars(select(Variation).where(Variation.merchant_id == world.merchant))
        }
        items = session.scalars(select(Item).where(Item.merchant_id == world.merchant)).all()
        groups = {
            g.id: g for g in session.scalars(select(OptionGroup).where(OptionGroup.merchant_id == world.merchant))
        }
        sized = [
            (item.name, groups[link.group_id])
            for item in items
            if item.name in live
            for link in item.option_groups[:1]
            if _size_like(groups[link.group_id], names) and len(groups[link.group_id].choices) > 1
        ]
        assert sized, "the seeded menu has no sized dish: the test would prove nothing"
        name, group = sized[0]
        gone = group.choices[-1].variation_id
        users = {i.name for i in items if i.name in live and any(link.group_id == group.id for link in i.option_groups)}
        session.add(ChoiceStock(variation_id=gone, location_id=world.location, out_of_stock=True))
    world.sim.clear_request_log()
    assert world.sync().status == "SYNCED"
    after = _items(world.tree())
    assert [v["name"] for v in after[name]["variants"]] == [names[c.variation_id] for c in group.choices[:-1]]
    # One item update per dish that offers the size (in bulk), and the unlinked modifier's stock.
    writes = _writes(world.counts())
    assert writes.get("items.bulkUpdateItem") == -(-len(users) // 100)
    with world.db.transaction() as session:
        session.execute(update(ChoiceStock).where(ChoiceStock.variation_id == gone).values(out_of_stock=False))
    assert world.sync().status == "SYNCED"
    assert [v["name"] for v in _items(world.tree())[name]["variants"]] == [names[c.variation_id] for c in group.choices]


def test_a_resync_with_no_change_writes_nothing(newgen: Callable[..., NewGenWorld]) -> None:
    world = newgen()
    assert world.sync().status == "SYNCED"
    world.sim.clear_request_log()
    again = world.sync()
    assert again.status == "SYNCED" and again.summary["counts"] == {}
    assert _writes(world.counts()) == {}


def test_a_pos_change_and_the_reconcile_sync_a_new_generation_pairing(newgen: Callable[..., NewGenWorld]) -> None:
    """A business location's id space is its own id, known from the pairing: a POS change and the periodic
    reconcile reach it as they reach a legacy configuration whose catalog id is known."""
    world = newgen()
    assert world.sync().status == "SYNCED"
    (changed,) = request_pos_change_sync(world.db, world.merchant, delay_seconds=0)
    assert changed.configuration_id == world.configuration and changed.trigger == "POS_CHANGE"
    assert run_sync(world.db, world.settings, world.configuration, client=world.client) is False
    assert world.row(changed.id).status == "SYNCED"
    (reconciled,) = [s for s in request_reconcile(world.db) if s.configuration_id == world.configuration]
    assert reconciled.trigger == "RECONCILE"


def test_a_synced_business_location_is_in_use_for_stray_removal(newgen: Callable[..., NewGenWorld]) -> None:
    """What posbridge wrote in a business location's menus counts as use, as a legacy catalog's entities do."""
    world = newgen()
    assert world.sync().status == "SYNCED"
    with pytest.raises(WixError) as refused:
        strays.remove_configuration(world.db, world.instance_id, world.business_location_id)
    assert (refused.value.code, refused.value.http_status) == ("ACCOUNT_CONFIGURATION", 409)
    forced = strays.remove_configuration(world.db, world.instance_id, world.business_location_id, force=True)
    with world.db.transaction(write=False) as session:
        written = len(
            session.scalars(select(SyncIdMap).where(SyncIdMap.catalog_id == world.business_location_id)).all()
        )
    assert written > 0 and (forced.outcome, forced.catalog_entities) == (strays.UNPAIRED, written)


def test_a_price_change_is_one_item_update(newgen: Callable[..., NewGenWorld]) -> None:
    world = newgen()
    assert world.sync().status == "SYNCED"
    with world.db.transaction() as session:
        item = session.scalar(select(Item).where(Item.merchant_id == world.merchant, Item.pos_id == "item-1"))
        assert item is not None
        item.price, name = Decimal("9.35"), item.name
        item.location_prices = []
    world.sim.clear_request_log()
    sync = world.sync()
    assert sync.status == "SYNCED", sync.failure_reason
    assert _writes(world.counts()) == {"items.bulkUpdateItem": 1}
    assert _items(world.tree())[name]["price"] in ("9.35", "9.350")


def test_a_size_price_change_updates_the_price_variants_in_place(newgen: Callable[..., NewGenWorld]) -> None:
    world = newgen()
    assert world.sync().status == "SYNCED"
    variants_before = world.entities()["variants"]
    before = _items(world.tree())
    with world.db.transaction() as session:
        names = {
            v.id: v.name.strip()
            for v in session.scalars(select(Variation).where(Variation.merchant_id == world.merchant))
        }
        all_groups = session.scalars(select(OptionGroup).where(OptionGroup.merchant_id == world.merchant))
        size = next(g for g in all_groups if _size_like(g, names))
        choice = max(size.choices, key=lambda c: c.price)
        choice.price += Decimal("1.25")
        changed = names[choice.variation_id]
    world.sim.clear_request_log()
    sync = world.sync()
    assert sync.status == "SYNCED", sync.failure_reason
    # Only items change (one bulk call); the shared Item Variants stay as they are.
    assert _writes(world.counts()) == {"items.bulkUpdateItem": 1}
    assert world.entities()["variants"] == variants_before
    sized = {n: i for n, i in _items(world.tree()).items() if any(v["name"] == changed for v in i.get("variants", []))}
    assert sized
    for name, item in sized.items():
        now = {v["name"]: Decimal(v["price"]) for v in item["variants"]}
        was = {v["name"]: Decimal(v["price"]) for v in before[name]["variants"]}
        assert now == {**was, changed: was[changed] + Decimal("1.25")}, name
    world.sim.clear_request_log()
    assert world.sync().status == "SYNCED"
    assert _writes(world.counts()) == {}


def test_a_removed_item_leaves_its_section_and_stays_resolvable(newgen: Callable[..., NewGenWorld]) -> None:
    world = newgen()
    assert world.sync().status == "SYNCED"
    with world.db.transaction() as session:
        item = session.scalar(select(Item).where(Item.merchant_id == world.merchant, Item.pos_id == "item-2"))
        assert item is not None
        name = item.name
        session.execute(update(Item).where(Item.id == item.id).values(active=False))
    assert name in _items(world.tree())
    sync = world.sync()
    assert sync.status == "SYNCED", sync.failure_reason
    assert name not in _items(world.tree())
    assert any(i["name"] == name for i in world.entities()["items"])  # carts still resolve its id


def test_a_merchant_edit_between_syncs_is_resolved_by_ownership(newgen: Callable[..., NewGenWorld]) -> None:
    world = newgen()
    assert world.sync().status == "SYNCED"
    (item,) = [i for i in world.entities()["items"] if i["name"] == _first_name(world)]
    world.sim.merchant_edit(world.instance_id, "item", item["id"], name="Renamed in Wix")  # revision + 1
    sync = world.sync()
    assert sync.status == "SYNCED", sync.failure_reason
    assert _first_name(world) in _items(world.tree())  # the POS owns names: put back, at the new revision


def test_two_instances_never_touch_each_other(newgen: Callable[..., NewGenWorld]) -> None:
    first, second = newgen(seed=1), newgen(seed=2)
    assert first.sync().status == "SYNCED"
    before = second.entities()
    assert second.sync().status == "SYNCED"
    assert first.entities()["items"] and before["items"] == []
    first_ids = {i["id"] for i in first.entities()["items"]}
    assert first_ids.isdisjoint({i["id"] for i in second.entities()["items"]})


def _first_name(world: NewGenWorld) -> str:
    with world.db.transaction(write=False) as session:
        first = session.scalar(
            select(Item.name)
            .join(SectionItem, SectionItem.item_id == Item.id)
            .where(Item.merchant_id == world.merchant, Item.active.is_(True))
            .order_by(Item.id)
            .limit(1)
        )
        assert first is not None
        return first


def test_a_merchant_edit_during_a_sync_is_read_again_never_blind_overwritten(
    newgen: Callable[..., NewGenWorld],
) -> None:
    world = newgen()
    assert world.sync().status == "SYNCED"
    name = _first_name(world)
    (item,) = [i for i in world.entities()["items"] if i["name"] == name]
    with world.db.transaction() as session:
        pos = session.scalar(select(Item).where(Item.merchant_id == world.merchant, Item.name == name))
        assert pos is not None
        pos.price, pos.location_prices, description = Decimal("4.40"), [], pos.description or ""
    edited: list[str] = []

    def merchant_edits_first(event: Progress) -> None:
        if event.phase == "write" and not edited:
            # Between our read and our update, the merchant renames the dish in Wix (its revision moves on).
            world.sim.merchant_edit(world.instance_id, "item", item["id"], description="Edited in Wix")
            edited.append(item["id"])

    sync = world.sync(progress=merchant_edits_first)
    assert sync.status == "SYNCED", sync.failure_reason
    assert "restarted" in _events(world, sync.id)  # the stale revision sent it back to read and diff
    (now,) = [i for i in world.entities()["items"] if i["id"] == item["id"]]
    assert now["priceInfo"]["price"] in ("4.40", "4.400")
    assert now["description"] == description  # the POS owns descriptions: the edit was read, then ruled on


def test_a_seeded_storm_of_429s_and_5xx_on_every_menus_endpoint_converges_with_no_duplicates(
    newgen: Callable[..., NewGenWorld], wixsim: WixSimClient
) -> None:
    """A fraction of every Menus API call (reads, bulk creates and updates, labels, ordering settings) fails."""
    world = newgen()
    where = {"instance_id": world.instance_id}
    wixsim.inject_fault("*", "429", fraction=0.3, seed=12, retry_after=0, **where)
    wixsim.inject_fault("*", "5xx", status=503, fraction=0.1, seed=21, **where)
    wixsim.inject_fault("*", "5xx", status=502, fraction=0.05, seed=34, **where)
    sync = world.sync()
    assert sync.status == "SYNCED", sync.failure_reason
    assert sync.summary["retries"] >= 10  # it was a storm, not a shower
    hit = {k.split(".")[0] for k, v in sync.summary["attempts"].items() if v > sync.summary["calls"].get(k, 0)}
    assert len(hit) >= 5, hit  # retried across the Menus API's services, not one endpoint
    tree = world.tree()
    assert len(tree["menus"]) == 2 and all(m["visible"] for m in tree["menus"])
    entities = world.entities()
    assert len(entities["menus"]) == 2
    assert len(entities["sections"]) == sum(len(m["sections"]) for m in tree["menus"])
    assert len(entities["items"]) == len(_items(tree))  # nothing was created twice
    assert len({g["name"] for g in entities["modifierGroups"]}) <= len(entities["modifierGroups"])
    wixsim.clear_faults()
    world.sim.clear_request_log()
    again = world.sync()
    assert again.status == "SYNCED" and again.summary["counts"] == {}  # the storm's sync reached the POS's menus
    assert _writes(world.counts()) == {}


def test_the_cli_lists_business_locations_pairs_one_and_syncs_it(
    newgen: Callable[..., NewGenWorld], tmp_path: Path
) -> None:
    world = newgen()
    listed = _cli(world.settings, "locations", "--instance", world.instance_id, "--json", cwd=tmp_path)
    assert listed.returncode == 0, listed.stderr
    answer = json.loads(listed.stdout)
    assert answer["generation"] == "NEWGEN"
    assert {loc["id"] for loc in answer["locations"]} == {world.business_location_id, world.other_location_id}
    where = ["--instance", world.instance_id, "--business-location", world.other_location_id]
    paired = _cli(world.settings, "pair", *where, "--location", "loc-2", "--json", cwd=tmp_path)
    assert paired.returncode == 0, paired.stderr
    preview = _cli(world.settings, "sync", *where, "--dry-run", "--json", cwd=tmp_path)
    assert preview.returncode == 0, preview.stderr
    assert world.entities()["menus"] == []  # a dry run writes nothing
    done = _cli(world.settings, "sync", *where, "--json", cwd=tmp_path)
    assert done.returncode == 0, done.stderr + done.stdout
    assert json.loads(done.stdout)["status"] == "SYNCED"
    site = world.sim.site_menus(world.instance_id)
    (other,) = [loc for loc in site["locations"] if loc["id"] == world.other_location_id]
    assert other["menus"] and all(m["visible"] for m in other["menus"])
    both = _cli(
        world.settings, "sync", "--instance", world.instance_id, "--configuration", "x", *where[2:], cwd=tmp_path
    )
    assert both.returncode == 2 and "name either --configuration" in both.stderr, both.stderr  # a usage mistake


def _events(world: NewGenWorld, sync_id: int) -> list[str]:
    with world.db.transaction(write=False) as session:
        return list(session.scalars(select(SyncLog.event).where(SyncLog.sync_id == sync_id).order_by(SyncLog.id)))


def _cli(settings: Settings, *args: str, cwd: Path) -> CliResult:
    return run_with_settings(settings, *args, cwd=cwd)


def test_the_admin_api_lists_pairs_and_syncs_a_business_location(newgen: Callable[..., NewGenWorld]) -> None:
    world = newgen()
    headers = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    with (
        serve_in_thread(create_app(world.settings, world.db)) as url,
        httpx.Client(base_url=url, headers=headers, timeout=60) as admin,
    ):
        site = f"/api/v1/instances/{world.instance_id}"
        listed = admin.get(f"{site}/business-locations")
        assert listed.status_code == 200, listed.text
        assert listed.json()["generation"] == "NEWGEN"
        assert world.other_location_id in {loc["id"] for loc in listed.json()["locations"]}
        paired = admin.put(f"{site}/business-locations/{world.other_location_id}", json={"locationId": "loc-2"})
        assert paired.status_code == 200, paired.text
        unknown = admin.put(f"{site}/business-locations/no-such-location", json={"locationId": "loc-2"})
        assert unknown.status_code == 404 and unknown.json()["code"] == "LOCATION_NOT_FOUND"
        syncs = f"{site}/configurations/{world.other_location_id}/syncs"
        assert admin.get(syncs + "/preview").json()["valid"] is True
        assert admin.post(syncs).status_code == 202
        assert admin.get(syncs).json()[0]["status"] == "SYNCED"


def _ordering_settings(world: NewGenWorld) -> dict[str, dict[str, Any]]:
    path = "/menu-ordering-settings/v1/menu-ordering-settings/query"
    answer = world.client.call_api(world.instance_id, "POST", path, json={"query": {}})
    return {s["menuId"]: s for s in answer["menuOrderingSettings"]}


def test_menu_availability_is_written_to_its_ordering_settings_and_nothing_else(
    newgen: Callable[..., NewGenWorld],
) -> None:
    world = newgen()
    assert world.sync().status == "SYNCED"
    menu = world.tree()["menus"][0]
    before = _ordering_settings(world)[menu["id"]]
    assert before["availability"]["type"] == "ALWAYS_AVAILABLE"
    with world.db.transaction() as session:
        pos_menu = session.scalar(select(Menu).where(Menu.merchant_id == world.merchant, Menu.name == menu["name"]))
        assert pos_menu is not None
        pos_menu.availability = [{"days": ["MON", "SAT"], "from": "18:00", "to": "02:00"}]  # overnight
    world.sim.clear_request_log()
    sync = world.sync()
    assert sync.status == "SYNCED", sync.failure_reason
    assert _writes(world.counts()) == {"menuOrderingSettings.updateMenuOrderingSettings": 1}
    after = _ordering_settings(world)[menu["id"]]
    assert after["onlineOrderingEnabled"] is True and after["operationId"] == before["operationId"]  # the merchant's

    def at(h: int, m: int = 0) -> dict[str, int]:
        return {"hours": h, "minutes": m}

    days = {d["dayOfWeek"]: d["timeRanges"] for d in after["availability"]["weeklyScheduleOptions"]["availableTimes"]}
    assert after["availability"]["type"] == "WEEKLY_SCHEDULE"
    assert days == {
        "SUN": [{"startTime": at(0), "endTime": at(2)}],
        # TimeOfDay's hours stop at 23: the part before midnight ends at its last minute, not 00:00.
        "MON": [{"startTime": at(18), "endTime": at(23, 59)}],
        "TUE": [{"startTime": at(0), "endTime": at(2)}],
        "SAT": [{"startTime": at(18), "endTime": at(23, 59)}],
    }
    world.sim.clear_request_log()
    assert world.sync().status == "SYNCED"
    assert _writes(world.counts()) == {}  # read back as the same windows
    with world.db.transaction() as session:
        session.execute(update(Menu).where(Menu.merchant_id == world.merchant).values(availability=None))
    assert world.sync().status == "SYNCED"
    assert _ordering_settings(world)[menu["id"]]["availability"]["type"] == "ALWAYS_AVAILABLE"


def test_a_window_to_midnight_ends_at_23_59_and_one_written_to_00_00_is_rewritten_once(
    newgen: Callable[..., NewGenWorld],
) -> None:
    world = newgen()
    with world.db.transaction() as session:
        pos_menus = list(session.scalars(select(Menu).where(Menu.merchant_id == world.merchant).order_by(Menu.pos_id)))
        pos_menus[0].availability = [{"days": ["FRI"], "from": "17:00", "to": "24:00"}]
        pos_menus[1].availability = [{"days": ["SUN"], "from": "00:00", "to": "24:00"}]
    assert world.sync().status == "SYNCED"
    by_name = {m["name"]: m["id"] for m in world.tree()["menus"]}
    settings = _ordering_settings(world)

    def ranges(menu_name: str) -> dict[str, Any]:
        times = settings[by_name[menu_name]]["availability"]["weeklyScheduleOptions"]["availableTimes"]
        return {d["dayOfWeek"]: d["timeRanges"] for d in times}

    first, second = pos_menus[0].name, pos_menus[1].name
    last = {"hours": 23, "minutes": 59}
    assert ranges(first) == {"FRI": [{"startTime": {"hours": 17, "minutes": 0}, "endTime": last}]}
    assert ranges(second) == {"SUN": [{"startTime": {"hours": 0, "minutes": 0}, "endTime": last}]}
    # A range that ends 00:00 (as this target wrote it before, or a merchant did) is brought to 23:59 once.
    current = settings[by_name[first]]
    old = {"hours": 0, "minutes": 0}
    body = {
        "menuOrderingSettings": {
            "revision": current["revision"],
            "availability": {
                "type": "WEEKLY_SCHEDULE",
                "weeklyScheduleOptions": {
                    "availableTimes": [
                        {"dayOfWeek": "FRI", "timeRanges": [{"startTime": {"hours": 17, "minutes": 0}, "endTime": old}]}
                    ]
                },
            },
        }
    }
    path = f"/menu-ordering-settings/v1/menu-ordering-settings/{current['id']}"
    world.client.call_api(world.instance_id, "PATCH", path, json=body)
    world.sim.clear_request_log()
    assert world.sync().status == "SYNCED"
    assert _writes(world.counts()) == {"menuOrderingSettings.updateMenuOrderingSettings": 1}
    settings = _ordering_settings(world)
    assert ranges(first)["FRI"][0]["endTime"] == last
    world.sim.clear_request_log()
    assert world.sync().status == "SYNCED"
    assert _writes(world.counts()) == {}


def test_menu_availability_the_merchant_owns_is_left_as_it_is(newgen: Callable[..., NewGenWorld]) -> None:
    world = newgen()
    world.settings = world.settings.model_copy(
        update={"catalog_sync_configuration": {"entityAvailabilityUpdated": "WIX"}}
    )
    assert world.sync().status == "SYNCED"  # a new menu starts with the POS's windows
    before = _ordering_settings(world)
    with world.db.transaction() as session:
        session.execute(
            update(Menu)
            .where(Menu.merchant_id == world.merchant)
            .values(availability=[{"days": ["MON"], "from": "11:00", "to": "15:00"}])
        )
    world.sim.clear_request_log()
    assert world.sync().status == "SYNCED"
    assert _writes(world.counts()) == {}
    assert _ordering_settings(world) == before


def test_the_dry_run_and_summary_speak_the_menus_apis_words(newgen: Callable[..., NewGenWorld]) -> None:
    """No draft and no publish on the Menus API: the site's own menus are hidden (`visible: false`), not archived."""
    world = newgen(wix_menus=OLD_WIX_MENU)
    text = dry_run(world.db, world.settings, world.configuration, client=world.client).render()
    assert "MENU hide 'Old Wix menu'" in text and "(not created by the POS)" in text
    assert "menus: 1 hidden, 2 created" in text
    assert "bulk calls; no draft or publish: every write is live" in text
    assert "archive" not in text and "draft create" not in text
    sync = world.sync()
    assert sync.status == "SYNCED", sync.failure_reason
    (old,) = [m for m in world.tree()["menus"] if m["name"] == "Old Wix menu"]
    assert old["visible"] is False
    said = describe(sync)
    assert "hidden Wix menus the POS does not own: Old Wix menu" in said and "archived" not in said


def _shared_group(world: NewGenWorld) -> tuple[int, str, list[str]]:
    """A POS option group that several synced dishes offer as a modifier group: (id, name, dish names)."""
    live = _items(world.tree())
    with world.db.transaction(write=False) as session:
        names = {
            v.id: v.name.strip()
            for v in session.scalars(select(Variation).where(Variation.merchant_id == world.merchant))
        }
        users: dict[int, list[str]] = {}
        groups = {
            g.id: g for g in session.scalars(select(OptionGroup).where(OptionGroup.merchant_id == world.merchant))
        }
        for item in session.scalars(select(Item).where(Item.merchant_id == world.merchant)):
            for link in item.option_groups:
                group = groups[link.group_id]
                if item.name in live and not _size_like(group, names):
                    users.setdefault(group.id, []).append(item.name)
    group_id, dishes = max(users.items(), key=lambda kv: len(kv[1]))
    assert len(dishes) >= 3, "the seeded menu shares no option group: the test would prove nothing"
    return group_id, groups[group_id].name.strip(), dishes


def _wix_group(world: NewGenWorld, dish: str, name: str) -> dict[str, Any]:
    """The live modifier group a dish lists under this name, as the Menus API returns it."""
    (item,) = [i for i in world.entities()["items"] if i["name"] == dish]
    ids = {g["id"] for g in item["modifierGroups"]}
    (group,) = [g for g in world.entities()["modifierGroups"] if g["id"] in ids and g["name"] == name]
    return group


def test_a_shared_group_change_is_one_group_update_in_place_and_no_item_update(
    newgen: Callable[..., NewGenWorld],
) -> None:
    world = newgen()
    assert world.sync().status == "SYNCED"
    group_id, name, dishes = _shared_group(world)
    before = _wix_group(world, dishes[0], name)
    count = len(world.entities()["modifierGroups"])
    items_before = {i["id"]: i["revision"] for i in world.entities()["items"]}
    with world.db.transaction() as session:
        group = session.get(OptionGroup, group_id)
        assert group is not None
        choice = group.choices[0]
        choice.price += Decimal("0.50")
        wanted = [c.price for c in group.choices]
    text = dry_run(world.db, world.settings, world.configuration, client=world.client).render()
    assert f"MODIFIER_GROUP update '{name}' [{before['id']}]" in text and "DISH update" not in text
    assert "modifier groups: 1 updated. 1 bulk call;" in text
    world.sim.clear_request_log()
    sync = world.sync()
    assert sync.status == "SYNCED", sync.failure_reason
    assert _writes(world.counts()) == {"itemModifierGroups.bulkUpdateModifierGroups": 1}
    assert sync.summary["counts"] == {"MODIFIER_GROUP": {"update": 1}}
    assert len(world.entities()["modifierGroups"]) == count  # updated in place: no new group
    assert {i["id"]: i["revision"] for i in world.entities()["items"]} == items_before  # no item written
    after = _wix_group(world, dishes[0], name)
    assert after["id"] == before["id"] and int(after["revision"]) == int(before["revision"]) + 1
    live = _items(world.tree())
    for dish in dishes:  # every dish offering it shows the new charge, through the one group
        (shown,) = [g for g in live[dish]["modifierGroups"] if g["name"] == name]
        assert [Decimal(m["additionalCharge"]) for m in shown["modifiers"]] == wanted, dish
    world.sim.clear_request_log()
    assert world.sync().status == "SYNCED"
    assert _writes(world.counts()) == {}


def test_a_group_no_dish_offers_any_more_is_deleted_and_a_merchants_group_is_left_alone(
    newgen: Callable[..., NewGenWorld],
) -> None:
    world = newgen()
    assert world.sync().status == "SYNCED"
    group_id, name, dishes = _shared_group(world)
    ours = _wix_group(world, dishes[0], name)
    # The merchant makes a group of their own in Wix, alike in every field (posbridge must not adopt it).
    fields = {k: ours[k] for k in ("name", "rule", "modifiers")}
    mine = world.sim.merchant_create(world.instance_id, "modifierGroup", **fields)["entity"]
    with world.db.transaction() as session:
        group = session.get(OptionGroup, group_id)
        assert group is not None
        group.choices[0].price += Decimal("1.00")
    assert world.sync().status == "SYNCED"
    (still,) = [g for g in world.entities()["modifierGroups"] if g["id"] == mine["id"]]
    assert still == mine  # a change of the POS group is written to posbridge's group only
    with world.db.transaction() as session:
        session.execute(delete(ItemOptionGroup).where(ItemOptionGroup.group_id == group_id))
    world.sim.clear_request_log()
    sync = world.sync()
    assert sync.status == "SYNCED", sync.failure_reason
    assert sync.summary["counts"]["MODIFIER_GROUP"] == {"delete": 1}
    assert sync.summary["counts"]["DISH"] == {"update": len(dishes)}
    assert world.counts().get("itemModifierGroups.bulkDeleteModifierGroups") == 1
    left = {g["id"]: g for g in world.entities()["modifierGroups"]}
    assert ours["id"] not in left  # posbridge's group, referenced by nothing now: deleted
    assert left[mine["id"]] == mine  # the merchant's: untouched
    assert all(g["name"] != name for dish in dishes for g in _items(world.tree())[dish]["modifierGroups"])
    world.sim.clear_request_log()
    assert world.sync().status == "SYNCED"
    assert _writes(world.counts()) == {}


@pytest.mark.parametrize(
    "show_step", ["menus.bulkUpdateMenu", "menuOrderingSettings.upsertMenuOrderingSettingsByMenuId"]
)
def test_a_sync_failing_at_the_show_step_leaves_its_new_menus_hidden_and_the_next_converges(
    newgen: Callable[..., NewGenWorld], show_step: str
) -> None:
    """The last steps of a first sync fail: every menu, section and item exists, and no customer sees any of it."""
    world = newgen()
    world.sim.inject_fault(show_step, "5xx", status=503, count=50, instance_id=world.instance_id)
    failed = world.sync()
    assert failed.status == "FAILED"
    assert world.counts().get(show_step, 0) > 0  # the fault was reached: menus had been created by then
    _assert_built_but_hidden(world)
    world.sim.clear_faults()
    _assert_converges(world)


def _assert_built_but_hidden(world: NewGenWorld) -> None:
    menus = world.tree()["menus"]
    assert len(menus) == 2 and not any(m["visible"] for m in menus)  # created hidden, never shown
    assert world.entities()["sections"] and world.entities()["items"]  # the content under them exists


def _assert_converges(world: NewGenWorld) -> None:
    sync = world.sync()
    assert sync.status == "SYNCED", sync.failure_reason
    tree = world.tree()
    assert len(tree["menus"]) == 2 and all(m["visible"] for m in tree["menus"])
    entities = world.entities()
    assert len(entities["menus"]) == 2  # the hidden ones were shown, none created again
    assert len(entities["sections"]) == sum(len(m["sections"]) for m in tree["menus"])
    assert len(entities["items"]) == len(_items(tree))  # nothing was created twice
    world.sim.clear_request_log()
    assert world.sync().status == "SYNCED"
    assert _writes(world.counts()) == {}


def test_a_worker_killed_before_the_show_step_leaves_nothing_in_sight_and_the_next_run_completes(
    newgen: Callable[..., NewGenWorld], repo_root: Path
) -> None:
    world = newgen()
    sync = world.request()
    keys = ("database_url", "wix_app_id", "wix_app_secret", "wix_public_key", "wix_api_base", "secret_key")
    settings = json.dumps({k: getattr(world.settings, k) for k in keys} | {"log_level": "ERROR"})
    done = subprocess.run(
        [sys.executable, "-m", "tests.sync.crash_worker", settings, str(world.configuration), "bulkUpdateMenu"],
        cwd=repo_root,
        capture_output=True,
        timeout=120,
    )
    assert done.returncode == 9, done.stderr.decode()[-2000:]  # killed, like kill -9, just before the show
    assert world.row(sync.id).status == "IN_PROGRESS"
    _assert_built_but_hidden(world)
    # The dead worker's lease runs out; no waiting: the next worker's clock is past it.
    later = utcnow() + timedelta(seconds=runner.LEASE_SECONDS + 1)
    run_sync(world.db, world.settings, world.configuration, client=world.client, clock=lambda: later)
    finished = world.row(sync.id)
    assert finished.status == "SYNCED" and finished.attempts == 2, finished.failure_reason
    assert finished.summary["counts"] == {"MENU": {"unarchive": 2}}  # only the show was left to do
    _assert_converges(world)
