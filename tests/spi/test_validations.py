"""The eCommerce Validations plugin over real HTTP: restaurant lines judged, others skipped, fails open."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import text, update

from posbridge.app import create_app
from posbridge.config import Settings
from posbridge.services.validations import RESTAURANTS_APP_ID
from posbridge.store.db import Database
from posbridge.store.models import Configuration, Item, Stock, SyncIdMap
from posbridge.wix.generation import Generation
from tests.support.fixtures_pos import PosWorld, build_pos, dish_wix_id
from tests.support.server import serve_in_thread
from tests.support.signer import TestSigner

PATH = "/wix/validations/v1/get-violations"


@pytest.fixture()
def world(db: Database, instance_id: str) -> PosWorld:
    return build_pos(db, instance_id)  # item-2 has 5 in stock at the paired location


def line(
    item: str, quantity: int = 1, *, app_id: str = RESTAURANTS_APP_ID, line_id: str | None = None
) -> dict[str, Any]:
    return {
        "id": line_id or str(uuid.uuid4()),
        "quantity": quantity,
        "catalogReference": {"appId": app_id, "catalogItemId": dish_wix_id(item), "options": {"menuId": "m"}},
        "productName": {"original": item},
        "price": {"amount": "10.00"},
    }


def request_of(*lines: dict[str, Any]) -> dict[str, Any]:
    return {
        "sourceInfo": {"source": "CHECKOUT", "purchaseFlowId": str(uuid.uuid4())},
        "validationInfo": {"lineItems": list(lines), "currency": "USD", "someFieldWixAddsLater": {"x": 1}},
    }


def call(
    http: httpx.Client, signer: TestSigner, instance_id: str, request: dict[str, Any], **metadata: Any
) -> httpx.Response:
    meta = signer.metadata(instance_id, **{"appExtensionType": "ECOM_VALIDATIONS", **metadata})
    token = signer.sign(signer.claims(request, meta))
    return http.post(PATH, content=token, headers={"Content-Type": "text/plain"})


def violations(response: httpx.Response) -> list[dict[str, Any]]:
    assert response.status_code == 200, response.text
    found: list[dict[str, Any]] = response.json()["violations"]
    return found


def test_a_cart_the_kitchen_can_make_passes(http: httpx.Client, signer: TestSigner, world: PosWorld) -> None:
    assert violations(call(http, signer, world.instance_id, request_of(line("item-2", 5), line("item-3")))) == []


def test_too_many_or_sold_out_is_an_error_on_its_line(
    http: httpx.Client, signer: TestSigner, world: PosWorld, db: Database
) -> None:
    first, second = line("item-2", 4, line_id="l-1"), line("item-2", 2, line_id="l-2")
    found = violations(call(http, signer, world.instance_id, request_of(first, second)))
    # The two lines together want 6 of the 5 left: both are named.
    assert found == [
        {"severity": "ERROR", "target": {"lineItem": {"name": "LINE_ITEM_DEFAULT", "id": lid}}, "description": text_}
        for lid, text_ in (("l-1", "Only 5 Diavola left"), ("l-2", "Only 5 Diavola left"))
    ]
    with db.transaction() as session:
        session.execute(
            update(Stock)
            .where(Stock.item_id == world.items["item-2"], Stock.location_id == world.location)
            .values(out_of_stock=True)
        )
    assert [
        v["description"] for v in violations(call(http, signer, world.instance_id, request_of(line("item-2"))))
    ] == ["Diavola is sold out"]


def test_a_new_generation_pairing_is_judged_at_its_business_location(
    http: httpx.Client, signer: TestSigner, world: PosWorld, db: Database
) -> None:
    # The Menus API sync keys its id map by the paired business location (sync/menus_api.py).
    business_location = str(uuid.uuid4())
    with db.transaction() as session:
        session.execute(
            update(Configuration)
            .where(Configuration.id == world.configuration)
            .values(generation=Generation.NEWGEN, wix_id=business_location, catalog_id=None)
        )
        session.execute(
            update(SyncIdMap)
            .where(SyncIdMap.instance_id == world.instance_id, SyncIdMap.catalog_id == world.catalog_id)
            .values(catalog_id=business_location)
        )
    found = violations(call(http, signer, world.instance_id, request_of(line("item-2", 6, line_id="l-1"))))
    assert [(v["target"]["lineItem"]["id"], v["description"]) for v in found] == [("l-1", "Only 5 Diavola left")]


def test_an_item_the_pos_removed_is_refused(
    http: httpx.Client, signer: TestSigner, world: PosWorld, db: Database
) -> None:
    with db.transaction() as session:
        session.execute(update(Item).where(Item.id == world.items["item-3"]).values(active=False))
    found = violations(call(http, signer, world.instance_id, request_of(line("item-3", line_id="l-9"))))
    assert [(v["target"]["lineItem"]["id"], v["description"]) for v in found] == [
        ("l-9", "This item is no longer on the menu")
    ]


def test_lines_that_are_not_restaurant_items_or_not_ours_pass(
    http: httpx.Client, signer: TestSigner, world: PosWorld
) -> None:
    store_line = line("item-2", 50, app_id="215238eb-22a5-4c36-9e7b-e7c08025e04e")  # a Wix Stores product
    unknown = line("not-synced", 3)
    odd: dict[str, Any] = {"id": "x", "quantity": "many", "catalogReference": "nope"}
    assert violations(call(http, signer, world.instance_id, request_of(store_line, unknown, odd))) == []
    # Another site's items are not this site's: the same Menus ids map nothing here.
    assert violations(call(http, signer, str(uuid.uuid4()), request_of(line("item-2", 50)))) == []


def test_the_envelope_is_the_spi_envelope(http: httpx.Client, signer: TestSigner, world: PosWorld) -> None:
    wrong_type = call(http, signer, world.instance_id, request_of(), appExtensionType="RESTAURANTS_POS")
    assert wrong_type.status_code == 400
    stale = signer.sign(
        signer.claims(
            request_of(),
            signer.metadata(world.instance_id, appExtensionType="ECOM_VALIDATIONS"),
            iat=int(time.time()) - 7200,
            exp=int(time.time()) - 3600,
        )
    )
    assert http.post(PATH, content=stale).status_code == 401
    assert http.post(PATH, content=b"not a jwt").status_code == 401
    assert http.get(PATH).status_code == 405
    assert http.post("/wix/validations/v1/something-else", content=b"").status_code == 404


@pytest.fixture()
def strict_budget_server(settings: Settings, db: Database) -> Iterator[str]:
    with serve_in_thread(create_app(settings.model_copy(update={"validations_budget_ms": 200}), db)) as url:
        yield url


@pytest.mark.all_backends
def test_a_stalled_database_fails_open_within_the_budget(
    strict_budget_server: str, signer: TestSigner, world: PosWorld, db: Database
) -> None:
    if db.is_sqlite:
        pytest.skip("SQLite readers never wait for a writer (WAL)")
    with db.engine.connect() as locker:
        locker.execute(text("LOCK TABLE sync_id_map IN ACCESS EXCLUSIVE MODE"))
        started = time.monotonic()
        with httpx.Client(base_url=strict_budget_server, timeout=10) as client:
            response = call(client, signer, world.instance_id, request_of(line("item-2", 50)))
        elapsed = time.monotonic() - started
        locker.rollback()
    assert violations(response) == []  # 50 of 5 would be refused: the shop stays open instead
    assert elapsed < 2.0
