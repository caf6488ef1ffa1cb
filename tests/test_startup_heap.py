"""A started server takes what lives as long as the process out of the garbage collector's scans."""

import gc

import httpx


def test_a_started_server_has_frozen_its_startup_heap(http: httpx.Client) -> None:
    """Modules, routes and templates are not walked again by every full collection (otherwise a ~150 ms
    pause every few dashboard pages, docs/benchmarks.md "Dashboard page")."""
    assert http.get("/livez").status_code == 200
    assert gc.get_freeze_count() > 10_000
