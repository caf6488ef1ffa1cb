"""What differs by Wix generation outside a sync also sits behind the catalog target (issue 9): the stock
push writes through `CatalogTarget.write_stock`, a pairing's id space is its target's (`id_space_of`;
in SQL `wix.generation.ID_SPACE`, held to the same answer), and a catalog Wix no longer has is the
target's to recognise (`IdSpaceGone`).

The memory target stands in for Wix where the point is the seam itself (a test double is just another
implementation); Catalogs v3's reading of Wix's 404s is checked against a client that answers them.
"""

from __future__ import annotations

import ast
import re
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, cast

import pytest
from sqlalchemy import select, update

from posbridge.pos.stock import STOCK_PUSH
from posbridge.services import outbound, stock, stock_push
from posbridge.services.outbound import Job
from posbridge.store.models import Configuration, Item, OutboundJob
from posbridge.store.types import utcnow
from posbridge.sync.catalog import DISH, VARIATION
from posbridge.sync.catalogs_v3 import CatalogsV3Target
from posbridge.sync.memory import MemoryCatalogs, MemoryTargetKind
from posbridge.sync.menus_api import MenusApiTarget
from posbridge.sync.runner import run_sync
from posbridge.sync.target import IdSpaceGone, StockWrite
from posbridge.sync.targets import id_space_of
from posbridge.wix.client import WixClient
from posbridge.wix.errors import WixApiError
from posbridge.wix.generation import ID_SPACE, Generation
from tests.support.source import syntax, text_syntax
from tests.sync.world import SyncWorld

SRC = Path(__file__).resolve().parents[2] / "src" / "posbridge"
LOC = "loc-1"
# The modules that may know a generation's catalog API: the targets themselves and the choice between them.
# wix/generation.py states the id-space rule in SQL for the POS's stock rules, which sit below the targets.
TARGET_MODULES = {"sync/targets.py", "sync/catalogs_v3.py", "sync/menus_api.py", "sync/memory.py", "wix/generation.py"}


def _memory_synced(world: SyncWorld) -> tuple[MemoryCatalogs, MemoryTargetKind]:
    catalogs = MemoryCatalogs()
    target = MemoryTargetKind(catalogs)
    world.request()
    run_sync(world.db, world.settings, world.configuration, client=world.client, target=target)
    assert world.id_map(), "the memory sync recorded nothing"
    return catalogs, target


def _owed_job(world: SyncWorld, clock: Any = utcnow, sleep: Any = time.sleep) -> Job:
    """The stock push the last stock change owes, as the queue hands it to its handler."""
    with world.db.transaction(write=False) as session:
        row = session.scalars(
            select(OutboundJob).where(OutboundJob.kind == "STOCK").order_by(OutboundJob.id.desc())
        ).first()
        assert row is not None
        payload = dict(row.payload)
        return Job(row.id, row.kind, row.instance_id, row.order_id, payload, row.attempts, clock=clock, sleep=sleep)


def _first_dish(world: SyncWorld) -> tuple[str, str]:
    """(POS id, Wix id) of a synced dish."""
    (_, ref), row = min((key, row) for key, row in world.id_map().items() if key[0] == DISH)
    with world.db.transaction(write=False) as session:
        item = session.get(Item, ref)
        assert item is not None
        return item.pos_id, row.wix_id


def test_the_stock_push_writes_through_the_pairings_catalog_target(world: SyncWorld) -> None:
    catalogs, target = _memory_synced(world)
    pos_id, wix_id = _first_dish(world)
    merchant = world.document["merchant"]["id"]
    stock.eighty_six(world.db, pos_id, LOC, merchant=merchant)
    catalogs.calls.clear()
    stock_push.push_stock(world.db, world.settings, _owed_job(world), world.client, target=target)
    # The one flag, live at once: no read, no sync step, no commit.
    assert dict(catalogs.calls) == {"stock:DISH": 1}
    assert catalogs.catalog(world.catalog_id).content.items[wix_id].fields["inStock"] is False


def test_a_push_for_an_item_gone_from_the_live_catalog_ends_quietly(world: SyncWorld) -> None:
    catalogs, target = _memory_synced(world)
    pos_id, wix_id = _first_dish(world)
    del catalogs.catalog(world.catalog_id).content.items[wix_id]  # deleted on Wix since the sync
    stock.eighty_six(world.db, pos_id, LOC, merchant=world.document["merchant"]["id"])
    stock_push.push_stock(world.db, world.settings, _owed_job(world), world.client, target=target)  # no GiveUp
    assert catalogs.calls["stock:DISH"] == 1


def test_the_push_keeps_a_second_between_writes_by_the_queues_clock(world: SyncWorld) -> None:
    catalogs, target = _memory_synced(world)
    pos_id, _ = _first_dish(world)
    merchant = world.document["merchant"]["id"]
    waits: list[float] = []
    stock.eighty_six(world.db, pos_id, LOC, merchant=merchant)
    stock_push.push_stock(world.db, world.settings, _owed_job(world), world.client, target=target)
    with world.db.transaction() as session:  # the queue marks it done when the handler returns
        session.execute(update(OutboundJob).where(OutboundJob.kind == "STOCK").values(status="DONE"))
        done_at = session.scalar(select(OutboundJob.updated_at).where(OutboundJob.kind == "STOCK"))
    assert done_at is not None
    stock.restore(world.db, pos_id, LOC, merchant=merchant)

    def at(moment: datetime) -> Job:
        return _owed_job(world, clock=lambda: moment, sleep=waits.append)

    # Woken 0.3 s after the last write (by the queue's clock): it waits the rest of the second first.
    stock_push.push_stock(world.db, world.settings, at(done_at + timedelta(seconds=0.3)), world.client, target=target)
    assert waits == [pytest.approx(0.7, abs=0.01)]
    # A queue whose clock is past the second (a test moving time) writes at once: nothing waits in real time.
    waits.clear()
    stock_push.push_stock(world.db, world.settings, at(done_at + timedelta(seconds=1.5)), world.client, target=target)
    assert waits == [] and catalogs.calls["stock:DISH"] == 3


def test_the_queue_hands_its_clock_and_its_sleep_to_the_push(world: SyncWorld, monkeypatch: pytest.MonkeyPatch) -> None:
    _memory_synced(world)
    pos_id, _ = _first_dish(world)
    stock.eighty_six(world.db, pos_id, LOC, merchant=world.document["merchant"]["id"])
    handed: list[Job] = []
    problem = outbound._HANDLERS[STOCK_PUSH][1]
    monkeypatch.setitem(outbound._HANDLERS, STOCK_PUSH, (lambda db, settings, job, client: handed.append(job), problem))
    moment = utcnow() + timedelta(minutes=5)

    def clock() -> datetime:
        return moment

    waits: list[float] = []
    outbound.run_job(
        world.db, world.settings, _owed_job(world).id, client=world.client, clock=clock, sleep=waits.append
    )
    assert [(job.clock, job.sleep) for job in handed] == [(clock, waits.append)]


def test_a_pairings_id_space_is_its_targets_in_python_and_in_sql(world: SyncWorld) -> None:
    for generation, expected in ((Generation.LEGACY, world.catalog_id), (Generation.NEWGEN, world.paired_wix_id)):
        with world.db.transaction() as session:
            configuration = session.get(Configuration, world.configuration)
            assert configuration is not None
            configuration.generation = generation
            session.flush()
            in_sql = session.scalar(select(ID_SPACE).where(Configuration.id == world.configuration))
            assert id_space_of(configuration) == in_sql == expected, generation


class _Answering:
    """A Wix client that answers every call with one error."""

    def __init__(self, status: int, code: str) -> None:
        self.error = WixApiError(status, code, "not found", method="PATCH", path="/v3/catalogs/c1/items/i1")

    def call(self, *args: Any, **kwargs: Any) -> dict[str, Any]:
        raise self.error


def _catalogs_v3(status: int, code: str) -> CatalogsV3Target:
    return CatalogsV3Target(cast(WixClient, _Answering(status, code)), "instance", "c1")


def test_catalogs_v3_reads_a_404_about_the_catalog_as_its_id_space_gone() -> None:
    with pytest.raises(IdSpaceGone) as gone:
        _catalogs_v3(404, "CATALOG_NOT_FOUND").read_live()
    assert gone.value.status == 404 and gone.value.code == "CATALOG_NOT_FOUND"
    with pytest.raises(WixApiError) as other:
        _catalogs_v3(404, "MENU_NOT_FOUND").read_live()
    assert not isinstance(other.value, IdSpaceGone)
    # One item gone is not the catalog gone: the stock write says GONE, whichever it was.
    assert _catalogs_v3(404, "ITEM_NOT_FOUND").write_stock(DISH, "i1", False) is StockWrite.GONE
    assert _catalogs_v3(404, "CATALOG_NOT_FOUND").write_stock(DISH, "i1", False) is StockWrite.GONE
    with pytest.raises(WixApiError):
        _catalogs_v3(503, "UNAVAILABLE").write_stock(DISH, "i1", False)


def test_a_sync_whose_id_space_is_gone_fails_as_location_not_found(world: SyncWorld) -> None:
    catalogs = MemoryCatalogs()

    def gone(endpoint: str) -> None:
        raise IdSpaceGone(404, "SPACE_NOT_FOUND", "no such catalog", method="GET", path="/somewhere")

    catalogs.fail_before = gone
    sync = world.request()
    run_sync(world.db, world.settings, world.configuration, client=world.client, target=MemoryTargetKind(catalogs))
    row = world.row(sync.id)
    assert row.status == "FAILED" and row.failure_code == "LOCATION_NOT_FOUND"
    assert (row.failure_params or {}).get("wixCode") == "SPACE_NOT_FOUND"


def _sources() -> list[tuple[str, str]]:
    return [(str(p.relative_to(SRC)), p.read_text(encoding="utf-8")) for p in sorted(SRC.rglob("*.py"))]


def test_only_the_targets_choose_between_a_catalog_id_and_a_business_location() -> None:
    """`x.wix_id if newgen else x.catalog_id` (or its SQL `case`) outside the targets is a second copy of the rule."""
    found = []
    for name, text in _sources():
        if name in TARGET_MODULES:
            continue
        for node in ast.walk(text_syntax(text)):
            is_choice = isinstance(node, ast.IfExp) or (
                isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", "")) == "case"
            )
            if is_choice:
                source = ast.get_source_segment(text, node) or ""
                if "wix_id" in source and "catalog_id" in source:
                    found.append(f"{name}:{node.lineno}")
    assert found == []


def _names_a_pairings_column(node: ast.expr) -> bool:
    """`Configuration.wix_id`, `configuration.catalog_id`, or a bare business location (`location`)."""
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
        return node.value.id.lower() == "configuration"
    return isinstance(node, ast.Name) and "location" in node.id.lower()


def _id_space_comparisons(text: str) -> list[int]:
    """Lines comparing the id map's space (`SyncIdMap.catalog_id`) with a pairing's column or a location."""
    found = []
    for node in ast.walk(text_syntax(text)):
        if not isinstance(node, ast.Compare):
            continue
        sides = [node.left, *node.comparators]
        keyed = any(ast.unparse(side) == "SyncIdMap.catalog_id" for side in sides)
        if keyed and any(_names_a_pairings_column(side) for side in sides):
            found.append(node.lineno)
    return found


def test_only_the_targets_key_the_id_map_by_a_pairings_column() -> None:
    """Which column is the id space is the targets' rule: a query says `ID_SPACE`, Python `id_space_of`."""
    found = [
        f"{name}:{line}"
        for name, text in _sources()
        if name not in TARGET_MODULES
        for line in _id_space_comparisons(text)
    ]
    assert found == []


@pytest.mark.parametrize(
    "copy",
    [
        "select(Configuration.id).join(SyncIdMap, SyncIdMap.catalog_id == Configuration.wix_id)",
        "select(SyncIdMap.id).where(SyncIdMap.catalog_id == configuration.catalog_id)",
        "in_space = (SyncIdMap.instance_id == instance_id, SyncIdMap.catalog_id == location)",
        "select(SyncIdMap.id).where(Configuration.catalog_id != SyncIdMap.catalog_id)",
    ],
)
def test_the_id_space_guard_sees_a_copy_of_the_rule(copy: str) -> None:
    assert _id_space_comparisons(copy) == [1]


def test_the_id_space_guard_lets_the_rule_itself_through() -> None:
    assert _id_space_comparisons("select(SyncIdMap.id).where(SyncIdMap.catalog_id == ID_SPACE)") == []
    assert _id_space_comparisons("select(SyncIdMap.id).where(SyncIdMap.catalog_id == id_space_of(row))") == []
    assert _id_space_comparisons("select(SyncIdMap.id).where(SyncIdMap.wix_id == Configuration.wix_id)") == []


@pytest.mark.parametrize("module", ["services/stock_push.py", "sync/runner.py"])
def test_no_catalog_api_wire_outside_the_targets(module: str) -> None:
    text = (SRC / module).read_text(encoding="utf-8")
    imported = {
        alias.name if isinstance(node, ast.Import) else node.module or ""
        for node in ast.walk(text_syntax(text))
        if isinstance(node, ast.Import | ast.ImportFrom)
        for alias in node.names
    }
    assert not imported & {"posbridge.sync.catalogs_v3", "posbridge.sync.menus_api"}
    for wire in ("/v3/catalogs", "/v3/draft-catalogs", "/menus-item", "/item-modifiers", '"CATALOG'):
        assert wire not in text, f"{module} mentions {wire}"


# A Wix REST path as a string literal (or an f-string's literal part): a versioned path (`/v3/catalogs`,
# `/ecom/v1/orders`, `/menus-item/v1/…`) or the head of one of Wix's service prefixes.
WIX_PATH = re.compile(
    r"^/(?:[a-z][a-z0-9-]*/)?v[0-9]+(?:/|$)|^/(?:menus-|menu-|item-|restaurants-|ecom/|draft-catalogs)"
)
# Below the adapters, Wix's endpoints are named only by the client layer (wix/) and the catalog targets.
ENDPOINT_MODULES = {"sync/catalogs_v3.py", "sync/menus_api.py"}


def wix_paths_outside_the_client_layer(src: Path) -> list[str]:
    """`file:line path` of each Wix REST path literal in services/, pos/, orders/, sync/ outside ENDPOINT_MODULES."""
    found = []
    for folder in ("services", "pos", "orders", "sync"):
        for path in sorted((src / folder).rglob("*.py")):
            name = str(path.relative_to(src))
            if name in ENDPOINT_MODULES:
                continue
            for node in ast.walk(syntax(path)):
                if isinstance(node, ast.Constant) and isinstance(node.value, str) and WIX_PATH.search(node.value):
                    found.append(f"{name}:{node.lineno} {node.value}")
    return found


def test_no_wix_endpoint_named_outside_the_client_layer_and_the_targets() -> None:
    """A service or domain module calling Wix names no endpoint: it goes through wix/ or a catalog target."""
    assert wix_paths_outside_the_client_layer(SRC) == []


class _Scripted:
    """A Wix client that answers calls in turn from a script (an answer, or an error to raise)."""

    def __init__(self, *answers: dict[str, Any] | WixApiError) -> None:
        self.answers = list(answers)
        self.calls: list[tuple[str, str, Any]] = []

    def call(self, instance_id: str, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        self.calls.append((method, path, kwargs.get("json")))
        answer = self.answers.pop(0)
        if isinstance(answer, WixApiError):
            raise answer
        return answer


def _menus_api(client: _Scripted) -> MenusApiTarget:
    return MenusApiTarget(cast(WixClient, client), "instance", "location-1")


STALE = WixApiError(409, "REVISION_MISMATCH", "stale revision")


def test_the_menus_api_writes_an_items_order_settings_at_its_revision_and_reads_again_once_after_an_edit() -> None:
    item = {"item": {"id": "i1", "revision": "3", "orderSettings": {"inStock": True, "acceptSpecialRequests": False}}}
    edited = {"item": {"id": "i1", "revision": "4", "orderSettings": {"inStock": True, "acceptSpecialRequests": True}}}
    client = _Scripted(item, STALE, edited, {})
    assert _menus_api(client).write_stock(DISH, "i1", False) is StockWrite.WRITTEN
    assert [(m, p) for m, p, _ in client.calls] == [
        ("GET", "/menus-item/v1/items/i1"),
        ("PATCH", "/menus-item/v1/items/i1"),
    ] * 2
    # The last write carries the merchant's edit whole, at its new revision: only inStock is ours.
    assert client.calls[-1][2] == {
        "item": {"id": "i1", "revision": "4", "orderSettings": {"inStock": False, "acceptSpecialRequests": True}}
    }
    # Edited again in between: the second conflict is Wix's refusal (the push gives up, the next sync repairs).
    with pytest.raises(WixApiError):
        _menus_api(_Scripted(item, STALE, edited, STALE)).write_stock(DISH, "i1", False)


def test_the_menus_api_writes_a_choice_on_its_modifier_and_nothing_that_is_already_so() -> None:
    client = _Scripted({"modifier": {"id": "m1", "revision": "1", "inStock": True}}, {})
    assert _menus_api(client).write_stock(VARIATION, "m1", False) is StockWrite.WRITTEN
    assert client.calls[-1] == (
        "PATCH",
        "/item-modifiers/v1/modifiers/m1",
        {"modifier": {"id": "m1", "revision": "1", "inStock": False}},
    )
    already = _Scripted({"item": {"id": "i1", "revision": "2", "orderSettings": {"inStock": False}}})
    assert _menus_api(already).write_stock(DISH, "i1", False) is StockWrite.ALREADY
    assert [m for m, _, _ in already.calls] == ["GET"]
    gone = _Scripted(WixApiError(404, "NOT_FOUND", "no such item"))
    assert _menus_api(gone).write_stock(DISH, "i1", True) is StockWrite.GONE
