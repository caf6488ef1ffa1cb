"""Which order channel a generation's orders go through, and what each reports, asked without a Wix client."""

from __future__ import annotations

import pytest

from posbridge.orders.channels import channel_class
from posbridge.orders.ecom import EcomOrderChannel
from posbridge.orders.legacy import LegacyOrderChannel
from posbridge.orders.model import OrderStatus
from posbridge.wix.generation import Generation


def test_each_generation_has_its_channel() -> None:
    assert channel_class(Generation.LEGACY) is LegacyOrderChannel
    assert channel_class(Generation.NEWGEN) is EcomOrderChannel
    assert all(channel_class(generation).generation == generation for generation in Generation)


@pytest.mark.parametrize(
    ("generation", "reported"),
    [
        (Generation.LEGACY, {OrderStatus.ACCEPTED, OrderStatus.FULFILLED, OrderStatus.CANCELED}),
        (Generation.NEWGEN, {OrderStatus.ACCEPTED, OrderStatus.READY, OrderStatus.FULFILLED, OrderStatus.CANCELED}),
    ],
)
def test_what_a_channel_reports_is_known_before_any_client(generation: Generation, reported: set[OrderStatus]) -> None:
    assert {status for status in OrderStatus if channel_class(generation).reports(status)} == reported
