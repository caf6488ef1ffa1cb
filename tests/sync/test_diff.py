"""The differ on its own: ownership carry-over, children order, detaches, foreign menus (no I/O)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from posbridge.sync.catalog import DISH, MENU, SECTION, VARIATION, Entity, LiveCatalog, Option, Ref
from posbridge.sync.catalogs_v3 import CATALOGS_V3_LAYOUT
from posbridge.sync.desired import DesiredCatalog, periods
from posbridge.sync.diff import MapEntry, compute_diff
from posbridge.sync.ownership import Ownership, OwnershipError
from posbridge.sync.plan import plan

EXTRAS = Option("Extras", "EXTRAS", ((Ref(VARIATION, 1), Decimal("1.50")), (Ref(VARIATION, 2), Decimal("2"))), (), 0, 2)
DISH_FIELDS = {
    "name": "Pizza",
    "description": "",
    "price": Decimal("12.5"),
    "taxRate": Decimal("8.875"),
    "labels": ("vegan",),
    "imageUrl": "https://img/p.jpg",
    "inStock": True,
    "acceptSpecialRequest": True,
    "options": (EXTRAS,),
}


def desired(dishes: tuple[int, ...] = (10,)) -> DesiredCatalog:
    out = DesiredCatalog()
    fields = {"name": "Dinner", "description": "", "visible": True, "availability": None}
    out.menus.append(
        Entity(
            MENU, Ref(MENU, 1), {**fields, "fulfillmentTypes": ("PICKUP_OR_DINE_IN",), "sections": (Ref(SECTION, 5),)}
        )
    )
    out.sections[5] = Entity(
        SECTION, Ref(SECTION, 5), {"name": "Mains", "description": "", "items": tuple(Ref(DISH, d) for d in dishes)}
    )
    out.section_menu[5] = 1
    for d in dishes:
        out.dishes[d] = Entity(DISH, Ref(DISH, d), dict(DISH_FIELDS, name=f"Dish {d}"))
        out.placement[d] = (1, 5)
    for v in (1, 2):
        out.variations[v] = Entity(
            VARIATION, Ref(VARIATION, v), {"name": f"V{v}", "price": Decimal(v), "inStock": True}
        )
    return out


def live_twin(source: DesiredCatalog) -> tuple[LiveCatalog, dict[tuple[str, int], MapEntry]]:
    """A live catalog equal to `source`, with ids w-<kind>-<ref>."""
    ids = {Ref(k, r): f"w-{k}-{r}" for k in (MENU, SECTION, DISH, VARIATION) for r in source.of(k)}

    def fix(fields: dict) -> dict:
        out = dict(fields)
        for name in ("sections", "items"):
            if name in out:
                out[name] = tuple(ids[k] for k in out[name])
        if "options" in out:
            out["options"] = tuple(o.with_keys(ids.get) for o in out["options"])
        return out

    live = LiveCatalog()
    for kind in (MENU, SECTION, DISH, VARIATION):
        for ref, entity in source.of(kind).items():
            wix_id = ids[Ref(kind, ref)]
            parent = ids[Ref(MENU, source.section_menu[ref])] if kind == SECTION else None
            live.pool(kind)[wix_id] = Entity(kind, wix_id, fix(entity.fields), parent=parent)
    return live, {(k.kind, k.pos_ref): MapEntry(v, False) for k, v in ids.items()}


def test_equal_catalogs_need_nothing() -> None:
    live, id_map = live_twin(desired())
    diff = compute_diff(desired(), live, id_map, Ownership())
    assert diff.changes == [] and not diff.needs_writes


def test_min_max_owned_by_wix_is_carried_over() -> None:
    live, id_map = live_twin(desired())
    dish = live.items["w-DISH-10"]
    option = dish.fields["options"][0]
    dish.fields["options"] = (Option(option.name, option.type, option.choices, (), 1, 1),)
    assert compute_diff(desired(), live, id_map, Ownership.parse({"dishOptionsMinMaxUpdated": "WIX"})).changes == []
    (change,) = compute_diff(desired(), live, id_map, Ownership()).changes
    assert change.op == "update" and set(change.before) == {"options"}
    assert change.after["options"][0].min_choices == 0 and change.after["options"][0].max_choices == 2


def test_new_dishes_are_appended_without_a_section_update_when_order_allows() -> None:
    live, id_map = live_twin(desired((10,)))
    diff = compute_diff(desired((10, 11)), live, id_map, Ownership())
    assert [(c.kind, c.op) for c in diff.changes] == [(DISH, "create")]
    steps = plan(diff, CATALOGS_V3_LAYOUT)
    assert [(s.op, s.kind) for s in steps] == [("create", DISH)]
    # Inserted first instead: Wix's append would put it last, so the section is updated after.
    diff = compute_diff(desired((11, 10)), live, id_map, Ownership())
    assert [(s.op, s.kind) for s in plan(diff, CATALOGS_V3_LAYOUT)] == [("create", DISH), ("update", SECTION)]


def test_removed_dish_detaches_and_foreign_menu_archives() -> None:
    live, id_map = live_twin(desired((10, 11)))
    live.menus["foreign"] = Entity(MENU, "foreign", {"name": "Wix-only"})
    diff = compute_diff(desired((10,)), live, id_map, Ownership())
    ops = {(c.kind, c.op, c.foreign) for c in diff.changes}
    assert ops == {(SECTION, "update", False), (DISH, "detach", False), (MENU, "archive", True)}


def test_unknown_ownership_flag_is_refused() -> None:
    with pytest.raises(OwnershipError):
        Ownership.parse({"dishPricesUpdated": "WIX"})
    with pytest.raises(OwnershipError):
        Ownership.parse({"dishImagesUpdated": "MAYBE"})


def test_overnight_window_closes_the_next_day() -> None:
    assert [str(p) for p in periods([{"days": ["FRI", "SAT"], "from": "18:00", "to": "02:00"}])] == [
        "FRI 18:00–SAT 02:00",
        "SAT 18:00–SUN 02:00",
    ]
    assert periods(None) is None
