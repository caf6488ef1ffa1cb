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

from posbridge.sync.catalog import CHILDREN, DISH, MENU, SECTION, VARIATION, Key, Ref
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


def repair_steps(diff: Diff, parents: set[Ref], done: list[Step], section_menu: dict[int, int]) -> list[Step]:
    """Updates that reset these parents' children lists exactly (after a create whose outcome was unsure).

    A bulk create that failed ambiguously (5xx, timeout) and was retried may have been applied
    twice, appending unknown duplicates to their parents; writing the exact wanted list drops them
    (the orphans stay unlisted, so nobody sees them). Parents already given their full list skip it.
    """
    covered = {
        entry.change.key
        for step in done
        if step.op == UPDATE
        for entry in step.entries
        if CHILDREN.get(entry.change.kind) in entry.fields
    }
    steps = []
    for kind in (SECTION, MENU):  # sections first: a menu's list may name new sections, never the reverse
        step = Step(UPDATE, kind)
        for parent in sorted(p for p in parents if p.kind == kind):
            key: Key = diff.ids.get(parent, parent)
            if key in covered or parent in covered or parent not in diff.children:
                continue
            change = Change(kind, UPDATE, key, diff.names.get(parent, ""), parent.pos_ref)
            where: tuple[Key, ...] = ()
            if kind == SECTION:
                menu = Ref(MENU, section_menu[parent.pos_ref])
                where = (diff.ids.get(menu, menu),)
            step.entries.append(WriteEntry(change, {CHILDREN[kind]: diff.children[parent]}, where))
        if step.entries:
            steps.append(step)
    return steps


def planned_calls(steps: list[Step], batch_size: int) -> int:
    """Bulk calls the steps take (not counting draft create/publish or reads)."""
    return sum(step.calls(batch_size) for step in steps)
