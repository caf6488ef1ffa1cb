"""The thin API modules (orders), path templates for stats, and Retry-After parsing."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from email.utils import format_datetime

from posbridge.config import Settings
from posbridge.store.db import Database
from posbridge.wix import orders
from posbridge.wix.client import WixClient
from posbridge.wix.retry import parse_retry_after
from posbridge.wix.stats import path_template
from tests.wix.conftest import RecordingSleep
from tests.wix.fakewix import FakeWixState, Scripted


def test_order_calls_hit_wix_order_endpoints(
    wix_settings: Callable[..., Settings], db: Database, fake_wix: FakeWixState, sleeps: RecordingSleep, instance: str
) -> None:
    client = WixClient(wix_settings(), db, sleep=sleeps)
    fake_wix.push("/restaurants/v3/orders/o-1", Scripted(body={"order": {"id": "o-1", "status": "NEW"}}))
    assert orders.get_order(client, instance, "o-1") == {"id": "o-1", "status": "NEW"}
    fake_wix.push("/restaurants/v3/orders/o-1/accept", Scripted(body={"order": {"id": "o-1", "status": "ACCEPTED"}}))
    assert orders.accept_order(client, instance, "o-1", "ready in 20")["status"] == "ACCEPTED"
    orders.cancel_order(client, instance, "o-1", "x" * 1500)
    orders.fulfill_order(client, instance, "o-1")
    posted = [(c["path"].rsplit("/", 1)[1], json.loads(c["body"])) for c in fake_wix.calls if c["method"] == "POST"]
    assert posted == [
        ("accept", {"id": "o-1", "message": "ready in 20"}),
        ("cancel", {"id": "o-1", "message": "x" * 1000}),  # Wix refuses messages over 1000 characters
        ("fulfill", {"id": "o-1"}),
    ]
    assert client.stats.calls["POST /v3/orders/{id}/cancel"] == 1


def test_path_templates_replace_ids_only() -> None:
    assert path_template("/v3/catalogs/abc/menus") == "/v3/catalogs/{id}/menus"
    assert (
        path_template("/v3/draft-catalogs/9f1c-77/bulk/sections/create")
        == "/v3/draft-catalogs/{id}/bulk/sections/create"
    )
    assert (
        path_template("/v1/pos-integration/accounts/acct-1/disconnect")
        == "/v1/pos-integration/accounts/{id}/disconnect"
    )
    assert path_template("/v3/catalogs/c/items/i?fieldMask=x") == "/v3/catalogs/{id}/items/{id}"
    assert path_template("/oauth2/token") == "/oauth2/token"


def test_retry_after_in_seconds_or_as_a_date() -> None:
    now = datetime(2026, 11, 28, 4, 0, 0, tzinfo=UTC).timestamp()
    assert parse_retry_after("12", now=now) == 12.0
    assert (
        parse_retry_after(format_datetime(datetime(2026, 11, 28, 4, 0, 30, tzinfo=UTC), usegmt=True), now=now) == 30.0
    )
    assert parse_retry_after(None, now=now) is None
    assert parse_retry_after("soon", now=now) is None
    assert parse_retry_after("-5", now=now) == 0.0
