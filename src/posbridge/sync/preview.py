"""Dry run: the exact diff the next sync would apply, read from the live catalog without writing to Wix."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from posbridge.config import Settings
from posbridge.store.db import Database
from posbridge.store.types import utcnow
from posbridge.sync.catalog import CHILDREN, PLURAL, Option, Ref, plain
from posbridge.sync.diff import Change, Diff, compute_diff
from posbridge.sync.plan import planned_calls
from posbridge.sync.prepare import prepare
from posbridge.sync.target import Atomicity, TargetKind, Wording
from posbridge.sync.targets import target_of
from posbridge.sync.validate import Problem
from posbridge.wix.client import WixClient


@dataclass
class Preview:
    """A dry run's outcome: validation problems, or the diff and the bulk calls it would take."""

    diff: Diff = field(default_factory=Diff)
    problems: list[Problem] = field(default_factory=list)
    failure_code: str | None = None
    planned_calls: int = 0
    reads: int = 0
    # POS data the target has no field for: `KIND.field` → "N entities: why" (never written, never silent).
    not_written: dict[str, str] = field(default_factory=dict)
    # The target's words: Catalogs v3 archives and publishes a draft, the Menus API hides and writes live.
    wording: Wording = field(default_factory=lambda: Atomicity.DRAFT.wording)

    def to_json(self) -> dict[str, Any]:
        """Machine-readable form (admin API, `posbridge sync --dry-run --json`)."""
        return {
            "valid": not self.problems,
            "failureCode": self.failure_code,
            "problems": [{"code": p.code, "where": p.where, "message": p.message} for p in self.problems],
            "counts": self.diff.counts(),
            "plannedCalls": self.planned_calls,
            "changes": [change_json(c, self.diff.names) for c in self.diff.changes],
            "notWritten": dict(self.not_written),
        }

    def render(self) -> str:
        """Human-readable lines, one per change and one per changed field (before → after)."""
        if self.problems:
            lines = [f"The sync would fail with {self.failure_code}:"]
            lines += [f"  - {p}" for p in self.problems]
            return "\n".join(lines)
        held = [f"Not written to Wix: {key} on {why}" for key, why in self.not_written.items()]
        if not self.diff.changes:
            return "\n".join(["No changes: the live catalog already matches the POS.", *held])
        lines = []
        for change in self.diff.changes:
            lines.append(headline(change, self.wording))
            for name in change.before or change.after:
                if change.op == "create" and name == CHILDREN.get(change.kind):
                    continue
                if change.op == "create":
                    lines.append(f"    {name}: {show(change.after.get(name), self.diff.names)}")
                else:
                    lines.extend(
                        f"    {line}"
                        for line in field_lines(name, change.before.get(name), change.after.get(name), self.diff.names)
                    )
        summary = "; ".join(
            f"{PLURAL[kind]}: " + ", ".join(f"{n} {self.wording.past[op]}" for op, n in sorted(ops.items()))
            for kind, ops in self.diff.counts().items()
        )
        calls = f"{self.planned_calls} bulk call{'' if self.planned_calls == 1 else 's'}"
        lines.append(f"Total: {summary}. {calls}; {self.wording.commit}.")
        return "\n".join(lines + held)


def dry_run(
    db: Database, settings: Settings, configuration_pk: int, *, client: WixClient, target: TargetKind | None = None
) -> Preview:
    """What the next sync of the configuration would change (reads the live catalog, never writes)."""
    kind = target or target_of(db, configuration_pk)
    problem = kind.locate(db, client, configuration_pk).problem
    if problem is not None:
        return Preview(problems=[problem], failure_code=problem.code, wording=kind.atomicity.wording)
    prepared = prepare(db, settings, configuration_pk, utcnow(), kind)
    if not prepared.verdict.ok or prepared.desired is None or prepared.id_space is None:
        return Preview(
            problems=prepared.verdict.problems, failure_code=prepared.verdict.code, wording=kind.atomicity.wording
        )
    opened = kind(client, prepared.instance_id, prepared.id_space)
    live = opened.read_live()
    appends = kind.appends_created_children
    diff = compute_diff(prepared.desired, live, prepared.id_map, prepared.ownership, appends_created_children=appends)
    steps = opened.plan(diff)
    size = opened.limits.batch_size
    held = {key: f"{count} entities: {kind.not_held[key]}" for key, count in prepared.not_written.items()}
    return Preview(
        diff=diff,
        planned_calls=planned_calls(steps, size),
        reads=sum(opened.calls.values()),
        not_written=held,
        wording=kind.atomicity.wording,
    )


def headline(change: Change, wording: Wording) -> str:
    """ "DISH update 'Margherita' [wix id]", "MENU hide 'Lunch' [wix id]" and the like, in the target's verbs."""
    where = change.wix_id or "new"
    tag = " (not created by the POS)" if change.foreign else ""
    return f"{change.kind} {wording.verb(change.op)} '{change.name}' [{where}]{tag}"


def field_lines(name: str, before: Any, after: Any, names: dict[Any, str]) -> list[str]:
    """One changed field as lines: lists of children as added/removed/reordered, options one by one."""
    if name in ("items", "sections"):
        gone = [k for k in before or () if k not in set(after or ())]
        new = [k for k in after or () if k not in set(before or ())]
        parts = []
        if gone:
            parts.append("removed " + show(gone, names))
        if new:
            parts.append("added " + show(new, names))
        kept_before = [k for k in before or () if k not in gone]
        kept_after = [k for k in after or () if k not in new]
        if kept_before != kept_after:
            parts.append("order changed")
        return [f"{name}: " + "; ".join(parts or ["unchanged"])]
    if name == "options":
        old_options, new_options = tuple(before or ()), tuple(after or ())
        out = []
        for n in range(max(len(old_options), len(new_options))):
            was = old_options[n] if n < len(old_options) else None
            now = new_options[n] if n < len(new_options) else None
            if was != now:
                out.append(f"option {n + 1}: {show(was, names)} → {show(now, names)}")
        return out or [f"{name}: {show(before, names)} → {show(after, names)}"]
    return [f"{name}: {show(before, names)} → {show(after, names)}"]


def show(value: Any, names: dict[Any, str]) -> str:
    """A field value for humans: money as text, ids as names, lists shortened."""
    if value is None:
        return "—"
    if isinstance(value, tuple | list):
        shown = [show(v, names) for v in value[:8]]
        more = f", … {len(value) - 8} more" if len(value) > 8 else ""
        return "[" + ", ".join(shown) + more + "]"
    if isinstance(value, str | Ref) and value in names:
        return repr(names[value])
    if isinstance(value, Option):
        choices = ", ".join(f"{show(k, names)} +{plain(p)}" for k, p in value.choices)
        bounds = f" {value.min_choices}..{value.max_choices}" if value.type == "EXTRAS" else ""
        return f"{value.name} ({value.type}{bounds}: {choices})"
    rendered = plain(value)
    return rendered if isinstance(rendered, str) else json.dumps(rendered, ensure_ascii=False)


def change_json(change: Change, names: dict[Any, str]) -> dict[str, Any]:
    """One change as JSON, before/after values in plain form."""
    return {
        "kind": change.kind,
        "op": change.op,
        "wixId": change.wix_id,
        "posRef": change.pos_ref,
        "name": change.name,
        "foreign": change.foreign,
        "fields": {
            name: {"before": plain(change.before.get(name)), "after": plain(change.after.get(name))}
            for name in (change.before or change.after)
        },
    }
