"""Menus API entity events read at the edge (`spi/menu_event_wire.py`): key, entity, sequence, time, writer."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from posbridge.services.lifecycle import AppEvent
from posbridge.spi.menu_event_wire import parse_event

TOKEN = "f" * 64
SIGNED = datetime(2026, 3, 6, 18, tzinfo=UTC)
APP = {"identityType": "APP", "appId": "app-1"}


def _event(event_type: str, data: dict[str, Any], identity: dict[str, Any] | None = None) -> AppEvent:
    return AppEvent(TOKEN, event_type, "inst-1", SIGNED, data, APP if identity is None else identity)


def test_an_updated_item_is_read_with_its_key_sequence_time_writer_and_snapshot() -> None:
    item = '{"name": "Ramen", "priceInfo": {"price": "12.5"}, "orderSettings": {"inStock": false}}'
    data = {
        "id": "e-1",
        "entityId": "i-1",
        "entityEventSequence": "7",
        "eventTime": "2026-03-06T17:59:00Z",
        "updatedEvent": {"currentEntity": item},  # the SDK types an updated entity as a JSON string
    }
    event = parse_event(_event("wix.restaurants.menus.v1.item_updated", data))
    assert event is not None
    assert (event.key, event.entity, event.kind, event.action, event.entity_id) == (
        "menus:e-1",
        "item",
        "DISH",
        "updated",
        "i-1",
    )
    assert (event.sequence, event.at, event.writer_app_id) == (7, datetime(2026, 3, 6, 17, 59, tzinfo=UTC), "app-1")
    assert event.fields == {"name": "Ramen", "price": "12.50", "inStock": False}


@pytest.mark.parametrize("entity_id", [None, "", 5, "i" * 129])
def test_an_event_naming_no_usable_entity_is_not_read(entity_id: Any) -> None:
    assert parse_event(_event("wix.restaurants.menus.v1.menu_created", {"entityId": entity_id})) is None


def test_what_cannot_be_read_falls_back_the_token_the_signing_time_and_no_writer() -> None:
    data = {"id": 5, "entityId": "l-1", "entityEventSequence": "soon", "eventTime": "2026-03-06T17:59:00"}
    event = parse_event(_event("wix.restaurants.menus.v1.item_label_deleted", data, {"identityType": "WIX_USER"}))
    assert event is not None
    assert (event.key, event.kind, event.sequence, event.at, event.writer_app_id, event.fields) == (
        TOKEN,
        None,
        None,
        SIGNED,
        None,
        {},
    )


@pytest.mark.parametrize(
    "entity",
    [
        {"modifiers": [{"id": "m-1", "additionalChargeInfo": "1.50"}]},
        {"priceVariants": {"variants": [{"variantId": "v-1", "priceInfo": "12"}]}},
        {"priceInfo": ["12"], "priceVariants": "none", "rule": "required", "image": "pic"},
    ],
)
def test_a_part_of_the_wrong_json_type_is_left_out_of_the_snapshot(entity: dict[str, Any]) -> None:
    """Not a 500 that Wix would resend for two days: the rest of the entity is still read."""
    data = {"entityId": "g-1", "updatedEvent": {"currentEntity": entity}}
    event = parse_event(_event("wix.restaurants.menus.v1.item_modifier_group_updated", data))
    assert event is not None and event.entity_id == "g-1"
