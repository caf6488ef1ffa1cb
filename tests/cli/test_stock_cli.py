"""`posbridge stock`: 86 an item (for a while), restore it, set its count, list what is out."""

from __future__ import annotations

import json
from typing import Any

import pytest

from posbridge.store.db import Database
from posbridge.store.models import Merchant, Stock
from tests.cli.test_orders_cli import cli  # noqa: F401  (the fixture: the command in this process)
from tests.support.fixtures_pos import PosWorld, build_pos


@pytest.fixture()
def world(db: Database, instance_id: str) -> PosWorld:
    return build_pos(db, instance_id)


def test_86_for_a_while_restore_and_set(
    cli: Any,  # noqa: F811
    db: Database,
    world: PosWorld,
) -> None:
    with db.transaction(write=False) as session:
        merchant = session.get(Merchant, world.merchant)
        assert merchant is not None
        where = ["--location", "loc-1", "--merchant", merchant.pos_id]
    done = cli("stock", "86", "item-2", *where, "--for", "90m", "--json")
    assert done.exit_code == 0, done.output
    view = json.loads(done.stdout)
    assert view["eightySixed"] is True and view["outUntil"] is not None
    listed = cli("stock", "list", *where, "--out")
    assert "item-2 (Diavola) at loc-1: 86ed until" in listed.stdout
    assert cli("stock", "restore", "item-2", *where).exit_code == 0
    assert cli("stock", "set", "item-2", *where, "--count", "3").exit_code == 0
    with db.transaction(write=False) as session:
        row = session.get(Stock, (world.items["item-2"], world.location))
        assert row is not None and row.out_of_stock is False and row.quantity == 3
    refused = cli("stock", "86", "item-2", *where, "--until", "yesterday")
    assert refused.exit_code != 0 and "ISO time" in refused.output
