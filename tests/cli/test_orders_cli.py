"""`posbridge orders`: show one order whole, move it along the kitchen flow, list and resolve what needs attention."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from posbridge.cli import app
from posbridge.logs import configure_logging
from posbridge.services import attention
from posbridge.services.ordering import create_order
from posbridge.store.db import Database
from posbridge.store.models import Merchant, OrderRow, OutboundJob
from tests.support.fixtures_pos import PosWorld, build_pos
from tests.support.orders import FRIDAY_EVENING, line, wix_order


@pytest.fixture()
def world(db: Database, instance_id: str) -> PosWorld:
    return build_pos(db, instance_id, stock={"item-2": 50})


@pytest.fixture()
def cli(db: Database, tmp_path: Path) -> Any:
    """Run `posbridge ARGS` in-process on the session's database; the queue only stores wake-ups (no worker)."""
    runner = CliRunner()
    env = {
        "POSBRIDGE_DATABASE_URL": db.url,
        "POSBRIDGE_QUEUE": "sqlite",
        "POSBRIDGE_QUEUE_PATH": str(tmp_path / "queue.db"),
        "COLUMNS": "200",
    }

    def invoke(*args: str) -> Any:
        try:
            return runner.invoke(app, list(args), env=env, catch_exceptions=False)
        finally:
            # The command pointed the logs at the runner's captured output, closed by now.
            configure_logging("WARNING", json=True)

    return invoke


def place(db: Database, world: PosWorld) -> tuple[str, str]:
    wix_id = f"wix-{uuid.uuid4().hex[:12]}"
    created = create_order(
        db,
        **world.ids(),
        order=wix_order([line("item-2", 2, options={"Size": ["var-large"]}), line("item-3")], order_id=wix_id),
        paid_by_pos_gateway=True,
        now=FRIDAY_EVENING,
    )
    return created.pos_order_id, wix_id


def test_show_json_has_status_lines_options_customer_and_history(cli: Any, db: Database, world: PosWorld) -> None:
    pos_id, wix_id = place(db, world)
    result = cli("orders", "show", wix_id, "--json")
    assert result.exit_code == 0, result.output
    shown = json.loads(result.stdout)
    assert shown["posOrderId"] == pos_id and shown["status"] == "NEW"
    assert [ln["quantity"] for ln in shown["lines"]] == [2, 1]
    assert shown["lines"][0]["options"][0]["group"] == "Size"
    assert shown["customer"]["firstName"] == "Ada"
    assert shown["history"][0]["status"] == "NEW"
    human = cli("orders", "show", pos_id)
    assert human.exit_code == 0 and pos_id in human.stdout and "Size" in human.stdout


def test_actions_move_the_order_and_queue_the_report(cli: Any, db: Database, world: PosWorld) -> None:
    pos_id, _ = place(db, world)
    accepted = cli("orders", "accept", pos_id, "--reason", "about 20 minutes")
    assert accepted.exit_code == 0, accepted.output
    assert "now ACCEPTED" in accepted.stdout
    assert "already ACCEPTED" in cli("orders", "accept", pos_id).stdout
    assert cli("orders", "ready", pos_id).exit_code == 0
    fulfilled = cli("orders", "fulfill", pos_id, "--json")
    assert json.loads(fulfilled.stdout)["status"] == "FULFILLED"
    refused = cli("orders", "ready", pos_id)
    assert refused.exit_code == 1 and "STATUS_TRANSITION_NOT_ALLOWED" in refused.stderr
    with db.transaction(write=False) as session:
        order = session.scalar(select(OrderRow).where(OrderRow.pos_order_id == pos_id))
        assert order is not None
        payloads = [j.payload for j in session.scalars(select(OutboundJob).where(OutboundJob.order_id == order.id))]
    assert [(p["status"], p["actor"], p["message"]) for p in payloads] == [
        ("ACCEPTED", "OPERATOR", "about 20 minutes"),
        ("FULFILLED", "OPERATOR", None),
    ]


def test_an_unknown_order_is_refused(cli: Any) -> None:
    result = cli("orders", "cancel", "no-such-order")
    assert result.exit_code == 1 and "ORDER_NOT_FOUND" in result.stderr


def test_attention_lists_reason_and_actions_and_resolve_clears_it(cli: Any, db: Database, world: PosWorld) -> None:
    pos_id, _ = place(db, world)
    with db.transaction() as session:
        order = session.scalar(select(OrderRow).where(OrderRow.pos_order_id == pos_id))
        assert order is not None
        attention.flag(session, order, kind=attention.PAYMENT_MISMATCH, reason="paid 5.00 of 29.50", actions=["refund"])
    listed = cli("orders", "--attention", "--instance", world.instance_id, "--json")
    assert listed.exit_code == 0, listed.output
    items = json.loads(listed.stdout)["items"]
    assert [(o["posOrderId"], o["attention"]["reason"]) for o in items] == [(pos_id, "paid 5.00 of 29.50")]
    table = cli("orders", "--attention", "--instance", world.instance_id)
    assert "paid 5.00 of 29.50" in table.stdout and "refund" in table.stdout
    assert cli("orders", "retry", pos_id).exit_code == 1  # nothing failed to send
    assert cli("orders", "resolve", pos_id).exit_code == 0
    assert json.loads(cli("orders", "--attention", "--instance", world.instance_id, "--json").stdout)["items"] == []


def test_auto_accept_is_set_per_location(cli: Any, db: Database, world: PosWorld) -> None:
    with db.transaction(write=False) as session:
        merchant = session.scalar(select(Merchant.pos_id).where(Merchant.id == world.merchant))
    assert merchant is not None
    done = cli("orders", "auto-accept", "--merchant", merchant, "--location", "loc-1", "--prep-minutes", "25", "--json")
    assert done.exit_code == 0, done.output
    assert json.loads(done.stdout) == {
        "merchantId": merchant,
        "locationId": "loc-1",
        "enabled": True,
        "prepMinutes": 25,
    }
    pos_id, _ = place(db, world)
    assert json.loads(cli("orders", "show", pos_id, "--json").stdout)["status"] == "ACCEPTED"
    assert cli("orders", "auto-accept", "--merchant", merchant, "--location", "loc-1", "--off").exit_code == 0
    later, _ = place(db, world)
    assert json.loads(cli("orders", "show", later, "--json").stdout)["status"] == "NEW"
    missing = cli("orders", "auto-accept", "--merchant", merchant, "--location", "nowhere")
    assert missing.exit_code == 1 and "LOCATION_NOT_FOUND" in missing.stderr
