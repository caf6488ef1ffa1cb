"""Orders v3 events read at the edge (`spi/order_event_wire.py`): the key, the order named, the latest message.

Nothing of an Orders v3 event is refused: what is missing, too long or of the wrong JSON type reads as
absent, so the service records and notes the event (a 200) and never fails on it (a 500 Wix would resend).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from posbridge.services.lifecycle import AppEvent
from posbridge.services.order_events import OrderEvent
from posbridge.spi.order_event_wire import parse_event

TOKEN = "f" * 64
CANCELED = "wix.restaurants.v3.order_canceled"


def _read(data: dict[str, Any], event_type: str = CANCELED) -> OrderEvent:
    at = datetime(2026, 3, 6, 18, tzinfo=UTC)
    return parse_event(AppEvent(TOKEN, event_type, "inst-1", at, data, {"identityType": "WIX_USER"}))


def test_an_action_event_names_its_key_its_order_and_the_latest_activity_message() -> None:
    order = {"id": "o-2", "activities": [{"message": "first"}, {"message": "  out of fish \n"}]}
    data = {"id": "e-1", "entityId": "o-1", "actionEvent": {"body": {"order": order}}}
    event = _read(data)
    assert (event.event_id, event.wix_order_id, event.message) == ("event:e-1", "o-1", "out of fish")
    assert event.received == {"data": data, "identity": {"identityType": "WIX_USER"}}
    assert (event.event_type, event.instance_id) == (CANCELED, "inst-1")


def test_without_an_entity_id_the_order_carried_is_named_created_or_acted_on() -> None:
    created = {"createdEvent": {"entity": {"id": "o-3", "activities": [{"message": "new"}]}}}
    acted = {"actionEvent": {"body": {"order": {"id": "o-4"}}}}
    assert _read(created, "wix.restaurants.v3.order_created").wix_order_id == "o-3"
    assert _read(created).message is None  # a created order's activities are not a change's message
    assert _read(acted).wix_order_id == "o-4"


@pytest.mark.parametrize(
    "data",
    [
        {"id": 7, "entityId": ["o-1"]},
        {"id": "", "entityId": "", "actionEvent": "cancel"},
        {"id": "e" * 123, "entityId": "o" * 129},
        {"actionEvent": {"body": ["order"]}},
        {"actionEvent": {"body": {"order": "o-1"}}},
        {"actionEvent": {"body": {"order": {"id": 5, "activities": {"message": "x"}}}}},
        {"actionEvent": {"body": {"order": {"activities": ["x", {"message": 3}]}}}},
        {"actionEvent": {"body": {"order": {"activities": [{"message": "   "}]}}}},
        {"createdEvent": {"entity": "o-1"}, "actionEvent": None},
    ],
)
def test_a_part_missing_too_long_or_of_the_wrong_json_type_reads_as_absent(data: dict[str, Any]) -> None:
    event = _read(data)
    assert (event.event_id, event.wix_order_id, event.message) == (TOKEN, None, None)


def test_the_longest_usable_ids_are_kept_and_a_long_message_is_cut() -> None:
    order = {"activities": [{"message": "m" * 600}]}
    event = _read({"id": "e" * 122, "entityId": "o" * 128, "actionEvent": {"body": {"order": order}}})
    assert (event.event_id, event.wix_order_id) == ("event:" + "e" * 122, "o" * 128)
    assert event.message == "m" * 500
