"""The legacy order channel reports kitchen progress through Orders v3, with Wix's failures sorted by mode."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from posbridge.config import Settings
from posbridge.orders.channel import (
    ChannelRefused,
    ChannelUnavailable,
    Generation,
    StatusReport,
    WixOrderRef,
)
from posbridge.orders.legacy import LegacyOrderChannel
from posbridge.orders.model import OrderStatus, StatusActor
from posbridge.store.db import Database
from posbridge.wix.client import WixClient
from tests.wix.conftest import RecordingSleep
from tests.wix.fakewix import FakeWixState, Scripted


@pytest.fixture()
def channel(wix_settings: Callable[..., Settings], db: Database, sleeps: RecordingSleep) -> LegacyOrderChannel:
    return LegacyOrderChannel(WixClient(wix_settings(wix_max_attempts=2), db, sleep=sleeps))


def test_orders_v3_models_accept_fulfil_and_cancel_but_not_ready(channel: LegacyOrderChannel) -> None:
    assert channel.generation == Generation.LEGACY
    assert [status for status in OrderStatus if channel.reports(status)] == [
        OrderStatus.ACCEPTED,
        OrderStatus.FULFILLED,
        OrderStatus.CANCELED,
    ]
    with pytest.raises(ValueError, match="READY"):
        channel.report(StatusReport(WixOrderRef("i", "o"), OrderStatus.READY, StatusActor.KITCHEN))


def test_each_status_reaches_its_orders_v3_endpoint(
    channel: LegacyOrderChannel, fake_wix: FakeWixState, instance: str
) -> None:
    ref = WixOrderRef(instance, "o-7")
    for action in ("accept", "fulfill", "cancel"):
        fake_wix.push(f"/restaurants/v3/orders/o-7/{action}", Scripted(body={"order": {"id": "o-7"}}))
    channel.report(StatusReport(ref, OrderStatus.ACCEPTED, StatusActor.KITCHEN, "ready in 20"))
    channel.report(StatusReport(ref, OrderStatus.FULFILLED, StatusActor.KITCHEN))
    channel.report(StatusReport(ref, OrderStatus.CANCELED, StatusActor.OPERATOR, "burnt"))
    posted = [(c["path"].rsplit("/", 1)[1], json.loads(c["body"])) for c in fake_wix.calls if c["method"] == "POST"]
    assert posted == [
        ("accept", {"id": "o-7", "message": "ready in 20"}),
        ("fulfill", {"id": "o-7"}),
        ("cancel", {"id": "o-7", "message": "burnt"}),
    ]


def test_wix_failures_come_back_by_failure_mode(
    channel: LegacyOrderChannel, fake_wix: FakeWixState, instance: str
) -> None:
    ref = WixOrderRef(instance, "o-8")
    fake_wix.push("/restaurants/v3/orders/o-8/fulfill", Scripted(status=400, body={"message": "not accepted yet"}))
    with pytest.raises(ChannelRefused):
        channel.report(StatusReport(ref, OrderStatus.FULFILLED, StatusActor.KITCHEN))
    fake_wix.push("/restaurants/v3/orders/o-8/accept", *[Scripted(status=503, body={"message": "busy"})] * 2)
    with pytest.raises(ChannelUnavailable):
        channel.report(StatusReport(ref, OrderStatus.ACCEPTED, StatusActor.KITCHEN))
