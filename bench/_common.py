"""Helpers the benchmarks share: the machine, a free port, latency percentiles, and sections of docs/benchmarks.md.

Importing it puts the repository root on sys.path, so benchmarks can use `tests.support` (throwaway
databases, signers) the way the test suite does.
"""

from __future__ import annotations

import os
import platform
import re
import socket
import statistics
import sys
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.support.databases import database_url  # noqa: E402  (re-exported: a fresh SQLite file or PostgreSQL database)

BENCHMARKS_DOC = ROOT / "docs" / "benchmarks.md"
DOC_INTRO = "Measured numbers from the scripts in `bench/` (`make bench`); each section says how to reproduce it."


__all__ = [
    "BENCHMARKS_DOC",
    "ROOT",
    "database_url",
    "free_port",
    "latency_stats",
    "machine_line",
    "percentile",
    "replace_section",
    "table_section",
    "write_section",
]


def cpu_model() -> str:
    """The CPU model name from /proc/cpuinfo (or the platform's guess)."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def machine_line() -> str:
    """One line describing where the numbers come from: cores, CPU, Python, OS, date (UTC)."""
    today = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return (
        f"{os.cpu_count()} cores ({cpu_model()}), Python {platform.python_version()}, "
        f"{platform.system()} {platform.release()}, {today}"
    )


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def percentile(values: list[float], q: float) -> float:
    """The q-quantile (nearest rank) of values."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered)) - 1))]


def latency_stats(latencies: list[float], direct: list[float]) -> dict[str, float]:
    """p50, p99, max and mean of end-to-end latencies, and the median of Wix's own answer times (`direct`);
    seconds in, milliseconds out."""
    ms = [s * 1000 for s in latencies]
    return {
        "p50": percentile(ms, 0.5),
        "p99": percentile(ms, 0.99),
        "max": max(ms),
        "mean": statistics.fmean(ms),
        "direct": statistics.median(direct) * 1000 if direct else 0.0,
    }


def table_section(script: str, where: str, doc: str | None, header: str, align: str, rows: list[str]) -> str:
    """A benchmark's section of docs/benchmarks.md: how to run it and where (`where`, after the machine), the
    script's docstring's second paragraph, and its table (`header`, `align`: the Markdown table's first two lines)."""
    return "\n".join(
        [
            f"`.venv/bin/python bench/{script} --write-doc` — {machine_line()}, {where}.",
            "",
            (doc or "").split("\n\n", 1)[1].split("\n\n    ")[0].strip(),
            "",
            header,
            align,
            *rows,
        ]
    )


def replace_section(text: str, heading: str, body: str) -> str:
    """`text` with its `## heading` section (up to the next `## ` heading) replaced by `body`, or body appended."""
    if not text.strip():
        text = f"# Benchmarks\n\n{DOC_INTRO}\n"
    section = f"## {heading}\n\n{body.strip()}\n"
    lines = text.splitlines(keepends=True)
    start = end = None
    fenced = False
    for i, line in enumerate(lines):
        if line.startswith("```"):
            fenced = not fenced
        if fenced or not re.match(r"## \S", line):
            continue
        if start is None and line.strip() == f"## {heading}":
            start = i
        elif start is not None:
            end = i
            break
    if start is None:
        return text.rstrip("\n") + "\n\n" + section
    tail = "".join(lines[end:]) if end is not None else ""
    return "".join(lines[:start]) + section + ("\n" + tail if tail else "")


def write_section(heading: str, body: str, path: Path = BENCHMARKS_DOC) -> None:
    """Replace (or add) one `## heading` section of docs/benchmarks.md, leaving the other sections alone."""
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(replace_section(text, heading, body), encoding="utf-8")
