"""A merchant's own POS over real HTTP: the operator connects it; the POS sends menus, prices and stock
with its merchant's API key, for that merchant only."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from posbridge.config import Settings
from posbridge.services import pos_deliveries
from posbridge.services.accounts import issue_api_key
from posbridge.services.ordering import create_order
from posbridge.store.db import Database
from posbridge.store.models import Item, ItemLocationPrice, Location, Merchant, OrderRow, OrderStatusChange, Stock
from tests.pos.menu_documents import small_document
from tests.support.fixtures_pos import PosWorld, build_pos
from tests.support.orders import FRIDAY_EVENING, line, wix_order


def _merchant(http: httpx.Client, admin: dict[str, str]) -> tuple[dict[str, Any], dict[str, str]]:
    """A merchant imported by the operator, and the headers of its POS (its API key)."""
    document = small_document()
    assert http.post("/api/v1/imports", json=document, headers=admin).status_code == 200
    issued = http.post(f"/api/v1/merchants/{document['merchant']['id']}/api-key", headers=admin)
    assert issued.status_code == 200, issued.text
    return document, {"Authorization": f"Bearer {issued.json()['apiKey']}"}


def _item(db: Database, merchant_id: str, item_id: str) -> Item:
    with db.transaction(write=False) as session:
        row = session.scalar(
            select(Item)
            .join(Merchant, Merchant.id == Item.merchant_id)
            .where(Merchant.pos_id == merchant_id, Item.pos_id == item_id)
        )
        assert row is not None
        session.expunge(row)
        return row


def _stock(db: Database, merchant_id: str, item_id: str, location_id: str) -> tuple[int | None, bool] | None:
    with db.transaction(write=False) as session:
        row = session.execute(
            select(Stock.quantity, Stock.out_of_stock)
            .join(Item, Item.id == Stock.item_id)
            .join(Location, Location.id == Stock.location_id)
            .join(Merchant, Merchant.id == Item.merchant_id)
            .where(Merchant.pos_id == merchant_id, Item.pos_id == item_id, Location.pos_id == location_id)
        ).first()
        return None if row is None else (row[0], row[1])


def test_the_operator_connects_a_pos_and_its_secret_is_shown_once(
    http: httpx.Client, admin_headers: dict[str, str]
) -> None:
    document, _ = _merchant(http, admin_headers)
    path = f"/api/v1/merchants/{document['merchant']['id']}/pos"
    assert http.get(path, headers=admin_headers).status_code == 404
    made = http.put(path, json={"url": "https://pos.example/hooks"}, headers=admin_headers)
    assert made.status_code == 200, made.text
    assert made.json()["secret"].startswith("whsec_")
    shown = http.get(path, headers=admin_headers).json()
    assert shown == {"merchantId": document["merchant"]["id"], "url": "https://pos.example/hooks", "secret": None}
    bad = http.put(path, json={"url": "gopher://x"}, headers=admin_headers)
    assert bad.status_code == 400 and bad.json()["code"] == "INVALID_POS_URL"
    assert http.get(path, headers=admin_headers).json()["url"] == "https://pos.example/hooks"
    assert http.delete(path, headers=admin_headers).status_code == 204
    assert http.get(path, headers=admin_headers).status_code == 404
    # The operator's routes are the operator's: a merchant key does not open them.
    _, pos_headers = _merchant(http, admin_headers)
    assert http.put(path, json={"url": "https://evil.example"}, headers=pos_headers).status_code == 401


def test_the_pos_changes_price_stock_and_86_of_its_own_items(
    http: httpx.Client, admin_headers: dict[str, str], db: Database
) -> None:
    document, pos = _merchant(http, admin_headers)
    merchant = document["merchant"]["id"]
    body = {"price": "13.25", "locations": {"loc-1": {"stock": 3, "price": "13.75"}, "loc-2": {"outOfStock": True}}}
    changed = http.patch("/api/v1/pos/items/item-1", json=body, headers=pos)
    assert changed.status_code == 200, changed.text
    assert changed.json() == {"itemId": "item-1", "changed": True}
    assert _item(db, merchant, "item-1").price == Decimal("13.25")
    assert _stock(db, merchant, "item-1", "loc-1") == (3, False)
    assert _stock(db, merchant, "item-1", "loc-2") == (None, True)
    with db.transaction(write=False) as session:
        prices = session.scalars(
            select(ItemLocationPrice.price)
            .join(Location, Location.id == ItemLocationPrice.location_id)
            .where(ItemLocationPrice.item_id == _item(db, merchant, "item-1").id, Location.pos_id == "loc-1")
        ).all()
    assert prices == [Decimal("13.75")]
    again = http.patch("/api/v1/pos/items/item-1", json=body, headers=pos)
    assert again.json()["changed"] is False


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"price": "-1"}, 422),
        ({"price": "1.234"}, 422),
        ({"locations": {"loc-1": {"stock": -2}}}, 422),
        ({"locations": {"loc-1": {"outOfStock": True, "outUntil": "2026-12-01T10:00:00"}}}, 422),
        ({"price": "2.00", "locations": {"loc-9": {"stock": 1}}}, 404),
    ],
)
def test_a_refused_update_changes_nothing(
    http: httpx.Client, admin_headers: dict[str, str], db: Database, body: dict[str, Any], status: int
) -> None:
    document, pos = _merchant(http, admin_headers)
    response = http.patch("/api/v1/pos/items/item-1", json=body, headers=pos)
    assert response.status_code == status, response.text
    assert set(response.json()) == {"message", "code", "details"}
    assert _item(db, document["merchant"]["id"], "item-1").price == Decimal("12.50")
    assert _stock(db, document["merchant"]["id"], "item-1", "loc-1") == (40, False)


def test_the_pos_sends_its_whole_menu(http: httpx.Client, admin_headers: dict[str, str], db: Database) -> None:
    document, pos = _merchant(http, admin_headers)
    document["items"][2]["price"] = "7.50"
    sent = http.post("/api/v1/pos/menu", json=document, headers=pos)
    assert sent.status_code == 200, sent.text
    assert sent.json()["kinds"]["items"]["updated"] == 1
    assert _item(db, document["merchant"]["id"], "item-3").price == Decimal("7.50")


def test_a_merchant_key_reaches_only_its_own_merchant(
    http: httpx.Client, admin_headers: dict[str, str], db: Database
) -> None:
    mine, my_pos = _merchant(http, admin_headers)
    theirs, _ = _merchant(http, admin_headers)
    # Another merchant's document: refused before anything is read into the store.
    theirs["items"][0]["price"] = "1.00"
    refused = http.post("/api/v1/pos/menu", json=theirs, headers=my_pos)
    assert refused.status_code == 403 and refused.json()["code"] == "FORBIDDEN"
    assert _item(db, theirs["merchant"]["id"], "item-1").price == Decimal("12.50")
    # The same item id exists for both merchants: the key's merchant is the one changed.
    assert http.patch("/api/v1/pos/items/item-1", json={"price": "11.00"}, headers=my_pos).status_code == 200
    assert _item(db, mine["merchant"]["id"], "item-1").price == Decimal("11.00")
    assert _item(db, theirs["merchant"]["id"], "item-1").price == Decimal("12.50")


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer pbk_not-a-key"}, {"Authorization": "Bearer pbk_"}, {"Authorization": "Basic eDp5"}],
)
def test_the_pos_routes_need_a_merchant_key(
    http: httpx.Client, admin_headers: dict[str, str], headers: dict[str, str]
) -> None:
    for method, path in (("PATCH", "/api/v1/pos/items/item-1"), ("POST", "/api/v1/pos/menu")):
        response = http.request(method, path, json={}, headers=headers)
        assert response.status_code == 401, response.text
        assert response.json()["code"] == "UNAUTHENTICATED"
    # The operator token is no merchant key either.
    assert http.patch("/api/v1/pos/items/item-1", json={}, headers=admin_headers).status_code == 401


def _world_with_key(db: Database, instance_id: str) -> tuple[PosWorld, dict[str, str]]:
    world = build_pos(db, instance_id)
    with db.transaction(write=False) as session:
        merchant = session.get(Merchant, world.merchant)
        assert merchant is not None
        merchant_id = merchant.pos_id
    return world, {"Authorization": f"Bearer {issue_api_key(db, merchant_id=merchant_id)}"}


def _order(db: Database, world: PosWorld) -> OrderRow:
    created = create_order(
        db, **world.ids(), order=wix_order([line("item-3")]), paid_by_pos_gateway=True, now=FRIDAY_EVENING
    )
    with db.transaction(write=False) as session:
        order = session.scalars(select(OrderRow).where(OrderRow.pos_order_id == created.pos_order_id)).one()
        session.expunge(order)
        return order


def test_the_pos_reports_status_changes_of_its_own_orders(http: httpx.Client, db: Database, instance_id: str) -> None:
    world, pos = _world_with_key(db, instance_id)
    order = _order(db, world)
    path = f"/api/v1/pos/orders/{order.pos_order_id}/status"
    accepted = http.post(path, json={"status": "ACCEPTED", "reason": "on the grill"}, headers=pos)
    assert accepted.status_code == 200, accepted.text
    assert accepted.json() == {
        "posOrderId": order.pos_order_id,
        "wixOrderId": order.wix_order_id,
        "previous": "NEW",
        "status": "ACCEPTED",
        "changed": True,
    }
    assert http.post(path, json={"status": "ACCEPTED"}, headers=pos).json()["changed"] is False
    by_wix_id = http.post(f"/api/v1/pos/orders/{order.wix_order_id}/status", json={"status": "READY"}, headers=pos)
    assert by_wix_id.status_code == 200 and by_wix_id.json()["status"] == "READY"
    backwards = http.post(path, json={"status": "NEW"}, headers=pos)
    assert backwards.status_code == 409 and backwards.json()["code"] == "STATUS_TRANSITION_NOT_ALLOWED"
    unknown = http.post(path, json={"status": "COOKING"}, headers=pos)
    assert unknown.status_code == 422
    # The accepted values are the kitchen flow's statuses, named in the refusal as they always were.
    assert unknown.json()["details"] == {
        "errors": [
            {"field": "body.status", "message": "Input should be 'NEW', 'ACCEPTED', 'READY', 'FULFILLED' or 'CANCELED'"}
        ]
    }
    with db.transaction(write=False) as session:
        steps = session.scalars(
            select(OrderStatusChange).where(OrderStatusChange.order_id == order.id).order_by(OrderStatusChange.id)
        ).all()
        assert [(s.status, s.actor) for s in steps][1:] == [("ACCEPTED", "POS"), ("READY", "POS")]
        assert steps[1].note == "on the grill"


def test_another_merchants_order_is_not_found(http: httpx.Client, db: Database, instance_id: str) -> None:
    world, _ = _world_with_key(db, instance_id)
    order = _order(db, world)
    _, other_pos = _world_with_key(db, str(uuid.uuid4()))
    for order_id in (order.pos_order_id, order.wix_order_id):
        response = http.post(f"/api/v1/pos/orders/{order_id}/status", json={"status": "CANCELED"}, headers=other_pos)
        assert response.status_code == 404 and response.json()["code"] == "ORDER_NOT_FOUND"
    with db.transaction(write=False) as session:
        row = session.get(OrderRow, order.id)
        assert row is not None and row.status == "NEW"


def test_the_operator_reads_an_orders_delivery_log(
    http: httpx.Client, admin_headers: dict[str, str], db: Database, settings: Settings, instance_id: str
) -> None:
    world, _ = _world_with_key(db, instance_id)
    with db.transaction(write=False) as session:
        merchant = session.get(Merchant, world.merchant)
        assert merchant is not None
        merchant_id = merchant.pos_id
    # Nothing listens on port 9: the delivery stays owed, with its attempt logged.
    pos_deliveries.set_pos(db, merchant_id=merchant_id, url="http://127.0.0.1:9/hooks", secret_key=settings.secret_key)
    order = _order(db, world)
    with pos_deliveries.http_client(timeout=2) as client:
        wait = pos_deliveries.deliver_order(db, order.pos_order_id, secret_key=settings.secret_key, http=client)
    assert wait is not None
    for order_id in (order.pos_order_id, order.wix_order_id):
        log = http.get(f"/api/v1/orders/{order_id}/pos-deliveries", headers=admin_headers)
        assert log.status_code == 200, log.text
        (entry,) = log.json()
        assert (entry["event"], entry["status"], entry["attempts"]) == ("order.created", "PENDING", 1)
        assert entry["log"][0]["statusCode"] is None and "ConnectError" in entry["log"][0]["error"]
    missing = http.get("/api/v1/orders/nope/pos-deliveries", headers=admin_headers)
    assert missing.status_code == 404
