"""The Menus API sync's cost grows with what it writes, not with the square of it (issue 12 §6).

wixsim's work per write must not depend on how big the site already is (its derived business
locations were once recomputed over every entity on every write: a 5,000-item first sync took
minutes). Counted as calls into wixsim's new-generation code, which is deterministic, not timed.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Any

import pytest

from posbridge.config import Settings
from posbridge.store.db import Database
from tests.sync.newgen_world import build_newgen_world
from wixsim.testing import running_wixsim

NEWGEN_CODE = "/wixsim/newgen/"


@contextmanager
def counting_newgen_calls() -> Iterator[list[int]]:
    """Count Python calls into wixsim.newgen in every thread started inside the block (the server's)."""
    count = [0]

    def hook(frame: FrameType, event: str, _arg: Any) -> None:
        if event == "call" and NEWGEN_CODE in frame.f_code.co_filename:
            count[0] += 1

    threading.setprofile(hook)
    try:
        yield count
    finally:
        threading.setprofile(None)


def _entities_written(summary: dict[str, Any]) -> int:
    return sum(n for kind in (summary.get("counts") or {}).values() for n in kind.values())


@pytest.mark.slow
def test_a_2000_item_first_sync_costs_wixsim_a_bounded_number_of_operations_per_entity(
    db: Database, sim_settings: Callable[..., Settings]
) -> None:
    with counting_newgen_calls() as calls, running_wixsim() as sim:
        settings = sim_settings(
            wix_api_base=sim.base_url,
            wix_app_id=sim.app_id,
            wix_app_secret=sim.app_secret,
            wix_public_key=sim.public_key_pem,
        )
        world = build_newgen_world(db, settings, sim, items=2000, menus=2, seed=7)
        before = calls[0]
        sync = world.sync()
        spent = calls[0] - before
    assert sync.status == "SYNCED", sync.failure_reason
    written = _entities_written(sync.summary or {})
    assert written >= 2000
    print(f"{spent} wixsim.newgen calls for {written} entities ({spent / written:.1f} each)")
    assert spent <= 200 * written, f"{spent} wixsim calls for {written} entities written"
