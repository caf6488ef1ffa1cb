"""Validate Order and Create Order through the SPI: envelope to ordering service and back."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from posbridge.store.db import Database
from tests.spi.conftest import assert_wix_error, signed_call, table_counts
from tests.support.fixtures_pos import EVERY_DAY, PosWorld, build_pos
from tests.support.orders import line, order_dict
from tests.support.signer import TestSigner

# all_backends where the database backend matters (reads, the order write, idempotency); a malformed request is
# refused before any

# Open around the clock, so the answer does not depend on when the suite runs.
ALWAYS_OPEN = {"hours": [{"day": day, "open": "00:00", "close": "24:00"} for day in EVERY_DAY]}


@pytest.fixture()
def world(db: Database, instance_id: str) -> PosWorld:
    """A READY tenant that takes orders now."""
    return build_pos(db, instance_id, location=ALWAYS_OPEN)


def _order_call(
    spi: httpx.Client, signer: TestSigner, suffix: str, world: PosWorld, order: dict[str, Any], **extra: Any
) -> httpx.Response:
    request = {"accountId": world.account_id, "configurationId": world.configuration_id, "order": order} | extra
    return signed_call(spi, signer, suffix, request, world.instance_id)


@pytest.mark.all_backends
def test_validate_order_answers_valid(spi: httpx.Client, signer: TestSigner, world: PosWorld) -> None:
    response = _order_call(
        spi, signer, "validate-order", world, order_dict([line("item-1", 2, options={"Size": ["var-large"]})])
    )
    assert response.status_code == 200, response.text
    assert response.json() == {"posOrderStatus": "VALID"}


@pytest.mark.all_backends
def test_validate_order_reports_business_failures_in_wix_shape(
    spi: httpx.Client, signer: TestSigner, db: Database, world: PosWorld
) -> None:
    before = table_counts(db)
    response = _order_call(spi, signer, "validate-order", world, order_dict([line("item-3", price="1.00")]))
    body = assert_wix_error(response, 400)
    assert "PRICE_CHANGED" in {e["code"] for e in body["applicationError"]["data"]["errors"]}
    assert table_counts(db) == before


@pytest.mark.all_backends
def test_create_order_returns_pos_ids_and_is_idempotent(
    spi: httpx.Client, signer: TestSigner, db: Database, world: PosWorld
) -> None:
    order = order_dict([line("item-3")])
    first = _order_call(spi, signer, "create-order", world, order, paidByPosGateway=True)
    assert first.status_code == 200, first.text
    assert set(first.json()) == {"posOrderId", "posLocationId"}
    assert first.json()["posLocationId"] == world.location_pos_id
    counts = table_counts(db)
    again = _order_call(spi, signer, "create-order", world, order, paidByPosGateway=True)
    assert again.json() == first.json()
    assert table_counts(db) == counts


@pytest.mark.all_backends
def test_order_methods_treat_another_instances_account_as_unknown(
    spi: httpx.Client, signer: TestSigner, db: Database, world: PosWorld
) -> None:
    other_instance = str(uuid.uuid4())
    build_pos(db, other_instance, location=ALWAYS_OPEN)
    request = {"accountId": world.account_id, "configurationId": world.configuration_id, "order": order_dict()}
    before = table_counts(db)
    for suffix in ("validate-order", "create-order"):
        assert_wix_error(signed_call(spi, signer, suffix, request, other_instance), 404, "ACCOUNT_NOT_FOUND")
    assert table_counts(db) == before


def test_malformed_order_is_400_naming_the_field(spi: httpx.Client, signer: TestSigner, world: PosWorld) -> None:
    order = order_dict()
    order["lineItems"][0]["price"] = 12.5  # money must be a decimal string
    body = assert_wix_error(_order_call(spi, signer, "create-order", world, order), 400, "OTHER")
    assert body["applicationError"]["data"]["errors"][0]["params"]["field"].startswith("order.lineItems[0]")
