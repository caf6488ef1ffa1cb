"""Menu import benchmark: the 2,000-item / 3-location / 4-menu genmenu document on SQLite and PostgreSQL.

    .venv/bin/python bench/import_menu.py [--items 2000] [--backends sqlite,postgresql] [--repeat 3] [--write-doc]

Per backend it times (best of `--repeat`, each on a fresh database): validation alone, the first
import, a re-import of the same document (a no-op), and a re-import with 5 % of the prices changed.
Ratios: each time ÷ the 10 s budget the product sets for a first import, and the no-op re-import
÷ the first import. `--write-doc` also records the table in docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import copy
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from _common import database_url, machine_line, write_section  # noqa: E402
from genmenu import build  # noqa: E402

from posbridge.pos.importer import import_menu  # noqa: E402
from posbridge.pos.menu_format import parse_document  # noqa: E402
from posbridge.store import migrate  # noqa: E402
from posbridge.store.db import Database  # noqa: E402

BUDGET_SECONDS = 10.0


@dataclass
class Result:
    """Best times (seconds) of one backend."""

    backend: str
    validate: float
    first: float
    noop: float
    changed: float
    rows: int
    changed_rows: int


def _timed(action: Callable[..., Any], *args: Any) -> tuple[float, Any]:
    start = time.perf_counter()
    value = action(*args)
    return time.perf_counter() - start, value


def _with_new_prices(document: dict[str, Any]) -> dict[str, Any]:
    changed = copy.deepcopy(document)
    for item in changed["items"][::20]:
        item["price"] = str(Decimal(item["price"]) + Decimal("0.25"))
    return changed


def run(backend: str, document: dict[str, Any], repeat: int, tmp: Path) -> Result:
    """Best-of-`repeat` timings on fresh databases of one backend."""
    best: Result | None = None
    changed_document = _with_new_prices(document)
    for attempt in range(repeat):
        folder = tmp / f"{backend}-{attempt}"
        folder.mkdir()
        with database_url(backend, folder) as url:
            db = Database(url)
            try:
                migrate.upgrade(db)
                validate, _ = _timed(parse_document, document)
                first, report = _timed(import_menu, db, document)
                noop, again = _timed(import_menu, db, document)
                changed, update = _timed(import_menu, db, changed_document)
            finally:
                db.dispose()
        assert again.changed == 0, "a re-import of the same document must change nothing"
        result = Result(backend, validate, first, noop, changed, report.changed, update.changed)
        if best is None or result.first < best.first:
            best = result
    assert best is not None
    return best


def table(results: list[Result], items: int) -> str:
    """A Markdown table of the results."""
    lines = [
        f"{items} items, 3 locations, 4 menus (genmenu seed 7). Times in seconds, best of the runs; "
        f"ratio = time ÷ the {BUDGET_SECONDS:g} s budget.",
        "",
        "| backend | validate | first import | ratio | no-op re-import | ÷ first | 5 % prices changed | ratio |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        lines.append(
            f"| {r.backend} | {r.validate:.3f} | {r.first:.3f} ({r.rows} rows) | {r.first / BUDGET_SECONDS:.3f} "
            f"| {r.noop:.3f} | {r.noop / r.first:.2f} | {r.changed:.3f} ({r.changed_rows} rows) "
            f"| {r.changed / BUDGET_SECONDS:.3f} |"
        )
    return "\n".join(lines)


def main() -> None:
    """Run every backend and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=2000)
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--write-doc", action="store_true", help="record the table in docs/benchmarks.md")
    args = parser.parse_args()
    document = build(args.items, 3, 4, 7)
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for backend in args.backends.split(","):
            result = run(backend, document, args.repeat, Path(tmp))
            results.append(result)
            print(
                f"{backend:>10}: validate {result.validate:.3f} s, first {result.first:.3f} s "
                f"(×{result.first / BUDGET_SECONDS:.3f} of budget), no-op {result.noop:.3f} s, "
                f"5 % changed {result.changed:.3f} s",
                flush=True,
            )
    print()
    text = table(results, args.items)
    print(text)
    if args.write_doc:
        body = f"`.venv/bin/python bench/import_menu.py --write-doc` on {machine_line()}.\n\n{text}"
        write_section("Menu import", body)


if __name__ == "__main__":
    main()
