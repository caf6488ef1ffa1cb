"""Orders over real HTTP: resends and races end in one order; failures arrive together in Wix's shape."""

from __future__ import annotations

import copy
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from posbridge.app import create_app
from posbridge.store.db import Database
from posbridge.store.models import OrderRow, Stock
from tests.conftest import make_settings
from tests.spi.conftest import SpiServer, assert_wix_error, signed_call, table_counts
from tests.support.fixtures_pos import EVERY_DAY, PosWorld, build_pos
from tests.support.orders import line, order_dict
from tests.support.server import serve_in_thread
from tests.support.signer import TestSigner

# all_backends where the database backend matters (the order write, races, what a column holds, prices); opening
# hours and the quantity cap are decided before it

ALWAYS_OPEN = {"hours": [{"day": day, "open": "00:00", "close": "24:00"} for day in EVERY_DAY]}
NEVER_OPEN = {"hours": [{"day": "MON", "open": "03:00", "close": "03:00"}]}  # an empty window: closed all week


def request_for(world: PosWorld, order: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"accountId": world.account_id, "configurationId": world.configuration_id, "order": order} | extra


@pytest.mark.all_backends
@pytest.mark.slow
def test_fifty_concurrent_identical_creates_over_http_make_one_order(
    spi_server: SpiServer, signer: TestSigner, db: Database, instance_id: str
) -> None:
    world = build_pos(db, instance_id, location=ALWAYS_OPEN)
    request = request_for(
        world, order_dict([line("item-2", 2, options={"Size": ["var-small"]})]), paidByPosGateway=True
    )
    barrier = threading.Barrier(50)

    def send(_: int) -> httpx.Response:
        with httpx.Client(base_url=spi_server.url, timeout=60) as client:
            barrier.wait()
            return signed_call(client, signer, "create-order", request, instance_id)

    with ThreadPoolExecutor(max_workers=50) as pool:
        responses = list(pool.map(send, range(50)))
    assert [r.status_code for r in responses] == [200] * 50, [r.text for r in responses if r.status_code != 200]
    answers = {(r.json()["posOrderId"], r.json()["posLocationId"]) for r in responses}
    assert len(answers) == 1
    assert next(iter(answers))[1] == "loc-1"
    with db.transaction(write=False) as session:
        orders = session.scalars(select(OrderRow).where(OrderRow.instance_id == instance_id)).all()
        assert [o.pos_order_id for o in orders] == [next(iter(answers))[0]]
        assert session.get(Stock, (world.items["item-2"], world.location)).quantity == 3


@pytest.mark.all_backends
def test_all_failures_come_back_in_one_wix_error_in_check_order(
    spi: httpx.Client, signer: TestSigner, db: Database, instance_id: str
) -> None:
    world = build_pos(db, instance_id, location=ALWAYS_OPEN)
    order = order_dict(
        [line("item-1", price="11.00"), line("item-3", catalog_item_id="wix-dish-ghost")],
        customer={"firstName": "Ada"},
        totals={"total": "99.00"},
    )
    before = table_counts(db)
    body = assert_wix_error(signed_call(spi, signer, "create-order", request_for(world, order), instance_id), 400)
    errors = body["applicationError"]["data"]["errors"]
    assert [e["code"] for e in errors] == [
        "PRICE_CHANGED",
        "ORDER_ITEM",
        "REQUIREMENTS_NOT_MET",
        "ORDER_TOTAL",
        "CUSTOMER_PHONE_MISSING",
    ]
    assert errors[0] == {
        "code": "PRICE_CHANGED",
        "message": "'Margherita' costs 12.50, not 11.00",
        "params": {"itemId": "wix-dish-item-1", "oldPrice": "11.00", "newPrice": "12.50"},
    }
    assert body["applicationError"]["code"] == "PRICE_CHANGED"
    assert table_counts(db) == before


@pytest.mark.parametrize("suffix", ["validate-order", "create-order"])
def test_a_closed_location_is_a_failed_precondition(
    spi: httpx.Client, signer: TestSigner, db: Database, instance_id: str, suffix: str
) -> None:
    world = build_pos(db, instance_id, location=NEVER_OPEN)
    response = signed_call(spi, signer, suffix, request_for(world, order_dict(), paidByPosGateway=False), instance_id)
    body = assert_wix_error(response, 428, "CLOSED")
    assert body["message"].startswith("Downtown is closed at ")


@pytest.mark.all_backends
@pytest.mark.parametrize(
    ("path", "value", "field"),
    [
        (("comment",), "no\x00te", "order.comment"),
        (("lineItems", 0, "comment"), "\x00", "order.lineItems[0].comment"),
        (("id",), "o" * 129, "order.id"),
        (("lineItems", 0, "quantity"), 2**31, "order.lineItems[0].quantity"),
        (("totals", "total"), 10**30, "order.totals.total"),
        (("totals", "tax"), "99999999999999999.00", "order.totals.tax"),
        (("currency",), "\ud800", "order.currency"),
        (("customer", "lastName"), "\udc00", "order.customer.lastName"),
    ],
)
def test_what_the_database_cannot_hold_is_a_400_naming_the_field_at_validate_and_create(
    spi: httpx.Client, signer: TestSigner, db: Database, instance_id: str, path: tuple[Any, ...], value: Any, field: str
) -> None:
    world = build_pos(db, instance_id, location=ALWAYS_OPEN)
    order = copy.deepcopy(order_dict([line("item-3")]))  # the customer is a shared constant
    target: Any = order
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = value
    before = table_counts(db)
    for suffix in ("validate-order", "create-order"):
        response = signed_call(spi, signer, suffix, request_for(world, order, paidByPosGateway=False), instance_id)
        body = assert_wix_error(response, 400, "OTHER")
        assert [e["params"]["field"] for e in body["applicationError"]["data"]["errors"]] == [field]
    assert table_counts(db) == before


def test_a_quantity_over_the_maximum_is_a_wix_error_not_an_order(
    spi: httpx.Client, signer: TestSigner, db: Database, instance_id: str
) -> None:
    world = build_pos(db, instance_id, location=ALWAYS_OPEN, stock={})
    order = order_dict([line("item-3", 100_000)])
    before = table_counts(db)
    response = signed_call(spi, signer, "create-order", request_for(world, order, paidByPosGateway=False), instance_id)
    body = assert_wix_error(response, 400, "ORDER_ITEM")
    assert body["message"] == "Line 1 asks for 100000 × 'Tiramisu'; one order takes at most 999"
    assert table_counts(db) == before


@pytest.mark.all_backends
def test_the_observe_setting_lets_a_mismatched_total_through_and_records_it(
    db: Database, db_url: str, signer: TestSigner, instance_id: str
) -> None:
    world = build_pos(db, instance_id, location=ALWAYS_OPEN)
    settings = make_settings(db_url, signer, order_checks="observe")
    order = order_dict([line("item-3")], totals={"total": "8.00"})
    with serve_in_thread(create_app(settings, db)) as url, httpx.Client(base_url=url, timeout=30) as client:
        request = request_for(world, order, paidByPosGateway=False)
        assert signed_call(client, signer, "validate-order", request, instance_id).status_code == 200
        created = signed_call(client, signer, "create-order", request, instance_id)
        assert created.status_code == 200, created.text
        ghost = order_dict([line("item-3", catalog_item_id="wix-dish-ghost")])
        refused = signed_call(client, signer, "validate-order", request_for(world, ghost), instance_id)
        assert_wix_error(refused, 400, "ORDER_ITEM")
    with db.transaction(write=False) as session:
        row = session.scalars(select(OrderRow).where(OrderRow.wix_order_id == order["id"])).one()
        assert [f["code"] for f in row.observed_failures or []] == ["ORDER_TOTAL"]
