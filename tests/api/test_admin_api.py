"""The operator's admin API over real HTTP: token guard, imports, link and pair, listings, one error shape."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import httpx
import jsonschema_rs
import pytest

from posbridge.app import create_app
from posbridge.config import Settings
from posbridge.pos.menu_format import json_schema
from posbridge.store.db import Database
from posbridge.store.models import Configuration, OrderRow
from tests.pos.menu_documents import generated_document, small_document
from tests.support.fixtures_pos import CONTACT_JSON
from tests.support.server import serve_in_thread
from wixsim.client import WixSimClient
from wixsim.testing import wixsim, wixsim_server  # noqa: F401  (fixtures)

# No Wix behind these tests: link and pair take the instance and configuration on trust.
OFFLINE = {"offline": "true"}


def _import(http: httpx.Client, headers: dict[str, str], document: dict[str, Any] | None = None) -> str:
    document = document or small_document()
    response = http.post("/api/v1/imports", json=document, headers=headers)
    assert response.status_code == 200, response.text
    return str(document["merchant"]["id"])


def _link_and_pair(http: httpx.Client, headers: dict[str, str], instance_id: str) -> str:
    merchant = _import(http, headers)
    response = http.post(
        f"/api/v1/instances/{instance_id}/accounts",
        params=OFFLINE,
        json={"accountId": merchant, "contact": CONTACT_JSON},
        headers=headers,
    )
    assert response.status_code == 200, response.text
    assert response.json()["missingInformation"] == []
    response = http.put(
        f"/api/v1/instances/{instance_id}/configurations/cfg-1",
        params=OFFLINE,
        json={"locationId": "loc-1"},
        headers=headers,
    )
    assert response.status_code == 200, response.text
    return merchant


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/api/v1/instances"),
        ("POST", "/api/v1/imports"),
        ("GET", "/api/v1/orders"),
        ("PUT", "/api/v1/instances/i/configurations/c"),
        ("DELETE", "/api/v1/instances/i/accounts/a"),
    ],
)
def test_the_operator_token_is_required(http: httpx.Client, method: str, path: str) -> None:
    for headers in ({}, {"Authorization": "Bearer wrong-token"}, {"Authorization": "Basic eDp5"}):
        response = http.request(method, path, headers=headers, json={})
        assert response.status_code == 401, (headers, response.text)
        assert response.json()["code"] == "UNAUTHENTICATED"
        assert response.headers["WWW-Authenticate"] == "Bearer"


def test_without_a_configured_token_the_admin_api_is_disabled(settings: Settings, db: Database) -> None:
    disabled = settings.model_copy(update={"admin_token": None})
    with serve_in_thread(create_app(disabled, db)) as url:
        response = httpx.get(f"{url}/api/v1/instances", headers={"Authorization": "Bearer anything"})
    assert response.status_code == 503
    assert response.json() == {
        "message": "admin API disabled (POSBRIDGE_ADMIN_TOKEN is not set)",
        "code": "ADMIN_API_DISABLED",
        "details": {},
    }


def test_an_import_reports_what_changed_and_a_re_import_changes_nothing(
    http: httpx.Client, admin_headers: dict[str, str]
) -> None:
    document = small_document()
    first = http.post("/api/v1/imports", json=document, headers=admin_headers).json()
    assert first["merchantId"] == document["merchant"]["id"]
    assert first["kinds"]["items"] == {"created": 4, "updated": 0, "removed": 0, "unchanged": 0}
    again = http.post("/api/v1/imports", json=document, headers=admin_headers).json()
    assert again["changed"] == 0


def test_an_invalid_document_is_refused_with_every_problem(http: httpx.Client, admin_headers: dict[str, str]) -> None:
    document = small_document()
    document["items"][3]["price"] = "-1"
    document["menus"][0]["locations"].append("loc-9")
    response = http.post("/api/v1/imports", json=document, headers=admin_headers)
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "INVALID_MENU_DOCUMENT"
    assert body["details"]["problems"] == [
        {"path": "$.items[3].price", "reason": "must be a decimal string ≥ 0 with at most 4 decimal places"},
        {"path": "$.menus[0].locations[2]", "reason": "unknown location 'loc-9'"},
    ]
    listed = http.get("/api/v1/instances", headers=admin_headers)
    assert listed.status_code == 200


def test_a_body_that_is_not_json_is_a_400(http: httpx.Client, admin_headers: dict[str, str]) -> None:
    response = http.post("/api/v1/imports", content=b"{nope", headers=admin_headers)
    assert response.status_code == 400
    assert response.json()["code"] == "INVALID_JSON"
    response = http.put(
        "/api/v1/instances/i/configurations/c",
        content=b"{nope",
        headers={**admin_headers, "Content-Type": "application/json"},
    )
    assert (response.status_code, response.json()["code"]) == (400, "INVALID_JSON")


def test_the_generated_big_menu_imports_over_http(http: httpx.Client, admin_headers: dict[str, str]) -> None:
    response = http.post("/api/v1/imports", json=generated_document(seed=4242), headers=admin_headers)
    assert response.status_code == 200
    assert response.json()["kinds"]["items"]["created"] == 2000


def test_link_pair_and_list_an_instance(http: httpx.Client, admin_headers: dict[str, str], instance_id: str) -> None:
    merchant = _link_and_pair(http, admin_headers, instance_id)
    accounts = http.get(f"/api/v1/instances/{instance_id}/accounts", headers=admin_headers).json()
    assert [(a["accountId"], a["status"], a["hasCredentials"]) for a in accounts] == [(merchant, "ACTIVE", False)]
    configurations = http.get(f"/api/v1/instances/{instance_id}/configurations", headers=admin_headers).json()
    assert len(configurations) == 1
    configuration = configurations[0]
    assert configuration["configurationId"] == "cfg-1"
    assert configuration["locationId"] == "loc-1"
    assert configuration["menuIds"] == ["menu-1", "menu-2"]
    assert configuration["status"] == "READY"

    one = http.put(
        f"/api/v1/instances/{instance_id}/configurations/cfg-1",
        params=OFFLINE,
        json={"locationId": "loc-1", "menuIds": ["menu-2"], "catalogId": "cat-9"},
        headers=admin_headers,
    ).json()
    assert (one["menuIds"], one["catalogId"]) == (["menu-2"], "cat-9")

    unpaired = http.delete(f"/api/v1/instances/{instance_id}/configurations/cfg-1", headers=admin_headers)
    assert unpaired.status_code == 200
    assert (unpaired.json()["status"], unpaired.json()["locationId"]) == ("PENDING", None)

    gone = http.delete(f"/api/v1/instances/{instance_id}/accounts/{merchant}", headers=admin_headers)
    assert gone.json()["status"] == "DISCONNECTED"
    instances = http.get("/api/v1/instances", params={"limit": 500}, headers=admin_headers).json()
    mine = [i for i in instances["items"] if i["id"] == instance_id]
    assert mine and mine[0]["connectedAccounts"] == 0 and mine[0]["configurations"] == 1


def test_a_merchant_api_key_is_issued_once_and_checked_when_linking(
    http: httpx.Client, admin_headers: dict[str, str], instance_id: str
) -> None:
    merchant = _import(http, admin_headers)
    issued = http.post(f"/api/v1/merchants/{merchant}/api-key", headers=admin_headers)
    assert issued.status_code == 200
    key = issued.json()["apiKey"]
    wrong = http.post(
        f"/api/v1/instances/{instance_id}/accounts",
        params=OFFLINE,
        json={"accountId": merchant, "credentials": "pbk_wrong"},
        headers=admin_headers,
    )
    assert (wrong.status_code, wrong.json()["code"]) == (403, "ACCOUNT_NOT_AUTHORIZED")
    assert "pbk_wrong" not in wrong.text
    linked = http.post(
        f"/api/v1/instances/{instance_id}/accounts",
        params=OFFLINE,
        json={"accountId": merchant, "credentials": key},
        headers=admin_headers,
    )
    assert linked.status_code == 200 and linked.json()["hasCredentials"] is True
    assert key not in linked.text


def test_business_errors_come_in_one_shape_with_their_status(
    http: httpx.Client, admin_headers: dict[str, str], instance_id: str
) -> None:
    _link_and_pair(http, admin_headers, instance_id)
    other = _import(http, admin_headers)
    conflict = http.post(
        f"/api/v1/instances/{instance_id}/accounts", params=OFFLINE, json={"accountId": other}, headers=admin_headers
    )
    assert conflict.status_code == 409
    body = conflict.json()
    assert set(body) == {"message", "code", "details"}
    assert body["code"] == "ACCOUNT_CONFIGURATION" and "disconnect it first" in body["message"]

    missing = http.put(
        f"/api/v1/instances/{instance_id}/configurations/cfg-2",
        params=OFFLINE,
        json={"locationId": "loc-404"},
        headers=admin_headers,
    )
    assert (missing.status_code, missing.json()["code"]) == (404, "LOCATION_NOT_FOUND")

    bad_menus = http.put(
        f"/api/v1/instances/{instance_id}/configurations/cfg-2",
        params=OFFLINE,
        json={"locationId": "loc-2", "menuIds": ["menu-2", "menu-7"]},
        headers=admin_headers,
    )
    assert bad_menus.status_code == 400
    assert [e["params"]["menuId"] for e in bad_menus.json()["details"]["errors"]] == ["menu-2", "menu-7"]

    invalid = http.put(
        f"/api/v1/instances/{instance_id}/configurations/cfg-2", params=OFFLINE, json={}, headers=admin_headers
    )
    assert invalid.status_code == 422
    assert invalid.json()["code"] == "INVALID_ARGUMENT"
    assert invalid.json()["details"]["errors"][0]["field"] == "body.locationId"


@pytest.fixture()
def two_tenants_with_orders(db: Database, http: httpx.Client, admin_headers: dict[str, str]) -> Iterator[list[str]]:
    """Two instances, each paired and with two orders (written straight to the store)."""
    tenants = [str(uuid.uuid4()), str(uuid.uuid4())]
    for tenant in tenants:
        _link_and_pair(http, admin_headers, tenant)
        with db.transaction() as session:
            configuration = session.query(Configuration).filter_by(instance_id=tenant, wix_id="cfg-1").one()
            for n, status in enumerate(("NEW", "FULFILLED")):
                session.add(
                    OrderRow(
                        pos_order_id=f"pos-{uuid.uuid4().hex[:12]}",
                        instance_id=tenant,
                        configuration_wix_id="cfg-1",
                        configuration_id=configuration.id,
                        wix_order_id=f"wix-{n}",
                        location_id=configuration.location_id,
                        status=status,
                        currency="USD",
                        subtotal=Decimal("12.50"),
                        total=Decimal("13.61"),
                        fulfillment_type="PICKUP",
                        wix_order={},
                    )
                )
    yield tenants


def test_listings_of_one_instance_never_show_another(
    http: httpx.Client, admin_headers: dict[str, str], two_tenants_with_orders: list[str]
) -> None:
    first, second = two_tenants_with_orders
    for tenant in (first, second):
        orders = http.get("/api/v1/orders", params={"instanceId": tenant}, headers=admin_headers).json()
        assert orders["total"] == 2
        assert {o["instanceId"] for o in orders["items"]} == {tenant}
        assert {o["total"] for o in orders["items"]} == {"13.61"}
        for path in ("accounts", "configurations"):
            rows = http.get(f"/api/v1/instances/{tenant}/{path}", headers=admin_headers).json()
            assert rows and {r["instanceId"] for r in rows} == {tenant}
    new_only = http.get("/api/v1/orders", params={"instanceId": first, "status": "NEW"}, headers=admin_headers)
    assert [o["status"] for o in new_only.json()["items"]] == ["NEW"]
    page = http.get("/api/v1/orders", params={"instanceId": first, "limit": 1, "offset": 1}, headers=admin_headers)
    assert (page.json()["total"], len(page.json()["items"]), page.json()["offset"]) == (2, 1, 1)
    # Another instance's configuration or account is simply not found.
    cross = http.get(f"/api/v1/instances/{second}/configurations/does-not-exist", headers=admin_headers)
    assert cross.status_code == 404


def test_the_openapi_document_describes_the_admin_api(http: httpx.Client) -> None:
    spec = http.get("/api/v1/openapi.json").json()
    paths = spec["paths"]
    assert "/api/v1/imports" in paths
    assert "put" in paths["/api/v1/instances/{instanceId}/configurations/{configurationId}"]
    schemas = spec["components"]["schemas"]
    assert {"PairRequest", "LinkAccountRequest", "ConfigurationView", "ErrorBody", "ImportReportOut"} <= set(schemas)
    assert "locationId" in schemas["PairRequest"]["properties"]
    assert spec["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"


def test_an_offset_beyond_any_database_is_a_422_not_a_500(http: httpx.Client, admin_headers: dict[str, str]) -> None:
    for path in ("/api/v1/instances", "/api/v1/orders"):
        response = http.get(path, params={"offset": "1" * 27}, headers=admin_headers)
        assert response.status_code == 422, response.text
        assert response.json()["code"] == "INVALID_ARGUMENT"
    biggest = http.get("/api/v1/orders", params={"offset": str(2**63 - 1)}, headers=admin_headers)
    assert biggest.status_code == 200, biggest.text
    assert biggest.json()["items"] == []


def test_an_unknown_status_filter_is_refused_naming_the_valid_ones(
    http: httpx.Client, admin_headers: dict[str, str]
) -> None:
    response = http.get("/api/v1/orders", params={"status": "DONE"}, headers=admin_headers)
    assert response.status_code == 422
    assert "'NEW', 'ACCEPTED', 'READY', 'FULFILLED' or 'CANCELED'" in response.text


def test_a_body_that_cannot_be_parsed_is_a_400_in_the_one_error_shape(
    http: httpx.Client, admin_headers: dict[str, str], instance_id: str
) -> None:
    headers = {**admin_headers, "Content-Type": "application/json"}
    response = http.post(
        f"/api/v1/instances/{instance_id}/accounts", params=OFFLINE, content=b"\xff9_\xd3\x91", headers=headers
    )
    assert response.status_code == 400
    assert set(response.json()) == {"message", "code", "details"}
    assert response.json()["message"]


def test_the_openapi_document_lists_every_status_and_the_menu_format(http: httpx.Client) -> None:
    spec = http.get("/api/v1/openapi.json").json()
    put = spec["paths"]["/api/v1/instances/{instanceId}/configurations/{configurationId}"]["put"]
    assert {"400", "401", "404", "409", "422", "428", "502", "503"} <= set(put["responses"])
    for operation in (op for path in spec["paths"].values() for op in path.values()):
        for status, response in operation["responses"].items():
            if status >= "400":
                assert response["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/ErrorBody"}
    body = spec["paths"]["/api/v1/imports"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert body["title"] == "posbridge.menu/1"
    assert body["additionalProperties"] is False
    assert set(body["required"]) == {"format", "merchant", "locations", "menus", "items"}
    assert body["properties"]["items"]["items"]["properties"]["price"]["pattern"]


def test_the_menu_schema_accepts_what_the_importer_accepts() -> None:
    validator = jsonschema_rs.Draft202012Validator(json_schema())
    for document in (small_document(), generated_document(40)):
        assert validator.is_valid(document)
    typo = small_document()
    typo["items"][0]["prize"] = "1.00"
    assert not validator.is_valid(typo)


def test_link_and_pair_over_the_api_ask_wix_and_write_nothing_on_a_typo(
    settings: Settings,
    db: Database,
    wixsim: WixSimClient,  # noqa: F811
) -> None:
    aimed = settings.model_copy(
        update={"wix_api_base": wixsim.base_url, "wix_app_id": wixsim.app_id, "wix_app_secret": wixsim.app_secret}
    )
    with serve_in_thread(create_app(aimed, db)) as url, httpx.Client(base_url=url, timeout=30) as http:
        headers = {"Authorization": "Bearer test-operator-token"}
        merchant = _import(http, headers)
        typo = http.post("/api/v1/instances/typo/accounts", json={"accountId": merchant}, headers=headers)
        assert (typo.status_code, typo.json()["code"]) == (404, "INSTANCE_NOT_FOUND")
        instances = http.get("/api/v1/instances", params={"limit": 500}, headers=headers).json()["items"]
        assert "typo" not in [row["id"] for row in instances]

        site = wixsim.create_site(configurations=1)
        instance, configuration = site["instanceId"], site["configurations"][0]["id"]
        body = {"accountId": merchant, "contact": CONTACT_JSON}
        linked = http.post(f"/api/v1/instances/{instance}/accounts", json=body, headers=headers)
        assert linked.status_code == 200, linked.text
        nope = http.put(
            f"/api/v1/instances/{instance}/configurations/nope-cfg", json={"locationId": "loc-1"}, headers=headers
        )
        assert (nope.status_code, nope.json()["code"]) == (404, "LOCATION_NOT_FOUND")
        assert http.get(f"/api/v1/instances/{instance}/configurations", headers=headers).json() == []
        paired = http.put(
            f"/api/v1/instances/{instance}/configurations/{configuration}",
            json={"locationId": "loc-1"},
            headers=headers,
        )
        assert paired.json()["status"] == "READY"
