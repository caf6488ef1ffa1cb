"""New-generation sites: the eCommerce Validations plugin's checks on a cart or checkout (issue 14 §5).

Wix asks before the customer pays; only restaurant lines are posbridge's business (a site may sell
Stores or Bookings items on the same checkout). A line's `catalogItemId` is a Menus item id the sync
gave a POS item (`sync_id_map`, kind DISH, in the id space of a paired business location); a line nothing maps
is not ours to judge (an item the merchant added in Wix) and passes. What is judged protects the
kitchen: an item the POS removed, and stock (sold out, 86'd, fewer left than ordered) at the POS
location that id space is paired with. Every failure is an ERROR on its line (Wix blocks the
order); nothing else is said. Reads only: a refused cart changes nothing.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from posbridge.pos.backend import PosBackendFactory, StockLevel
from posbridge.pos.builtin import BuiltinPos
from posbridge.store.db import Database
from posbridge.store.models import Configuration, SyncIdMap
from posbridge.store.types import utcnow
from posbridge.sync.catalog import DISH
from posbridge.wix.generation import ID_SPACE

RESTAURANTS_APP_ID = "9a5d83fd-8570-482e-81ab-cfa88942ee60"  # Wix Restaurants Orders (New)
ERROR = "ERROR"


@dataclass(frozen=True)
class CartLine:
    """A restaurant line of the cart: Wix's line id, the Menus item id, how many."""

    line_id: str
    item_ref: str
    quantity: int


@dataclass(frozen=True)
class Violation:
    """A problem with one line (Wix's `target.lineItem`)."""

    line_id: str
    description: str
    severity: str = ERROR


def check_cart(
    db: Database,
    instance_id: str,
    lines: Sequence[CartLine],
    *,
    now: datetime | None = None,
    pos_backend: PosBackendFactory = BuiltinPos,
) -> list[Violation]:
    """Every problem with the restaurant lines of a cart, in line order (empty: Wix may go on).

    posbridge's own records (the sync id map, the pairings) are read here; the POS, only through `pos_backend`.
    """
    if not lines:
        return []
    moment = now or utcnow()
    with db.transaction(write=False) as session:
        pos = pos_backend(session)
        mapped = session.execute(
            select(SyncIdMap.wix_id, SyncIdMap.pos_ref, SyncIdMap.catalog_id).where(
                SyncIdMap.instance_id == instance_id,
                SyncIdMap.kind == DISH,
                SyncIdMap.detached_at.is_(None),
                SyncIdMap.wix_id.in_({line.item_ref for line in lines}),
            )
        ).all()
        item_of = {wix_id: (pos_ref, space) for wix_id, pos_ref, space in mapped}
        if not item_of:
            return []
        items = pos.items({ref for ref, _ in item_of.values()})
        # Each pairing's id space (its catalog target's) leads to its POS location.
        paired = session.execute(
            select(ID_SPACE, Configuration.location_id).where(
                Configuration.instance_id == instance_id, Configuration.location_id.is_not(None)
            )
        )
        spaces = {space for _, space in item_of.values()}
        locations: dict[str, int] = {}
        for space, location_id in paired:
            if space in spaces and location_id is not None:
                locations[space] = location_id
        demand: dict[tuple[int, int], int] = defaultdict(int)
        for line in lines:
            ref = item_of.get(line.item_ref)
            if ref is not None and ref[1] in locations:
                demand[(locations[ref[1]], ref[0])] += line.quantity
        stock: dict[tuple[int, int], StockLevel] = {}
        for location_id in {location for location, _ in demand}:
            levels = pos.stock(location_id, [item for loc, item in demand if loc == location_id])
            stock.update({(location_id, item_id): level for item_id, level in levels.items()})
        violations = []
        for line in lines:
            ref = item_of.get(line.item_ref)
            if ref is None:
                continue
            item = items.get(ref[0])
            if item is None or not item.active:
                violations.append(Violation(line.line_id, "This item is no longer on the menu"))
                continue
            at = locations.get(ref[1])
            if at is None:
                continue
            level = stock.get((at, item.id))
            left = None if level is None else level.available(moment)
            if left is not None and left < demand[(at, item.id)]:
                text = f"{item.name} is sold out" if left == 0 else f"Only {left} {item.name} left"
                violations.append(Violation(line.line_id, text))
        return violations
