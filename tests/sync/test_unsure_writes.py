"""A create Wix applied but whose answer was lost (then retried) never leaves duplicates on the live site."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

import httpx
import pytest
from sqlalchemy import select

from posbridge.config import Settings
from posbridge.store.models import SyncLog
from posbridge.wix.client import WixClient
from tests.sync.world import SyncWorld

pytestmark = pytest.mark.all_backends  # the database backend matters here


class LosesFirstAnswer(httpx.BaseTransport):
    """Forwards every request, but for the first one to `path_end` drops Wix's answer (a read timeout)."""

    def __init__(self, path_end: str) -> None:
        self.inner = httpx.HTTPTransport()
        self.path_end = path_end
        self.lost = 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self.inner.handle_request(request)
        if not self.lost and request.url.path.endswith(self.path_end):
            self.lost += 1
            response.read()
            response.close()
            raise httpx.ReadTimeout("answer lost after Wix applied the request", request=request)
        return response


def _world(
    world_factory: Callable[..., SyncWorld], sim_settings: Callable[..., Settings], path_end: str
) -> tuple[SyncWorld, LosesFirstAnswer]:
    settings = sim_settings()
    transport = LosesFirstAnswer(path_end)
    world = world_factory(settings=settings)
    world.client = WixClient(settings, world.db, transport=transport)
    return world, transport


def _events(world: SyncWorld, sync_id: int) -> list[str]:
    with world.db.transaction(write=False) as session:
        return list(session.scalars(select(SyncLog.event).where(SyncLog.sync_id == sync_id).order_by(SyncLog.id)))


def test_a_dish_batch_applied_twice_leaves_no_duplicate_in_sections(
    world_factory: Callable[..., SyncWorld], sim_settings: Callable[..., Settings]
) -> None:
    world, transport = _world(world_factory, sim_settings, "/bulk/dishes/create")
    sync = world.sync()
    assert transport.lost == 1 and sync.status == "SYNCED", sync.failure_reason
    assert "repair" in _events(world, sync.id)
    live = world.live()
    mapped = {row.wix_id for (kind, _), row in world.id_map().items() if kind == "DISH"}
    listed = [i for s in live["sections"].values() for i in s["itemIds"]["values"]]
    assert len(listed) == len(set(listed)) and set(listed) == mapped
    dishes = [i for i in live["items"].values() if i["type"] == "DISH"]
    assert len(dishes) == len(mapped) + 20  # the duplicates exist, unlisted: nobody sees them
    assert world.sync("RECONCILE").summary["unchanged"] is True


def test_a_menu_create_applied_twice_restarts_the_draft(
    world_factory: Callable[..., SyncWorld], sim_settings: Callable[..., Settings]
) -> None:
    world, transport = _world(world_factory, sim_settings, "/bulk/menus/create")
    sync = world.sync()
    assert transport.lost == 1 and sync.status == "SYNCED", sync.failure_reason
    assert Counter(_events(world, sync.id))["restarted"] == 1
    menus = [m for m in world.live()["menus"].values() if not m["archived"]]
    assert sorted(m["id"] for m in menus) == sorted(
        row.wix_id for (kind, _), row in world.id_map().items() if kind == "MENU"
    )
    assert world.sim.draft_catalog(world.catalog_id) is None


def test_a_publish_whose_answer_was_lost_is_confirmed(
    world_factory: Callable[..., SyncWorld], sim_settings: Callable[..., Settings]
) -> None:
    world, transport = _world(world_factory, sim_settings, "/publish")
    sync = world.sync()
    assert transport.lost == 1 and sync.status == "SYNCED", sync.failure_reason
    assert "publish_confirmed" in _events(world, sync.id)
    assert world.sim.catalog(world.catalog_id)["publishCount"] == 1
