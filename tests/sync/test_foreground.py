"""Foreground syncs (CLI, admin API): run to the end and summarize."""

from __future__ import annotations

import pytest

from posbridge.errors import WixError
from posbridge.services.syncing import describe, sync_now
from tests.sync.world import SyncWorld


def test_sync_now_runs_and_describes_what_changed(world: SyncWorld) -> None:
    progress = []
    sync = sync_now(
        world.db,
        world.settings,
        world.instance_id,
        world.configuration_wix_id,
        client=world.client,
        progress=progress.append,
    )
    assert sync.status == "SYNCED" and sync.trigger == "CLI"
    text = describe(sync)
    assert "dishs" not in text and "60 created" in text and "createDraftCatalog 1" in text
    assert progress[-1].phase == "done" and progress[-1].done == progress[-1].total
    again = sync_now(world.db, world.settings, world.instance_id, world.configuration_wix_id, client=world.client)
    assert "no changes" in describe(again)


def test_unknown_configuration_is_location_not_found(world: SyncWorld) -> None:
    with pytest.raises(WixError) as caught:
        sync_now(world.db, world.settings, world.instance_id, "nope", client=world.client)
    assert caught.value.code == "LOCATION_NOT_FOUND"
