"""Kitchen → Wix benchmark: time from a kitchen action to Wix's order status changing (p50/p99 over 200 actions).

posbridge is served over real HTTP with its in-process job worker, wixsim plays Wix, and a synced
tenant's orders are placed through wixsim's checkout (Validate and Create Order against posbridge).
Then, one at a time, each order is accepted and fulfilled through the admin API (`POST
/api/v1/orders/{id}/accept|fulfill`) and the script waits until wixsim has recorded the change; the
latency is the status step's time at wixsim (its history's millisecond timestamp, same machine
clock) minus the moment the action was sent. The path: the action commits the move and its
outbound job, wakes the queue, a worker takes it, reads the job, holds the order's lease, calls
Wix's Orders API (OAuth token cached, rate budget checked) and records the outcome.
Wix's 200 requests a minute (and posbridge's budget for it) are lifted: paced, 200 actions take a
minute whatever the path costs. *direct* is Wix's own call (the accept/fulfill round trip from
wixsim's log): the ratio shows what the queue adds. Goal: p99 under 1 s (the field's handoff, peers.md: 1–2 s).

    .venv/bin/python bench/kitchen.py [--setups sqlite/sqlite,postgresql/redis] [--actions 200] [--write-doc]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from datetime import datetime
from pathlib import Path
from typing import Any

from _common import database_url, machine_line, write_section
from tests.orders.kitchen_world import Kitchen, kitchen_settings, running_kitchen
from tests.support.signer import TestSigner

from posbridge.store import migrate
from posbridge.store.db import Database
from wixsim.client import WixSimClient
from wixsim.testing import running_wixsim


def percentile(values: list[float], q: float) -> float:
    """The q-quantile (nearest rank) of values."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered)) - 1))]


def wix_time(kitchen: Kitchen, wix_id: str, status: str) -> float | None:
    """When wixsim recorded the order reaching `status` (epoch seconds), or None if not yet."""
    for step in kitchen.sim.order(wix_id)["statusHistory"]:
        if step["status"] == status:
            return datetime.fromisoformat(step["at"].replace("Z", "+00:00")).timestamp()
    return None


def act_and_wait(kitchen: Kitchen, pos_id: str, wix_id: str, action: str, status: str) -> float:
    """Seconds from sending the action to Wix recording the status."""
    sent = time.time()
    response = kitchen.act(pos_id, action)
    assert response.status_code == 200, response.text
    deadline = time.monotonic() + 30
    while (at := wix_time(kitchen, wix_id, status)) is None:
        assert time.monotonic() < deadline, f"{wix_id} never became {status}"
        time.sleep(0.002)
    return at - sent


def run_setup(db_backend: str, queue: str, actions: int, folder: Path, sim: WixSimClient) -> dict[str, Any]:
    """One setup (database backend, queue storage): place orders, then time accept and fulfil of each."""
    with database_url(db_backend, folder) as url:
        db = Database(url)
        migrate.upgrade(db)
        # 200 actions (and a status read each) in well under a minute would spend Wix's 200 requests a
        # minute and wait for the budget: the benchmark measures the path, so both limits are lifted.
        overrides: dict[str, Any] = {"queue": queue, "log_level": "WARNING", "wix_rate_limit_per_minute": 100_000}
        if queue == "redis":
            overrides["redis_url"] = "redis://127.0.0.1:6379/0"
        settings = kitchen_settings(db, TestSigner(app_id=sim.app_id), sim, folder, **overrides)
        with running_kitchen(settings, db, sim) as kitchen:
            orders = [kitchen.checkout() for _ in range(actions // 2)]
            kitchen.sim.clear_request_log()
            latencies = []
            for placed in orders:
                for action, status in (("accept", "ACCEPTED"), ("fulfill", "FULFILLED")):
                    latencies.append(act_and_wait(kitchen, placed["posOrderId"], placed["orderId"], action, status))
            calls = kitchen.sim.request_log(instance_id=kitchen.instance_id)["requests"]
            direct = [c["durationMs"] / 1000 for c in calls if c["endpoint"] in ("acceptOrder", "fulfillOrder")]
        db.dispose()
    ms = [s * 1000 for s in latencies]
    return {
        "setup": f"{db_backend} / {queue}",
        "actions": len(ms),
        "p50": percentile(ms, 0.5),
        "p99": percentile(ms, 0.99),
        "max": max(ms),
        "mean": statistics.fmean(ms),
        "direct": statistics.median(direct) * 1000 if direct else 0.0,
    }


def main() -> None:
    """Run the benchmark, print the table, optionally write docs/benchmarks.md's section."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--setups", default="sqlite/sqlite,sqlite/redis,postgresql/redis")
    parser.add_argument("--actions", type=int, default=200)
    parser.add_argument("--write-doc", action="store_true")
    args = parser.parse_args()
    rows = []
    with running_wixsim() as sim:
        sim.set_rate_limit(None)
        for setup in args.setups.split(","):
            backend, queue = setup.split("/")
            with tempfile.TemporaryDirectory() as tmp:
                r = run_setup(backend, queue, args.actions, Path(tmp), sim)
            row = (
                f"| {r['setup']} | {r['actions']} | {r['p50']:.1f} | {r['p99']:.1f} | {r['max']:.1f} "
                f"| {r['direct']:.1f} | {r['p50'] / max(r['direct'], 0.1):.1f} | {r['p99'] / 1000:.3f} |"
            )
            rows.append(row)
            print(row, flush=True)
    body = "\n".join(
        [
            f"`.venv/bin/python bench/kitchen.py --write-doc` — {machine_line()}, wixsim in-process.",
            "",
            (__doc__ or "").split("\n\n", 1)[1].split("\n\n    ")[0].strip(),
            "",
            "| database / queue | actions | p50 ms | p99 ms | max ms | direct ms | p50 ÷ direct | p99 ÷ 1 s goal |",
            "|---|---:|---:|---:|---:|---:|---:|---:|",
            *rows,
        ]
    )
    if args.write_doc:
        write_section("Kitchen action to Wix", body)


if __name__ == "__main__":
    main()
