"""A catalog target that keeps its catalogs in memory: the runner's test double, and a reference target.

Like httpx's MockTransport, it is just another implementation of the interface, not a patch:
`MemoryTargetKind(catalogs, atomicity=...)` is passed to `run_sync(..., target=...)` or
`dry_run(..., target=...)`. Either atomicity can be played: DRAFT (writes land in a copy that
`commit` makes live and `abort` forgets) or LIVE (every write is visible at once, so new menus
are created hidden and shown last). Wix's own behaviour that the differ relies on is kept: a
created section or dish is appended to its parent's list, sections never change menus. A fault
can be injected before any call (`MemoryCatalogs.fail_before`), and a merchant's edit made
between syncs (`MemoryCatalogs.edit`). A stock write (`write_stock`) is live at once, as on Wix.
"""

from __future__ import annotations

import copy
import itertools
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from posbridge.store.db import Database
from posbridge.store.models import Configuration
from posbridge.sync.catalog import CHILDREN, DISH, MENU, SECTION, VARIATION, Entity, LiveCatalog, Option
from posbridge.sync.catalog_id import Lookup
from posbridge.sync.desired import DesiredCatalog
from posbridge.sync.diff import ARCHIVE, CREATE, UNARCHIVE, UPDATE, Diff
from posbridge.sync.plan import Layout, Step, StepSpec, WriteEntry, hide_until_complete, plan
from posbridge.sync.target import Atomicity, BeforeCall, Commit, Limits, Resolve, StockWrite
from posbridge.wix.client import WixClient

MEMORY_LAYOUT: Layout = (
    StepSpec(CREATE, VARIATION),
    StepSpec(UNARCHIVE, MENU),
    StepSpec(CREATE, MENU),
    StepSpec(CREATE, SECTION),
    StepSpec(CREATE, DISH),
    StepSpec(UPDATE, VARIATION),
    StepSpec(UPDATE, DISH),
    StepSpec(UPDATE, SECTION),
    StepSpec(UPDATE, MENU),
    StepSpec(ARCHIVE, MENU),
)
MEMORY_LIMITS = Limits(batch_size=10, max_periods=100, max_items=10_000, max_choices=100, max_scale=3)


@dataclass
class MemoryCatalog:
    """One id space's live catalog (a `LiveCatalog` whose version counts changes)."""

    content: LiveCatalog = field(default_factory=LiveCatalog)
    version: int = 0


class MemoryCatalogs:
    """Every id space's catalog, the drafts open on them, and the calls made."""

    def __init__(self) -> None:
        self.live: dict[str, MemoryCatalog] = {}
        self.drafts: dict[str, LiveCatalog] = {}
        self.calls: Counter[str] = Counter()
        # Called with the endpoint name before every call; raising from it is a failed call.
        self.fail_before: Callable[[str], None] | None = None
        self._ids = itertools.count(1)

    def catalog(self, id_space: str) -> MemoryCatalog:
        """The live catalog of an id space (empty until written)."""
        return self.live.setdefault(id_space, MemoryCatalog())

    def new_id(self, kind: str) -> str:
        """A fresh id, as Wix assigns one."""
        return f"mem-{kind.lower()}-{next(self._ids)}"

    def edit(self, id_space: str, wix_id: str, **fields: Any) -> None:
        """A merchant's edit of a live entity (outside any sync)."""
        catalog = self.catalog(id_space)
        for pool in (catalog.content.menus, catalog.content.sections, catalog.content.items):
            if wix_id in pool:
                pool[wix_id].fields.update(fields)
                catalog.version += 1
                return
        raise KeyError(wix_id)


class MemoryTargetKind:
    """The memory target's declarations; calling it opens one id space."""

    name = "memory"
    layout = MEMORY_LAYOUT
    missing_id_space = "This location has no catalog yet"
    appends_created_children = True
    not_held: dict[str, str] = {}

    @staticmethod
    def project(desired: DesiredCatalog) -> DesiredCatalog:
        """The memory target holds every field."""
        return desired

    def __init__(
        self, catalogs: MemoryCatalogs, *, atomicity: Atomicity = Atomicity.LIVE, limits: Limits = MEMORY_LIMITS
    ) -> None:
        self.catalogs = catalogs
        self.atomicity = atomicity
        self.limits = limits

    def id_space(self, configuration: Configuration) -> str | None:
        """The configuration's catalog id names its memory catalog."""
        return configuration.catalog_id

    def locate(self, db: Database, client: WixClient, configuration_pk: int) -> Lookup:
        """Nothing to learn: the id space is the configuration's catalog id."""
        return Lookup(asked=False)

    def __call__(
        self, client: WixClient, instance_id: str, id_space: str, /, *, before_call: BeforeCall | None = None
    ) -> MemoryTarget:
        return MemoryTarget(self, id_space, before_call)


class MemoryTarget:
    """One memory catalog opened for a sync or a dry run."""

    def __init__(self, kind: MemoryTargetKind, id_space: str, before_call: BeforeCall | None) -> None:
        self.kind = kind
        self.limits = kind.limits
        self.atomicity = kind.atomicity
        self.catalogs = kind.catalogs
        self.id_space = id_space
        self.calls: Counter[str] = Counter()
        self._before_call = before_call

    def _call(self, name: str) -> None:
        if self._before_call is not None:
            self._before_call(name)
        if self.catalogs.fail_before is not None:
            self.catalogs.fail_before(name)
        self.calls[name] += 1
        self.catalogs.calls[name] += 1

    def _writable(self) -> LiveCatalog:
        if self.atomicity is Atomicity.DRAFT:
            return self.catalogs.drafts[self.id_space]
        return self.catalogs.catalog(self.id_space).content

    def live_version(self) -> str | None:
        """The catalog's change counter."""
        self._call("version")
        catalog = self.catalogs.live.get(self.id_space)
        return str(catalog.version) if catalog is not None and catalog.version else None

    def read_live(self, *, sections: bool = True, items: bool = True) -> LiveCatalog:
        """A copy of the live catalog."""
        self._call("read")
        content = copy.deepcopy(self.catalogs.catalog(self.id_space).content)
        return LiveCatalog(
            menus=content.menus,
            sections=content.sections if sections else {},
            items=content.items if items else {},
            version=self.live_version(),
        )

    def plan(self, diff: Diff) -> list[Step]:
        """One step per op and kind; on LIVE, new menus hidden until their update shows them."""
        steps = plan(diff, self.kind.layout)
        return hide_until_complete(steps) if self.atomicity is Atomicity.LIVE else steps

    def begin(self) -> None:
        """DRAFT: copy the live catalog into a draft (replacing a leftover one)."""
        if self.atomicity is Atomicity.DRAFT:
            self._call("begin")
            self.catalogs.drafts[self.id_space] = copy.deepcopy(self.catalogs.catalog(self.id_space).content)

    def write(self, op: str, kind: str, entries: list[WriteEntry], resolve: Resolve) -> list[str]:
        """Apply one batch; ids in order."""
        assert 1 <= len(entries) <= self.limits.batch_size
        self._call(f"{op}:{kind}")
        content = self._writable()
        ids = [self._apply(content, op, kind, entry, resolve) for entry in entries]
        if self.atomicity is Atomicity.LIVE:
            self.catalogs.catalog(self.id_space).version += 1
        return ids

    def commit(self, last_version: str | None) -> Commit:
        """DRAFT: the draft becomes live; LIVE: already live. The new version."""
        catalog = self.catalogs.catalog(self.id_space)
        if self.atomicity is Atomicity.DRAFT:
            self._call("commit")
            catalog.content = self.catalogs.drafts.pop(self.id_space)
            catalog.version += 1
        return Commit(str(catalog.version))

    def abort(self) -> None:
        """DRAFT: forget the draft; LIVE: nothing to forget."""
        if self.atomicity is Atomicity.DRAFT:
            self._call("abort")
            self.catalogs.drafts.pop(self.id_space, None)

    def write_stock(self, kind: str, wix_id: str, in_stock: bool) -> StockWrite:
        """The live entity's `inStock`, whatever the atomicity (no draft, as on Wix); GONE when it is not there."""
        self._call(f"stock:{kind}")
        entity = self.catalogs.catalog(self.id_space).content.get(kind, wix_id)
        if entity is None:
            return StockWrite.GONE
        if (entity.fields.get("inStock", True) is not False) == in_stock:
            return StockWrite.ALREADY
        entity.fields["inStock"] = in_stock
        return StockWrite.WRITTEN

    def _apply(self, content: LiveCatalog, op: str, kind: str, entry: WriteEntry, resolve: Resolve) -> str:
        fields = _resolved(entry.fields, resolve)
        if op == CREATE:
            wix_id = self.catalogs.new_id(kind)
            parent = None
            if kind == SECTION:
                parent = resolve(entry.parent[0])
                _append(content.menus[parent], wix_id)
            elif kind == DISH:
                _append(content.sections[resolve(entry.parent[1])], wix_id)
            if kind in CHILDREN:
                fields.setdefault(CHILDREN[kind], ())
            content.pool(kind)[wix_id] = Entity(kind, wix_id, fields, parent=parent)
            return wix_id
        wix_id = resolve(entry.change.key)
        entity = content.pool(kind)[wix_id]
        if op == UPDATE:
            entity.fields.update(fields)
        else:
            entity.archived = op == ARCHIVE
        return wix_id


def _append(parent: Entity, child: str) -> None:
    name = CHILDREN[parent.kind]
    parent.fields[name] = (*parent.fields.get(name, ()), child)


def _resolved(fields: dict[str, Any], resolve: Resolve) -> dict[str, Any]:
    out = dict(fields)
    for name in ("sections", "items"):
        if name in out:
            out[name] = tuple(resolve(k) for k in out[name])
    if "options" in out:
        out["options"] = tuple(Option.with_keys(o, resolve) for o in out["options"])
    return out
