"""Where a sync writes: the catalog target interface every Wix catalog API implements.

The desired catalog, the differ and the planner's dependency order speak the neutral model of
`posbridge.sync.catalog`. What differs between Wix's catalog APIs sits behind a target:

- its **limits** (bulk size, availability periods, items and choices, money scale), which the
  validator checks before anything is written;
- its **atomicity**: `DRAFT` (Catalogs v3: every write lands in a draft that one publish makes
  live and a discard forgets) or `LIVE` (the Menus API: every write is live at once, so a new
  menu is created hidden and revealed only once complete, and an interrupted sync leaves nothing
  half-built in sight);
- its **id space**: the scope the sync id map is keyed by (a Catalogs v3 catalog id; for the
  Menus API, a business location, since its menus and sections belong to one), and how it is
  learnt for a paired location (`locate`);
- its **steps**: which write calls exist and which entity kinds share one (Catalogs v3 updates
  dishes and variations through one items call); the planner keeps the dependency order;
- its wire mapping, reads, writes and the repair of a commit whose answer was lost;
- its **stock write**: one dish's or choice's in-stock flag set on the live catalog at once, outside
  any sync (`CatalogTarget.write_stock`, what `services/stock_push.py` calls), and which Wix errors
  mean the id space itself is gone (`IdSpaceGone`, which fails a sync as LOCATION_NOT_FOUND).

A target kind is a class: its class attributes and `locate` need no Wix connection, and calling
it opens a target for one id space. `run_sync(..., target=...)` and `dry_run` take any kind;
`posbridge.sync.memory.MemoryTarget` is one that holds its catalog in memory (a test double is
just another implementation).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Protocol

from posbridge.sync.catalog import Key, LiveCatalog
from posbridge.wix.errors import WixApiError

if TYPE_CHECKING:
    from posbridge.store.db import Database
    from posbridge.store.models import Configuration
    from posbridge.sync.catalog_id import Lookup
    from posbridge.sync.desired import DesiredCatalog
    from posbridge.sync.diff import Diff
    from posbridge.sync.plan import Layout, Step, WriteEntry
    from posbridge.wix.client import WixClient

Resolve = Callable[[Key], str]
BeforeCall = Callable[[str], None]


class Atomicity(StrEnum):
    """How a target keeps a half-applied sync out of customers' sight."""

    DRAFT = "draft"  # writes go to a draft; publish makes them live at once, discard forgets them
    LIVE = "live"  # every write is live; new menus stay hidden until everything under them exists

    @property
    def wording(self) -> Wording:
        """How this target's writes read to people (dry run, sync summary)."""
        return _WORDING[self]


@dataclass(frozen=True)
class Wording:
    """The words for a target's operations: a menu set aside is archived on Catalogs v3, hidden on the Menus API."""

    verbs: dict[str, str]  # op → the verb shown for it, where it is not the op's own name
    past: dict[str, str]  # op → its past participle
    commit: str  # what follows "N bulk calls" in a dry run's total: how the writes become live
    foreign_menus: str  # the sync summary's line for the site's own menus set aside

    def verb(self, op: str) -> str:
        """The verb for an op ("archive" → "hide" on a live target)."""
        return self.verbs.get(op, op)


_PAST = {"create": "created", "update": "updated", "detach": "detached", "delete": "deleted"}
_WORDING = {
    Atomicity.DRAFT: Wording(
        verbs={},
        past=_PAST | {"archive": "archived", "unarchive": "unarchived"},
        commit="draft create and publish",
        foreign_menus="archived Wix menus the POS does not own",
    ),
    Atomicity.LIVE: Wording(
        verbs={"archive": "hide", "unarchive": "show"},
        past=_PAST | {"archive": "hidden", "unarchive": "shown"},
        commit="no draft or publish: every write is live, new menus stay hidden until complete",
        foreign_menus="hidden Wix menus the POS does not own",
    ),
}


@dataclass(frozen=True)
class Limits:
    """What one catalog of this target may hold; the validator reports beyond it (OVERLOADED_MENU)."""

    batch_size: int  # entities per bulk call
    max_periods: int  # availability periods per entity
    max_items: int  # dishes per catalog (our limit where Wix states none)
    max_choices: int  # choices per option group
    max_scale: int  # decimals of money and tax rates


@dataclass(frozen=True)
class Commit:
    """A commit's outcome: the new live version, and whether it was confirmed after its answer was lost."""

    version: str | None
    confirmed: bool = False


class LiveChanged(Exception):
    """The live catalog changed under the sync (a merchant's edit: a stale revision): read and diff again."""


class IdSpaceGone(WixApiError):
    """Wix no longer has the id space a target writes to (a deleted Catalogs v3 catalog): the location is gone.

    Still a WixApiError, with Wix's status, code and endpoint, so a target's own handling of a 404
    (a draft already gone) sees it as before; the runner reports it as LOCATION_NOT_FOUND.
    """

    @classmethod
    def of(cls, exc: WixApiError) -> IdSpaceGone:
        """The same Wix answer, read as the id space's absence."""
        return cls(exc.status, exc.code, exc.message, exc.body, exc.request_id, method=exc.method, path=exc.path)


class StockWrite(StrEnum):
    """What `CatalogTarget.write_stock` did."""

    WRITTEN = "written"
    ALREADY = "already"  # the live entity already showed it: nothing written
    GONE = "gone"  # not in the live catalog (deleted on Wix): the next full sync puts it back, stock included


class RejectedEntities(Exception):
    """Wix refused some entries of a bulk call (a 200 that holds failures)."""

    def __init__(self, endpoint: str, failures: list[tuple[str, str, str]]) -> None:
        self.endpoint = endpoint
        self.failures = failures  # (entity name, Wix code, Wix description)
        name, code, description = failures[0]
        more = f" (and {len(failures) - 1} more)" if len(failures) > 1 else ""
        super().__init__(f"Wix rejected '{name}': {code} {description}{more}")


class CatalogTarget(Protocol):
    """One id space of one target, opened for a sync or a dry run."""

    @property
    def limits(self) -> Limits: ...
    @property
    def atomicity(self) -> Atomicity: ...

    calls: Counter[str]  # logical calls made, per endpoint name

    def live_version(self) -> str | None:
        """A marker that changes whenever the live catalog changes through a commit (None if never)."""
        ...

    def read_live(self, *, sections: bool = True, items: bool = True) -> LiveCatalog:
        """The live catalog, archived menus included; sections/items may be skipped when none can be ours."""
        ...

    def plan(self, diff: Diff) -> list[Step]:
        """The diff as this target's write steps, in dependency order."""
        ...

    def begin(self) -> None:
        """Start writing (DRAFT: open a draft, discarding one a crashed sync left; LIVE: nothing)."""
        ...

    def write(self, op: str, kind: str, entries: list[WriteEntry], resolve: Resolve) -> list[str]:
        """Apply at most `limits.batch_size` entries of one step; the Wix id of each entry, in order."""
        ...

    def commit(self, last_version: str | None) -> Commit:
        """Make the writes final; the new live version.

        `last_version` is the version the previous successful sync recorded: a DRAFT target whose
        publish answer was lost tells a publish that went through from one that did not by it.
        """
        ...

    def abort(self) -> None:
        """Forget uncommitted writes where the target can (DRAFT: discard; LIVE: hidden menus stay hidden)."""
        ...

    def write_stock(self, kind: str, wix_id: str, in_stock: bool) -> StockWrite:
        """Show one live dish (or choice: kind VARIATION) in or out of stock at once, outside any sync.

        Whatever the atomicity, the write is live (no draft, no publish) and touches only the in-stock
        flag. GONE when Wix has no such entity; any other Wix error is raised (its `retryable` says
        whether a later try may succeed).
        """
        ...


class TargetKind(Protocol):
    """A catalog target class: its declarations, how a paired location finds its id space, and opening one."""

    @property
    def name(self) -> str: ...
    @property
    def limits(self) -> Limits: ...
    @property
    def atomicity(self) -> Atomicity: ...
    @property
    def layout(self) -> Layout: ...
    @property
    def missing_id_space(self) -> str:
        """What the validator says when a paired location's id space is not known (and Wix gave none)."""
        ...

    @property
    def appends_created_children(self) -> bool:
        """Whether creating a section or dish appends it to its parent's list (the differ predicts it)."""
        ...

    @property
    def not_held(self) -> dict[str, str]:
        """POS data the target has no field for, `KIND.field` → why; a sync reports what it could not write."""
        ...

    def project(self, desired: DesiredCatalog) -> DesiredCatalog:
        """The desired catalog as this target can hold it (fields it lacks dropped, shapes it reads back
        differently normalised), so the diff never asks for what the target cannot store."""
        ...

    def id_space(self, configuration: Configuration) -> str | None:
        """The id space a paired location's catalog lives in, if known (keys the sync id map)."""
        ...

    def locate(self, db: Database, client: WixClient, configuration_pk: int) -> Lookup:
        """Learn and store the paired location's id space from Wix when it is not known yet."""
        ...

    def __call__(
        self, client: WixClient, instance_id: str, id_space: str, /, *, before_call: BeforeCall | None = None
    ) -> CatalogTarget:
        """Open the target for one id space of one site."""
        ...
