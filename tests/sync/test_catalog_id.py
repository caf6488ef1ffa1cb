"""A configuration paired without a catalog id learns it from Wix's connectivity API on its first sync."""

from __future__ import annotations

import pytest
from sqlalchemy import select, update

from posbridge.store.models import Configuration
from posbridge.sync.preview import dry_run
from tests.sync.world import SyncWorld

pytestmark = pytest.mark.all_backends  # the database backend matters here


def _forget_catalog(world: SyncWorld, wix_id: str | None = None) -> None:
    """Pair as the CLI and the admin API do without `--catalog`: posbridge does not know the catalog yet."""
    values: dict[str, object] = {"catalog_id": None}
    if wix_id is not None:
        values["wix_id"] = wix_id
    with world.db.transaction() as session:
        session.execute(update(Configuration).where(Configuration.id == world.configuration).values(**values))


def _catalog_id(world: SyncWorld) -> str | None:
    with world.db.transaction(write=False) as session:
        return session.scalar(select(Configuration.catalog_id).where(Configuration.id == world.configuration))


def test_first_sync_asks_wix_for_the_catalog_once_and_writes_into_it(world: SyncWorld) -> None:
    _forget_catalog(world)
    world.sim.clear_request_log()
    sync = world.sync()
    assert sync.status == "SYNCED", sync.failure_reason
    assert _catalog_id(world) == world.catalog_id
    assert world.counts()["getConfiguration"] == 1
    assert sync.summary["calls"]["getConfiguration"] == 1
    assert sync.summary["callsTotal"] == sum(sync.summary["calls"].values())
    assert [n for path, n in sync.summary["attempts"].items() if "pos-integration/configurations" in path] == [1]
    names = {item["name"] for item in world.live()["items"].values()}
    assert {item["name"] for item in world.document["items"]} & names
    world.sim.clear_request_log()
    again = world.sync()
    assert again.status == "SYNCED"
    assert "getConfiguration" not in world.counts()
    assert "getConfiguration" not in again.summary["calls"]


def test_a_configuration_wix_does_not_know_fails_with_location_not_found(world: SyncWorld) -> None:
    _forget_catalog(world, wix_id="not-a-wix-configuration")
    world.configuration_wix_id = "not-a-wix-configuration"
    sync = world.sync()
    assert sync.status == "FAILED"
    assert sync.failure_code == "LOCATION_NOT_FOUND"
    assert "not-a-wix-configuration" in (sync.failure_reason or "")
    assert sync.summary["calls"] == {"getConfiguration": 1}
    assert _catalog_id(world) is None
    assert world.sim.catalog(world.catalog_id)["publishCount"] == 0


def test_an_archived_wix_location_fails_with_location_not_found(world: SyncWorld) -> None:
    _forget_catalog(world)
    world.sim.update_configuration(world.configuration_wix_id, archived=True)
    sync = world.sync()
    assert sync.status == "FAILED"
    assert sync.failure_code == "LOCATION_NOT_FOUND"
    assert "archived" in (sync.failure_reason or "")
    assert _catalog_id(world) is None


def test_a_catalog_id_set_by_a_pairing_is_never_replaced(world: SyncWorld) -> None:
    world.sim.clear_request_log()
    sync = world.sync()
    assert sync.status == "SYNCED"
    assert "getConfiguration" not in world.counts()
    assert _catalog_id(world) == world.catalog_id


def test_dry_run_learns_the_catalog_and_previews_the_first_sync(world: SyncWorld) -> None:
    _forget_catalog(world)
    preview = dry_run(world.db, world.settings, world.configuration, client=world.client)
    assert not preview.problems
    assert preview.to_json()["counts"]["DISH"]["create"] > 0
    assert _catalog_id(world) == world.catalog_id
    assert world.sim.catalog(world.catalog_id)["draft"] is None
