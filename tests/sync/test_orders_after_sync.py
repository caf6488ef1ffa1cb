"""An order placed against the synced catalog maps every line and option back to the right POS entity."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from posbridge.services.ordering import create_order
from posbridge.store.models import OrderLine, OrderRow
from tests.support.orders import order_dict, parse_order
from tests.sync.world import SyncWorld

pytestmark = pytest.mark.all_backends  # the database backend matters here


def _line(dish: dict[str, Any], items: dict[str, Any]) -> dict[str, Any]:
    """A line for `dish` choosing the default (or first) choice of each SELECTION option."""
    options = []
    for option in dish.get("dishOptions", {}).get("values", []):
        if option["type"] != "SELECTION":
            continue
        body = option["selection"]
        chosen_id = body.get("defaultChoice") or body["availableChoices"][0]["itemId"]
        chosen = next(c for c in body["availableChoices"] if c["itemId"] == chosen_id)
        options.append(
            {
                "name": option["name"],
                "type": "SELECTION",
                "selectedChoices": [
                    {
                        "quantity": 1,
                        "price": chosen["price"]["value"],
                        "catalogReference": {"catalogItemId": chosen_id, "catalogItemName": items[chosen_id]["name"]},
                    }
                ],
            }
        )
    return {
        "quantity": 2,
        "price": dish["price"]["value"],
        "catalogReference": {"catalogItemId": dish["id"], "catalogItemName": dish["name"]},
        "dishOptions": options,
    }


def test_order_lines_map_back_to_pos_items_and_variations(world: SyncWorld) -> None:
    assert world.sync().status == "SYNCED"
    live = world.live()
    ids = world.id_map()
    dish_to_item = {row.wix_id: ref for (kind, ref), row in ids.items() if kind == "DISH"}
    var_to_pos = {row.wix_id: ref for (kind, ref), row in ids.items() if kind == "VARIATION"}
    dishes = [d for d in live["items"].values() if d["type"] == "DISH" and d["inStock"]]
    with_options = [
        d for d in dishes if any(o["type"] == "SELECTION" for o in d.get("dishOptions", {}).get("values", []))
    ]
    chosen = [*with_options[:3], *[d for d in dishes if not d.get("dishOptions")][:2]]
    order = parse_order(order_dict([_line(d, live["items"]) for d in chosen]))
    created = create_order(
        world.db,
        instance_id=world.instance_id,
        account_id=world.account_id,
        configuration_id=world.configuration_wix_id,
        order=order,
        paid_by_pos_gateway=False,
    )
    with world.db.transaction(write=False) as session:
        stored = session.scalar(
            select(OrderRow)
            .where(OrderRow.pos_order_id == created.pos_order_id)
            .options(selectinload(OrderRow.lines).selectinload(OrderLine.options))
        )
        assert stored is not None
        assert [line.item_id for line in stored.lines] == [dish_to_item[d["id"]] for d in chosen]
        for line, dish in zip(stored.lines, chosen, strict=True):
            wanted = [
                c["catalogReference"]["catalogItemId"]
                for o in _line(dish, live["items"])["dishOptions"]
                for c in o["selectedChoices"]
            ]
            assert [o.variation_id for o in line.options] == [var_to_pos[w] for w in wanted]
