"""A diff as ordered write steps, so every call finds what it references already created.

Order: variations are created first (dishes' options point at them), then menus are unarchived
and created, sections created in their menus, dishes created in their sections; then one items
update carries new variations' prices and stock together with every dish/variation update, then
sections and menus are updated (their children lists reference the new ids), and last the menus
the POS does not sell are archived. A writer splits each step into bulk calls of its own size,
so the number of calls is ceil(entries / batch size) per step: the minimum for that step.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from posbridge.sync.catalog import DISH, MENU, SECTION, VARIATION, Key
from posbridge.sync.diff import ARCHIVE, CREATE, UNARCHIVE, UPDATE, Change, Diff

ITEM = "ITEM"  # dishes and variations share one update endpoint


@dataclass
class WriteEntry:
    """One entity's write within a step: the fields to send (keys may still be Refs)."""

    change: Change
    fields: dict[str, Any]
    parent: tuple[Key, ...] = ()


@dataclass
class Step:
    """All writes of one op on one kind, in order."""

    op: str
    kind: str
    entries: list[WriteEntry] = field(default_factory=list)

    def calls(self, batch_size: int) -> int:
        """How many bulk calls this step takes."""
        return math.ceil(len(self.entries) / batch_size)


def plan(diff: Diff) -> list[Step]:
    """The non-empty steps that apply `diff`, in dependency order."""
    steps = {
        name: Step(op, kind)
        for name, op, kind in (
            ("variations", CREATE, VARIATION),
            ("unarchive", UNARCHIVE, MENU),
            ("menus", CREATE, MENU),
            ("sections", CREATE, SECTION),
            ("dishes", CREATE, DISH),
            ("items", UPDATE, ITEM),
            ("section_updates", UPDATE, SECTION),
            ("menu_updates", UPDATE, MENU),
            ("archive", ARCHIVE, MENU),
        )
    }
    creates = {VARIATION: "variations", MENU: "menus", SECTION: "sections", DISH: "dishes"}
    updates = {VARIATION: "items", DISH: "items", SECTION: "section_updates", MENU: "menu_updates"}
    for change in diff.changes:
        if change.op == CREATE:
            steps[creates[change.kind]].entries.append(WriteEntry(change, change.write, change.parent))
            if change.post_write:
                steps[updates[change.kind]].entries.append(WriteEntry(change, change.post_write, change.parent))
        elif change.op == UPDATE:
            parent: tuple[Key, ...] = (str(change.raw.get("menuId")),) if change.kind == SECTION else ()
            steps[updates[change.kind]].entries.append(WriteEntry(change, change.write, parent))
        elif change.op in (ARCHIVE, UNARCHIVE):
            steps["archive" if change.op == ARCHIVE else "unarchive"].entries.append(WriteEntry(change, {}))
    return [step for step in steps.values() if step.entries]


def planned_calls(steps: list[Step], batch_size: int) -> int:
    """Bulk calls the steps take (not counting draft create/publish or reads)."""
    return sum(step.calls(batch_size) for step in steps)
