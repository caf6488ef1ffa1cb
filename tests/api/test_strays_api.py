"""Removing strays over the admin API: what `posbridge instances/configurations remove` do, same rules."""

from __future__ import annotations

import uuid

import httpx

from tests.api.test_admin_api import _link_and_pair, two_tenants_with_orders  # noqa: F401  (fixture)


def test_a_stray_configuration_then_its_instance_are_deleted(http: httpx.Client, admin_headers: dict[str, str]) -> None:
    instance_id = str(uuid.uuid4())
    _link_and_pair(http, admin_headers, instance_id)
    configuration = f"/api/v1/instances/{instance_id}/configurations/cfg-1"
    removed = http.post(f"{configuration}/remove", headers=admin_headers)
    assert removed.status_code == 200, removed.text
    assert removed.json() == {"outcome": "DELETED", "orders": 0, "catalogEntities": 0}
    assert http.get(configuration, headers=admin_headers).status_code == 404

    gone = http.delete(f"/api/v1/instances/{instance_id}", headers=admin_headers)
    assert gone.status_code == 200, gone.text
    assert gone.json() == {"outcome": "DELETED", "orders": 0, "catalogEntities": 0}
    listed = http.get("/api/v1/instances", params={"limit": 500}, headers=admin_headers).json()
    assert instance_id not in [row["id"] for row in listed["items"]]
    again = http.delete(f"/api/v1/instances/{instance_id}", headers=admin_headers)
    assert (again.status_code, again.json()["code"]) == (404, "INSTANCE_NOT_FOUND")
    assert set(again.json()) == {"message", "code", "details"}


def test_what_is_in_use_is_refused_and_force_does_only_the_safe_part(
    http: httpx.Client,
    admin_headers: dict[str, str],
    two_tenants_with_orders: list[str],  # noqa: F811
) -> None:
    instance_id = two_tenants_with_orders[0]
    configuration = f"/api/v1/instances/{instance_id}/configurations/cfg-1"
    for refused in (
        http.post(f"{configuration}/remove", headers=admin_headers),
        http.delete(f"/api/v1/instances/{instance_id}", headers=admin_headers),
    ):
        assert (refused.status_code, refused.json()["code"]) == (409, "ACCOUNT_CONFIGURATION"), refused.text
    unpaired = http.post(f"{configuration}/remove", params={"force": "true"}, headers=admin_headers)
    assert unpaired.json() == {"outcome": "UNPAIRED", "orders": 2, "catalogEntities": 0}
    marked = http.delete(f"/api/v1/instances/{instance_id}", params={"force": "true"}, headers=admin_headers)
    assert marked.json() == {"outcome": "MARKED_REMOVED", "orders": 2, "catalogEntities": 0}
    orders = http.get("/api/v1/orders", params={"instanceId": instance_id}, headers=admin_headers).json()
    assert len(orders["items"]) == 2  # history kept
