"""Start both servers, play the journey, print the summary and the URLs; serve until Ctrl-C (or exit)."""

from __future__ import annotations

import signal
import tempfile
import threading
import time
from pathlib import Path
from types import FrameType
from typing import Any

from rich.console import Console

from posbridge.demo import data
from posbridge.demo.clients import Admin, Wix
from posbridge.demo.journey import Journey, summary_table
from posbridge.demo.processes import StartError, make_wiring, start_both


def run_demo(
    console: Console,
    *,
    items: int | None = None,
    port: int | None = None,
    folder: Path | None = None,
    exit_after: bool = False,
    document: dict[str, Any] | None = None,
) -> int:
    """Play the journey; the exit code is 0 only if every step checked out (2 if a server did not start).

    `document` replaces the built-in merchant menu (grown to `items` dishes) with another one.
    """
    document = document or data.menu_document(items)
    folder = folder or Path(tempfile.mkdtemp(prefix="posbridge-demo-"))
    started = time.monotonic()
    wiring = make_wiring(folder, posbridge_port=port)
    console.print(f"[bold]posbridge demo[/]: Trattoria Uno goes online ({len(document['items'])} dishes)")
    console.print(f"[dim]files, logs and demo.env in {folder}[/]")
    with console.status("starting wixsim (Wix) and posbridge (SQLite, in-process job worker)…"):
        try:
            wixsim, posbridge = start_both(wiring)
        except StartError as exc:
            console.print(f"[red]cannot start the demo:[/] {exc}", markup=True)
            return 2
    console.print(
        f"wixsim on {wiring.wixsim_url} · posbridge on {wiring.posbridge_url} "
        f"[dim](app {wiring.app_id[:8]}…, RSA key and secret generated; started in "
        f"{time.monotonic() - started:.1f} s)[/]\n"
    )
    wix, admin = Wix(wiring.wixsim_url), Admin(wiring.posbridge_url, wiring.admin_token)
    try:
        results = Journey(wix, admin, console, document).run()
        console.print()
        console.print(summary_table(results))
        ok = all(r.ok for r in results)
        total_calls = sum(r.wix_calls for r in results)
        verdict = "[green]every step checked out[/]" if ok else "[red]a step did not check out[/]"
        console.print(f"{verdict} in {time.monotonic() - started:.1f} s, {total_calls} calls to Wix\n")
        console.print(f"posbridge admin API docs  {wiring.posbridge_url}/api/v1/docs")
        console.print(f"wixsim control API docs   {wiring.wixsim_url}/_sim/docs")
        console.print(f"admin token and settings  {folder / 'demo.env'}  (source it, then: .venv/bin/posbridge orders)")
        console.print(f"server logs               {wixsim.log_path}, {posbridge.log_path}")
        if not exit_after:
            console.print("\nserving until Ctrl-C")
            _wait_for_interrupt()
        return 0 if ok else 1
    finally:
        wix.close()
        admin.close()
        posbridge.stop()
        wixsim.stop()


def _wait_for_interrupt() -> None:
    stop = threading.Event()

    def handle(_signum: int, _frame: FrameType | None) -> None:
        stop.set()

    previous = signal.signal(signal.SIGTERM, handle)
    try:
        while not stop.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)
