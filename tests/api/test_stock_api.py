"""Stock and 86 over the admin API (real HTTP): list with a search, 86 for a while, restore, set a count,
refusals in the one error shape, and another instance's locations out of reach."""

from __future__ import annotations

import uuid
from datetime import datetime

import httpx
import pytest

from posbridge.store.db import Database
from posbridge.store.models import Stock
from tests.support.fixtures_pos import PosWorld, build_pos


@pytest.fixture()
def world(db: Database, instance_id: str) -> PosWorld:
    return build_pos(db, instance_id)


def test_86_restore_and_count_over_http(http: httpx.Client, admin_headers: dict[str, str], world: PosWorld) -> None:
    scope = {"instanceId": world.instance_id}
    body = {"locationId": "loc-1", "for": "2h"}
    response = http.post("/api/v1/stock/item-2/86", json=body, params=scope, headers=admin_headers)
    assert response.status_code == 200, response.text
    view = response.json()
    assert view["eightySixed"] is True and view["inStock"] is False and view["itemName"] == "Diavola"
    assert datetime.fromisoformat(view["outUntil"]) > datetime.fromisoformat("2026-01-01T00:00:00+00:00")
    listed = http.get(
        "/api/v1/stock", params={**scope, "locationId": "loc-1", "out": "true"}, headers=admin_headers
    ).json()
    assert [v["itemId"] for v in listed] == ["item-2"]
    response = http.post(
        "/api/v1/stock/item-2/restore", json={"locationId": "loc-1"}, params=scope, headers=admin_headers
    )
    assert response.status_code == 200 and response.json()["inStock"] is True
    response = http.put(
        "/api/v1/stock/item-2/count", json={"locationId": "loc-1", "count": 0}, params=scope, headers=admin_headers
    )
    assert response.status_code == 200 and response.json()["available"] == 0


@pytest.mark.parametrize(
    ("path", "body", "status", "code"),
    [
        ("/api/v1/stock/item-2/86", {"locationId": "loc-1", "for": "soon"}, 400, "INVALID_DURATION"),
        ("/api/v1/stock/item-2/86", {"locationId": "loc-1", "until": "2000-01-01T00:00:00Z"}, 400, "INVALID_UNTIL"),
        ("/api/v1/stock/nope/86", {"locationId": "loc-1"}, 404, "ITEM_NOT_FOUND"),
        ("/api/v1/stock/item-2/86", {"locationId": "elsewhere"}, 404, "LOCATION_NOT_FOUND"),
        ("/api/v1/stock/item-2/86", {}, 422, "INVALID_ARGUMENT"),
    ],
)
def test_refusals(
    http: httpx.Client,
    admin_headers: dict[str, str],
    db: Database,
    world: PosWorld,
    path: str,
    body: dict[str, str],
    status: int,
    code: str,
) -> None:
    response = http.post(path, json=body, params={"instanceId": world.instance_id}, headers=admin_headers)
    assert response.status_code == status, response.text
    assert set(response.json()) == {"message", "code", "details"}
    assert response.json()["code"] == code
    with db.transaction(write=False) as session:
        assert session.get(Stock, (world.items["item-2"], world.location)).out_of_stock is False


def test_another_instances_location_is_not_found(
    http: httpx.Client, admin_headers: dict[str, str], world: PosWorld
) -> None:
    response = http.post(
        "/api/v1/stock/item-2/86",
        json={"locationId": "loc-1"},
        params={"instanceId": str(uuid.uuid4())},
        headers=admin_headers,
    )
    assert response.status_code == 404 and response.json()["code"] == "LOCATION_NOT_FOUND"
