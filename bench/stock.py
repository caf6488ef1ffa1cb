"""Stock → Wix benchmark: time from a POS stock change to the live Wix item changing (p50/p99 over 200 changes).

posbridge is served over real HTTP with its in-process job worker, wixsim plays Wix, and a synced
tenant's dishes are 86ed and restored in turn through the admin API (`POST /api/v1/stock/{item}/86`,
`…/restore`), one at a time; the script waits until wixsim's live item shows the change. The latency
is the time wixsim logged the item's PATCH (same machine clock) minus the moment the change was sent.
The path: the change commits with its push job, wakes the queue, a worker reads the stock and PATCHes
`inStock` (OAuth token cached, rate budget spent). The rate limit is ON, on both sides: Wix's 200
requests a minute per site (wixsim) and posbridge's budget for it; the changes are paced at
`--per-minute` (150: under the limit, with room for the token and the sync's calls) and rotate
over the tenant's dishes, so each item changes about every `dishes × pace` seconds — more often
than once a second would wait for the per-item spacing. Goal: p99 under 2 s.

    .venv/bin/python bench/stock.py [--setups sqlite/sqlite,postgresql/redis] [--changes 200] [--write-doc]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import datetime
from pathlib import Path
from typing import Any

from _common import database_url, latency_stats, table_section, write_section
from tests.orders.kitchen_world import Kitchen, kitchen_settings, running_kitchen
from tests.support.signer import TestSigner

from posbridge.store import migrate
from posbridge.store.db import Database
from posbridge.store.models import Item
from wixsim.client import WixSimClient
from wixsim.testing import running_wixsim


def dishes(kitchen: Kitchen) -> list[tuple[str, str]]:
    """(POS item id, Wix item id) of every synced dish."""
    out = []
    with kitchen.world.db.transaction(write=False) as session:
        for (kind, ref), row in kitchen.world.id_map().items():
            item = session.get(Item, ref) if kind == "DISH" else None
            if item is not None:
                out.append((item.pos_id, row.wix_id))
    return sorted(out)


def patched_at(sim: WixSimClient, instance_id: str, wix_id: str, after: float) -> float | None:
    """When wixsim logged the last PATCH of the item after `after` (epoch seconds), or None."""
    log = sim.request_log(endpoint="updateItem", instance_id=instance_id)["requests"]
    times = [
        datetime.fromisoformat(entry["time"].replace("Z", "+00:00")).timestamp()
        for entry in log
        if entry["path"].endswith(f"/items/{wix_id}")
    ]
    later = [t for t in times if t >= after - 0.01]
    return max(later) if later else None


def change_and_wait(kitchen: Kitchen, item: str, wix_id: str, out: bool) -> float:
    """Seconds from sending the change to Wix's live item showing it."""
    merchant = kitchen.world.document["merchant"]["id"]
    body = {"locationId": "loc-1", "merchantId": merchant}
    sent = time.time()
    response = kitchen.admin.post(
        f"/api/v1/stock/{item}/{'86' if out else 'restore'}", json=body, params={"instanceId": kitchen.instance_id}
    )
    assert response.status_code == 200, response.text
    deadline = time.monotonic() + 60
    while kitchen.world.live()["items"][wix_id]["inStock"] is out:
        assert time.monotonic() < deadline, f"{item} never changed at Wix"
        time.sleep(0.005)
    at = patched_at(kitchen.sim, kitchen.instance_id, wix_id, sent)
    assert at is not None
    return at - sent


def run_setup(
    db_backend: str, queue: str, changes: int, per_minute: int, folder: Path, sim: WixSimClient
) -> dict[str, Any]:
    """One setup (database backend, queue storage): time `changes` paced stock changes."""
    with database_url(db_backend, folder) as url:
        db = Database(url)
        migrate.upgrade(db)
        overrides: dict[str, Any] = {"queue": queue, "log_level": "WARNING"}
        if queue == "redis":
            overrides["redis_url"] = "redis://127.0.0.1:6379/0"
        settings = kitchen_settings(db, TestSigner(app_id=sim.app_id), sim, folder, **overrides)
        with running_kitchen(settings, db, sim, items=40) as kitchen:
            targets = dishes(kitchen)
            kitchen.sim.clear_request_log()
            latencies, state = [], dict.fromkeys((w for _, w in targets), True)
            pace = 60.0 / per_minute
            started = time.monotonic()
            for n in range(changes):
                item, wix_id = targets[n % len(targets)]
                latencies.append(change_and_wait(kitchen, item, wix_id, out=state[wix_id]))
                state[wix_id] = not state[wix_id]
                time.sleep(max(0.0, started + (n + 1) * pace - time.monotonic()))
            calls = kitchen.sim.request_log(instance_id=kitchen.instance_id)["requests"]
            direct = [c["durationMs"] / 1000 for c in calls if c["endpoint"] == "updateItem"]
            throttled = sum(1 for c in calls if str(c.get("status")) == "429")
        db.dispose()
    return {
        "setup": f"{db_backend} / {queue}",
        "changes": len(latencies),
        "dishes": len(targets),
        **latency_stats(latencies, direct),
        "writes": len(direct),
        "throttled": throttled,
    }


def main() -> None:
    """Run the benchmark, print the table, optionally write docs/benchmarks.md's section."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--setups", default="sqlite/sqlite,postgresql/redis")
    parser.add_argument("--changes", type=int, default=200)
    parser.add_argument("--per-minute", type=int, default=150)
    parser.add_argument("--write-doc", action="store_true")
    args = parser.parse_args()
    rows = []
    with running_wixsim() as sim:
        sim.set_rate_limit(200)  # Wix's own limit per site, on
        for setup in args.setups.split(","):
            backend, queue = setup.split("/")
            with tempfile.TemporaryDirectory() as tmp:
                r = run_setup(backend, queue, args.changes, args.per_minute, Path(tmp), sim)
            row = (
                f"| {r['setup']} | {r['changes']} | {r['writes']} | {r['throttled']} | {r['p50']:.1f} "
                f"| {r['p99']:.1f} | {r['max']:.1f} | {r['direct']:.1f} | {r['p99'] / 2000:.3f} |"
            )
            rows.append(row)
            print(row, flush=True)
    body = table_section(
        "stock.py",
        f"wixsim in-process, {args.per_minute} changes a minute over 40 dishes",
        __doc__,
        "| database / queue | changes | item writes | 429s | p50 ms | p99 ms | max ms | direct ms | p99 ÷ 2 s goal |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
        rows,
    )
    if args.write_doc:
        write_section("Stock change to Wix", body)


if __name__ == "__main__":
    main()
