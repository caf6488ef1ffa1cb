"""Deliveries per second to a merchant's own POS (issue 14 §8).

A tenant whose merchant has its own POS takes `--orders` orders through Create Order (each owes the
POS its signed `order.created` webhook, written with the order); the POS emulator (a real HTTP
server that verifies every Standard Webhooks signature and answers its own order id) is then fed by
`--workers` threads running the delivery loop the job queue runs (`deliver_due`: claim, sign, POST,
record the attempt, keep the POS's id). The rate is delivered webhooks ÷ wall time of the drain.

    .venv/bin/python bench/pos_deliveries.py [--backends sqlite,postgresql] [--orders 300] [--workers 1,2] [--write-doc]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
from _common import database_url, machine_line, write_section
from sqlalchemy import func, select
from tests.conftest import make_settings
from tests.support.fixtures_pos import build_pos
from tests.support.orders import FRIDAY_EVENING, line, wix_order
from tests.support.pos_emulator import PosEmulator, running_pos
from tests.support.signer import TestSigner

from posbridge.logs import configure_logging
from posbridge.services import pos_deliveries
from posbridge.services.ordering import create_order
from posbridge.store import migrate
from posbridge.store.db import Database
from posbridge.store.models import Merchant, PosDelivery
from posbridge.store.types import utcnow

HEADING = "Deliveries to a merchant's own POS"


def run(backend: str, orders: int, workers: int, folder: Path) -> dict[str, float]:
    """One measurement: place `orders`, then drain their deliveries with `workers` threads."""
    with database_url(backend, folder) as url:
        db = Database(url)
        migrate.upgrade(db)
        settings = make_settings(url, TestSigner(app_id="bench-pos-deliveries"))
        world = build_pos(
            db, "6f1e2a9c-0000-4000-8000-" + f"{workers:012d}", stock={}, location={"orders_per_slot": None}
        )
        with running_pos(PosEmulator()) as pos, pos_deliveries.http_client() as http:
            with db.transaction(write=False) as session:
                merchant = session.scalar(select(Merchant.pos_id).where(Merchant.id == world.merchant))
            info = pos_deliveries.set_pos(db, merchant_id=str(merchant), url=pos.url, secret_key=settings.secret_key)
            pos.secret = info.secret or ""
            for _ in range(orders):
                create_order(
                    db, **world.ids(), order=wix_order([line("item-3")]), paid_by_pos_gateway=True, now=FRIDAY_EVENING
                )
            started = time.perf_counter()
            with ThreadPoolExecutor(max_workers=workers) as pool:
                while True:
                    due = pos_deliveries.due_orders(db, utcnow())
                    if not due:
                        break
                    chunks = [due[i::workers] for i in range(workers)]
                    list(pool.map(lambda ids: [_deliver(db, settings.secret_key, http, i) for i in ids], chunks))
            elapsed = time.perf_counter() - started
            with db.transaction(write=False) as session:
                delivered = session.scalar(
                    select(func.count()).select_from(PosDelivery).where(PosDelivery.status == "DELIVERED")
                )
            assert pos.rejected == [], pos.rejected
            assert delivered == orders == len(pos.unique()), (delivered, orders, len(pos.unique()))
        db.dispose()
        return {"delivered": float(delivered or 0), "seconds": elapsed, "per_second": (delivered or 0) / elapsed}


def _deliver(db: Database, secret_key: str, http: httpx.Client, pos_order_id: str) -> None:
    pos_deliveries.deliver_order(db, pos_order_id, secret_key=secret_key, http=http)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--orders", type=int, default=300)
    parser.add_argument("--workers", default="1,2")
    parser.add_argument("--write-doc", action="store_true")
    args = parser.parse_args()
    configure_logging("WARNING")
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for backend in args.backends.split(","):
            for workers in (int(w) for w in args.workers.split(",")):
                result = run(backend, args.orders, workers, Path(tmp))
                rows.append((backend, workers, result))
                print(f"{backend} workers={workers}: {result['delivered']:.0f} in {result['seconds']:.2f} s "
                      f"= {result['per_second']:.0f}/s")  # fmt: skip
    if args.write_doc:
        table = "\n".join(
            f"| {backend} | {workers} | {r['delivered']:.0f} | {r['seconds']:.2f} | {r['per_second']:.0f} |"
            for backend, workers, r in rows
        )
        write_section(
            HEADING,
            f"`.venv/bin/python bench/pos_deliveries.py --write-doc` — {machine_line()}.\n\n"
            + __doc__.split("\n\n")[1]
            + "\n\n| database | workers | delivered | seconds | webhooks/s |\n|---|---:|---:|---:|---:|\n"
            + table
            + "\n\nEach delivery is two short write transactions (the claim; the attempt's log row and outcome) and one"
            " signed HTTP call to a POS on the same machine; a real POS's answer time adds to each call, and"
            " workers overlap those waits. The machine is shared with other work while measuring (load average"
            " 3–7 on 2 cores), so runs of the same setup vary by up to 2×.",
        )


if __name__ == "__main__":
    main()
