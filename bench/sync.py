"""Catalog sync benchmark: first sync and no-change re-sync of genmenu menus against a real wixsim.

    .venv/bin/python bench/sync.py [--sizes 100,1000,5000] [--modes off,on] [--backend sqlite]
        [--target catalogs-v3|menus-api] [--write-doc]

For each size and rate-limit mode (wixsim and posbridge both at Wix's 200 requests/minute, or
both unlimited) it prints wall time, Wix calls made, calls ÷ the minimum possible
(ceil(entities/20) per bulk kind + draft create + publish) and wall time ÷ the rate-limit floor
(calls × 60/200 s). Every run is a fresh tenant on a fresh database; `--write-doc` puts the table
into the "Catalog sync" section of docs/benchmarks.md. `--target menus-api` runs the same on a
new-generation site (a business location, the Menus API: bulk calls of 100, no drafts; the minimum
is one list call per kind and page + ceil(entities/100) per bulk kind) into "Catalog sync (Menus API)".
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import select

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

from _common import database_url, machine_line, write_section  # noqa: E402
from tests.sync.newgen_world import build_newgen_world  # noqa: E402
from tests.sync.world import build_world  # noqa: E402

from posbridge.config import load_settings  # noqa: E402
from posbridge.logs import configure_logging  # noqa: E402
from posbridge.store import migrate  # noqa: E402
from posbridge.store.db import Database  # noqa: E402
from posbridge.store.models import OptionGroup, SyncIdMap  # noqa: E402
from posbridge.sync.catalog import GROUP  # noqa: E402
from wixsim.testing import start_wixsim  # noqa: E402

RATE = 200  # Wix: requests per minute per app instance
BATCH = 20


@dataclass
class Result:
    """One measured sync."""

    size: int
    mode: str
    kind: str  # first | re-sync
    seconds: float
    calls: int
    minimum: int
    status: str
    retries: int
    cpu: float = float("nan")  # CPU seconds of the whole process (posbridge and the in-process wixsim)
    load: float = float("nan")  # 1-minute load average when the sync ended (the machine is shared)

    @property
    def call_ratio(self) -> float:
        """Calls made ÷ the minimum possible."""
        return self.calls / self.minimum if self.minimum else float("nan")

    @property
    def floor(self) -> float:
        """The rate limit's floor for these calls (seconds)."""
        return self.calls * 60 / RATE

    @property
    def time_ratio(self) -> float:
        """Wall time ÷ the rate-limit floor."""
        return self.seconds / self.floor if self.floor else float("nan")


def minimum_calls(summary: dict[str, Any]) -> int:
    """ceil(entities/20) per bulk kind + draft create + publish, from the sync's own counts."""
    counts = summary.get("counts") or {}
    per_kind = {
        "variations/create": counts.get("VARIATION", {}).get("create", 0),
        "menus/create": counts.get("MENU", {}).get("create", 0),
        "sections/create": counts.get("SECTION", {}).get("create", 0),
        "dishes/create": counts.get("DISH", {}).get("create", 0),
        # New variations get their price in an items update, together with dish/variation updates.
        "items/update": counts.get("VARIATION", {}).get("create", 0)
        + counts.get("VARIATION", {}).get("update", 0)
        + counts.get("DISH", {}).get("update", 0),
        "sections/update": counts.get("SECTION", {}).get("update", 0),
        "menus/update": counts.get("MENU", {}).get("update", 0),
        "menus/archive": counts.get("MENU", {}).get("archive", 0),
    }
    bulk = sum(math.ceil(n / BATCH) for n in per_kind.values())
    return bulk + 2 if bulk else 2


MENUS_BATCH, MENUS_PAGE = 100, 500
MENUS_READS = (
    "listMenus",
    "listSections",
    "listLabels",
    "listVariants",
    "listModifiers",
    "listModifierGroups",
    "listItems",
)
# Made at their minimum by design, counted as made: labels (no bulk create), groups and variants
# (full bulk calls before the first item batch), a new menu's ordering settings (no bulk upsert).
MENUS_AS_MADE = ("createLabel", "bulkCreateModifierGroups", "bulkCreateVariants", "upsertMenuOrderingSettingsByMenuId")


def menus_minimum(summary: dict[str, Any], live_items: int) -> int:
    """One list call per kind and page (+ the ordering settings when the location has menus) +
    ceil(entities/100) per bulk kind written + the calls made at their minimum by design."""
    counts = summary.get("counts") or {}
    calls = summary.get("calls") or {}
    reads = len(MENUS_READS) + max(0, math.ceil(live_items / MENUS_PAGE) - 1)  # items come 500 a page
    reads += calls.get("queryMenuOrderingSettings", 0) and 1  # one page: a location has few menus
    new_menus = counts.get("MENU", {}).get("create", 0)
    per_kind = [
        counts.get("VARIATION", {}).get("create", 0),
        counts.get("VARIATION", {}).get("update", 0),
        counts.get("DISH", {}).get("create", 0),
        counts.get("DISH", {}).get("update", 0),
        counts.get("SECTION", {}).get("create", 0),
        counts.get("SECTION", {}).get("update", 0),
        new_menus,
        counts.get("MENU", {}).get("update", 0) + new_menus,  # shown once complete
        counts.get("MENU", {}).get("archive", 0) + counts.get("MENU", {}).get("unarchive", 0),
        counts.get(GROUP, {}).get("update", 0),  # a POS option group changed: its shared group, in place
        counts.get(GROUP, {}).get("delete", 0),  # a group posbridge made that no item offers any more
    ]
    made = sum(calls.get(name, 0) for name in MENUS_AS_MADE)
    return reads + sum(math.ceil(n / MENUS_BATCH) for n in per_kind) + made


def run_menus(size: int, mode: str, sim: Any, url: str) -> list[Result]:
    """First sync and a no-change re-sync of one fresh new-generation tenant (Menus API)."""
    sim.reset()
    sim.set_rate_limit(RATE if mode == "on" else 0)
    settings = _settings(sim, url, mode)
    db = Database(settings.database_url)
    migrate.upgrade(db)
    world = build_newgen_world(db, settings, sim, items=size, menus=2, seed=size)
    return _measure(
        world,
        size,
        mode,
        lambda: world.client.call_api(world.instance_id, "GET", "/locations/v1/locations"),
        lambda summary, kind: menus_minimum(summary, 0 if kind == "first" else size),
        db,
        {GROUP_PRICE: lambda: _change_a_shared_choice_price(world)},
    )


GROUP_PRICE = "group price"  # a re-sync after one shared option group's choice price changed in the POS


def _change_a_shared_choice_price(world: Any) -> None:
    """The POS raises one choice's price in an option group synced as a shared modifier group."""
    with world.db.transaction() as session:
        group_id = session.scalar(
            select(SyncIdMap.pos_ref)
            .where(SyncIdMap.catalog_id == world.business_location_id, SyncIdMap.kind == GROUP)
            .order_by(SyncIdMap.id)
            .limit(1)
        )
        group = session.get(OptionGroup, group_id)
        assert group is not None and group.choices, "the synced menu has no modifier group"
        group.choices[0].price += Decimal("0.50")


def _check_group_price(summary: dict[str, Any]) -> None:
    """The one change is one group update in place: no item is written (the items point at the group)."""
    writes = {k: v for k, v in (summary.get("calls") or {}).items() if not k.startswith(("list", "query"))}
    assert summary.get("counts") == {GROUP: {"update": 1}}, summary.get("counts")
    assert writes == {"bulkUpdateModifierGroups": 1}, writes


def _settings(sim: Any, url: str, mode: str) -> Any:
    return load_settings(
        database_url=url,
        wix_api_base=sim.base_url,
        wix_app_id=sim.app_id,
        wix_app_secret=sim.app_secret,
        wix_public_key=sim.public_key_pem,
        secret_key="bench-secret-key-0123456789",
        wix_rate_limit_per_minute=RATE if mode == "on" else 1_000_000,
        log_level="ERROR",
        queue="immediate",
        run_worker=False,
    )


def run(size: int, mode: str, sim: Any, url: str) -> list[Result]:
    """First sync and a no-change re-sync of one fresh tenant."""
    sim.reset()
    sim.set_rate_limit(RATE if mode == "on" else 0)
    settings = _settings(sim, url, mode)
    db = Database(settings.database_url)
    migrate.upgrade(db)
    world = build_world(db, settings, sim, items=size, locations=2, menus=2, seed=size)
    return _measure(
        world,
        size,
        mode,
        lambda: world.client.call(world.instance_id, "GET", "/v3/catalogs"),
        lambda summary, _kind: minimum_calls(summary),
        db,
    )


def _measure(
    world: Any,
    size: int,
    mode: str,
    warm: Callable[[], Any],
    minimum: Callable[[dict[str, Any], str], int],
    db: Database,
    changes: dict[str, Callable[[], None]] | None = None,
) -> list[Result]:
    """A first sync and a no-change re-sync, timed (`warm` fetches the token outside the measurement);
    then a re-sync after each of `changes` (row name → the POS change, made before timing)."""
    out = []
    for kind in ("first", "re-sync", *(changes or {})):
        if changes and kind in changes:
            changes[kind]()
        warm()
        started, cpu_started = time.perf_counter(), time.process_time()
        sync = world.sync()
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu_started
        summary = sync.summary or {}
        if kind == GROUP_PRICE:
            _check_group_price(summary)
        calls = int(summary.get("callsTotal", 0))
        retries = int(summary.get("retries", 0))
        result = Result(size, mode, kind, seconds, calls, minimum(summary, kind), sync.status, retries)
        result.cpu, result.load = cpu, os.getloadavg()[0]
        out.append(result)
    db.dispose()
    return out


def table(results: list[Result], with_cpu: bool = False) -> str:
    """A Markdown table of the results (`with_cpu`: the process's CPU seconds and the load average too)."""
    extra = " cpu s | load |" if with_cpu else ""
    lines = [
        "| items | rate limit | sync | status | wall s | Wix calls | minimum | calls ÷ min | floor s "
        "| wall ÷ floor | retries |" + extra,
        "|---:|---|---|---|---:|---:|---:|---:|---:|---:|---:|" + ("---:|---:|" if with_cpu else ""),
    ]
    for r in results:
        lines.append(
            f"| {r.size} | {r.mode} | {r.kind} | {r.status} | {r.seconds:.2f} | {r.calls} | {r.minimum} "
            f"| {r.call_ratio:.3f} | {r.floor:.1f} | {r.time_ratio:.3f} | {r.retries} |"
            + (f" {r.cpu:.2f} | {r.load:.1f} |" if with_cpu else "")
        )
    return "\n".join(lines)


def main() -> None:
    """Run the matrix and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100,1000,5000")
    parser.add_argument("--modes", default="off,on")
    parser.add_argument("--backend", default="sqlite", choices=("sqlite", "postgresql"))
    parser.add_argument("--target", default="catalogs-v3", choices=("catalogs-v3", "menus-api"))
    parser.add_argument("--write-doc", action="store_true", help="update docs/benchmarks.md")
    args = parser.parse_args()
    configure_logging("ERROR", json=False)
    handle, sim = start_wixsim()
    results: list[Result] = []
    try:
        for mode in args.modes.split(","):
            for size in (int(s) for s in args.sizes.split(",")):
                with tempfile.TemporaryDirectory() as tmp, database_url(args.backend, Path(tmp)) as url:
                    runner = run_menus if args.target == "menus-api" else run
                    for result in runner(size, mode, sim, url):
                        results.append(result)
                        print(
                            f"{result.size:>5} items, rate limit {result.mode:>3}, {result.kind:<7}: "
                            f"{result.seconds:7.2f} s, {result.calls:4d} calls (min {result.minimum}, "
                            f"×{result.call_ratio:.3f}), floor {result.floor:6.1f} s (×{result.time_ratio:.3f}), "
                            f"cpu {result.cpu:.2f} s, load {result.load:.1f}",
                            flush=True,
                        )
    finally:
        sim.close()
        handle.stop()
    print()
    print(table(results, with_cpu=args.target == "menus-api"))
    if args.write_doc and args.target == "menus-api":
        write_section("Catalog sync (Menus API)", menus_section(results, args.backend))
    elif args.write_doc:
        write_section("Catalog sync", section(results, args.backend))


def section(results: list[Result], backend: str) -> str:
    """The docs/benchmarks.md section: how to run, the machine, the table, the goals."""
    return "\n".join(
        [
            f"`.venv/bin/python bench/sync.py --write-doc` — {machine_line()}, {backend}, wixsim in-process.",
            "",
            "First sync and no-change re-sync of genmenu menus (2 menus, 2 locations) into an empty Wix",
            "catalog. *Wix calls* are the sync's own logical calls (reads, draft create, bulk writes,",
            "publish; the OAuth token is fetched before timing); *minimum* is ceil(entities/20) per bulk",
            "kind + draft create + publish; *floor* is calls × 60/200 s (Wix's 200 requests/minute).",
            "Goals: calls within 5 % of the minimum; wall time within 10 % of the floor when the rate",
            "limit binds; a 1,000-item first sync under 5 s when it does not.",
            "",
            table(results),
            "",
            READING,
        ]
    )


def menus_section(results: list[Result], backend: str) -> str:
    """The docs/benchmarks.md section of the Menus API target."""
    return "\n".join(
        [
            f"`.venv/bin/python bench/sync.py --target menus-api --write-doc` — {machine_line()}, {backend}, "
            "wixsim in-process.",
            "",
            "The same genmenu menus into a new-generation site's business location (Menus API: no drafts,",
            "bulk calls of 100). *minimum* is one list call per kind and page (menus, sections, labels,",
            "variants, modifiers, modifier groups, items; the menus' ordering settings when the location has",
            "menus) + ceil(entities/100) per bulk kind written (group updates and deletes included) + the",
            "calls made at their minimum by design",
            "(label creates, group and variant bulk creates, one ordering-settings upsert per new menu: the",
            "API has no bulk for either); the Menus API has no catalog version, so a re-sync reads",
            "everything and writes nothing. *group price* is a re-sync after the POS raised one choice's",
            "price in an option group synced as a shared modifier group: one group update in place, no item",
            "written (the bench fails otherwise). Goals as for Catalogs v3. *cpu s* is the CPU time of the whole",
            "process (posbridge and the in-process wixsim); *load* the 1-minute load average as the sync",
            "ended (the 2 cores are shared with other work, so wall time can exceed CPU time).",
            "",
            table(results, with_cpu=True),
            "",
            MENUS_READING,
        ]
    )


MENUS_READING = """\
Reading: every row makes exactly the minimum of calls. The first sync's cost now grows with what
it writes: wixsim used to re-derive every entity's business locations on every write, so a
5,000-item first sync took 191 s (9.4 × its floor; 2026-11-30 18:11) while 1,000 took 3 s; it now
re-derives only what a write links or unlinks (tests/sync/test_menus_api_scale.py bounds
wixsim's calls per entity written). On this shared machine *cpu s* is the measure of the work
(posbridge and wixsim together): a few seconds for 5,000 items, a fraction of the floor. The
rate limit does not bind in any row: a sync makes fewer than 200 calls and both Wix's window and
posbridge's budget are sliding 200 a minute, so all are let through at once (no retries); where
wall time exceeds CPU time, and *wall ÷ floor* comes near or above 1, the process was waiting
for a core (see *load*), not for the rate limit. This run had the machine nearly to itself (load
0.6–0.8); an earlier run at load 8–10 took 3–8 × the wall time for the same CPU time."""


READING = """\
Reading: the one call above the minimum on a first sync is the live-catalog read (menus only,
since nothing else there can be posbridge's yet; it finds the Wix menus to archive). A no-change
re-sync is one call: the catalog's publish date is unchanged and the POS fingerprint equals the
last sync's, which proves nothing changed; its time is reading and hashing the POS menus. When the
rate limit binds (5,000 items), wall time stays under the floor because Wix's sliding window lets
the first 200 calls through at once and posbridge's budget then paces the rest, so Wix never
answered 429 (0 retries)."""


if __name__ == "__main__":
    main()
