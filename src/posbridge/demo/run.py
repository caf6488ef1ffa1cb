"""Start both servers, play the journey, print the summary and the URLs; serve until Ctrl-C (or exit)."""

from __future__ import annotations

import signal
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType
from typing import Any

from rich.console import Console

from posbridge.demo import data
from posbridge.demo.clients import Admin, Wix
from posbridge.demo.journey import EIGHTY_SIX, Journey, summary_table, wix_final_table
from posbridge.demo.processes import Server, StartError, Wiring, make_wiring, start_both


def run_demo(
    console: Console,
    *,
    items: int | None = None,
    port: int | None = None,
    folder: Path | None = None,
    exit_after: bool = False,
    document: dict[str, Any] | None = None,
    eighty_six_seconds: int = EIGHTY_SIX[3],
) -> int:
    """Play the journey; the exit code is 0 only if every step checked out (2: a server did not start,
    130: interrupted). `document` replaces the built-in merchant menu (grown to `items` dishes);
    `eighty_six_seconds` is how long step 12's 86 lasts (the step waits it out).
    """
    document = document or data.menu_document(items)
    folder = folder or Path(tempfile.mkdtemp(prefix="posbridge-demo-"))
    started = time.monotonic()
    wiring = make_wiring(folder, posbridge_port=port)
    console.print(f"[bold]posbridge demo[/]: Trattoria Uno goes online ({len(document['items'])} dishes)")
    console.print(f"[dim]files, logs and demo.env in {folder}[/]")
    with _sigterm_interrupts():
        try:
            with console.status("starting wixsim (Wix) and posbridge (SQLite, in-process job worker)…"):
                servers = start_both(wiring)
        except StartError as exc:
            console.print(f"[red]cannot start the demo:[/] {exc}")
            return 2
        except KeyboardInterrupt:
            return 130
        console.print(
            f"wixsim on {wiring.wixsim_url} · posbridge on {wiring.posbridge_url} "
            f"[dim](app {wiring.app_id[:8]}…, RSA key and secret generated; started in "
            f"{time.monotonic() - started:.1f} s)[/]\n"
        )
        try:
            return _play(console, wiring, servers, document, started, exit_after, eighty_six_seconds)
        except KeyboardInterrupt:
            console.print("\ninterrupted: stopping wixsim and posbridge")
            return 130
        finally:
            for server in reversed(servers):
                server.stop()


def _play(
    console: Console,
    wiring: Wiring,
    servers: tuple[Server, Server],
    document: dict[str, Any],
    started: float,
    exit_after: bool,
    eighty_six_seconds: int,
) -> int:
    wix, admin = Wix(wiring.wixsim_url), Admin(wiring.posbridge_url, wiring.admin_token)
    journey = Journey(wix, admin, console, document, eighty_six_seconds=eighty_six_seconds)
    try:
        results = journey.run()
    finally:
        wix.close()
        admin.close()
    console.print()
    console.print(summary_table(results))
    if journey.final:
        console.print(wix_final_table(journey.final))
    ok = all(r.ok for r in results)
    total_calls = sum(r.wix_calls for r in results)
    verdict = "[green]every step checked out[/]" if ok else "[red]a step did not check out[/]"
    console.print(f"{verdict} in {time.monotonic() - started:.1f} s, {total_calls} calls to Wix\n")
    if journey.instance_id:
        console.print(f"merchant's dashboard page {wiring.dashboard_page_url(journey.instance_id)}  (as Wix opens it)")
    if journey.newgen is not None:
        console.print(
            f"new-gen site's dashboard  {wiring.dashboard_page_url(journey.newgen.instance_id)}  (as Wix opens it)"
        )
    console.print(f"posbridge admin API docs  {wiring.posbridge_url}/api/v1/docs")
    console.print(f"wixsim control API docs   {wiring.wixsim_url}/_sim/docs")
    console.print(
        f"admin token and settings  {wiring.folder / 'demo.env'}  (source it, then: .venv/bin/posbridge orders)"
    )
    console.print(f"server logs               {', '.join(str(server.log_path) for server in servers)}")
    if exit_after:
        # The links above die with the servers: say so, and how to keep them.
        console.print("\nservers stopped (--exit): run `posbridge demo` without --exit to click through these links")
        return 0 if ok else 1
    console.print("\nserving until Ctrl-C")
    _wait_for_interrupt()
    return 0 if ok else 1


def _wait_for_interrupt() -> None:
    """Block until Ctrl-C (SIGINT) or SIGTERM."""
    while True:
        time.sleep(3600)


def _terminate_as_interrupt(_signum: int, _frame: FrameType | None) -> None:
    # SIGTERM ends the demo like Ctrl-C does, so the servers it started are stopped, not orphaned.
    raise KeyboardInterrupt


@contextmanager
def _sigterm_interrupts() -> Iterator[None]:
    if threading.current_thread() is not threading.main_thread():
        yield  # signal handlers can only be set from the main thread (e.g. run_demo called by a test)
        return
    previous = signal.signal(signal.SIGTERM, _terminate_as_interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
