"""A diff as ordered write steps, so every call finds what it references already created.

The dependency order is the planner's: what is referenced is created first (variations before
the dishes whose options point at them, menus before their sections, sections before their
dishes), updates follow creates (children lists reference new ids), archives come last. Which
calls exist is the target's `Layout`: one `StepSpec` per call kind, in that order, naming the
entity kinds it carries (Catalogs v3 updates dishes and variations through one items call; the
Menus API has one call per kind). A target splits each step into bulk calls of its own size, so
the number of calls is ceil(entries / batch size) per step: the minimum for that step.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from posbridge.sync.catalog import CHILDREN, MENU, SECTION, Key, Ref
from posbridge.sync.diff import ARCHIVE, CREATE, DELETE, UNARCHIVE, UPDATE, Change, Diff


@dataclass(frozen=True)
class StepSpec:
    """One call kind of a target: an op on `kind` (the step's name), carrying entities of `kinds`."""

    op: str
    kind: str
    kinds: tuple[str, ...] = ()

    def carries(self, op: str, kind: str) -> bool:
        """Whether a change of this op and entity kind goes into this step."""
        return op == self.op and kind in (self.kinds or (self.kind,))


Layout = tuple[StepSpec, ...]


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


def plan(diff: Diff, layout: Layout) -> list[Step]:
    """The non-empty steps that apply `diff`, in the layout's (dependency) order."""
    steps = [Step(spec.op, spec.kind) for spec in layout]

    def step_for(op: str, kind: str) -> Step:
        for spec, step in zip(layout, steps, strict=True):
            if spec.carries(op, kind):
                return step
        raise ValueError(f"the target has no call for {op} {kind}")

    for change in diff.changes:
        if change.op == CREATE:
            step_for(CREATE, change.kind).entries.append(WriteEntry(change, change.write, change.parent))
            if change.post_write:
                step_for(UPDATE, change.kind).entries.append(WriteEntry(change, change.post_write, change.parent))
        elif change.op == UPDATE:
            parent: tuple[Key, ...] = (str(change.raw.get("menuId")),) if change.kind == SECTION else ()
            step_for(UPDATE, change.kind).entries.append(WriteEntry(change, change.write, parent))
        elif change.op in (ARCHIVE, UNARCHIVE, DELETE):
            step_for(change.op, change.kind).entries.append(WriteEntry(change, {}))
    return [step for step in steps if step.entries]


def hide_until_complete(steps: list[Step]) -> list[Step]:
    """For a target whose writes are live: new menus are created hidden and shown by their update.

    The menu update step follows every section and dish create, so a customer never sees a menu
    whose content is still being created; a sync that stops half-way leaves the new menu hidden,
    and the next one (which diffs against it) finishes and shows it. A new menu that has an update
    anyway (its sections' order) is shown by that same update: no extra call.
    """
    out: list[Step] = []
    shown: list[WriteEntry] = []
    for step in steps:
        if step.op == CREATE and step.kind == MENU:
            for entry in step.entries:
                shown.append(WriteEntry(entry.change, {"visible": entry.change.after.get("visible", True)}))
            step = Step(
                step.op, step.kind, [WriteEntry(e.change, {**e.fields, "visible": False}) for e in step.entries]
            )
        out.append(step)
    if not shown:
        return out
    updates = next((s for s in out if s.op == UPDATE and s.kind == MENU), None)
    if updates is None:
        updates = Step(UPDATE, MENU)
        out.append(updates)
    existing = {id(e.change): e for e in updates.entries}
    for entry in shown:
        twin = existing.get(id(entry.change))
        if twin is not None:
            twin.fields = {**twin.fields, **entry.fields}
        else:
            updates.entries.append(entry)
    return out


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
    """Bulk calls the steps take (not counting begin/commit or reads)."""
    return sum(step.calls(batch_size) for step in steps)
