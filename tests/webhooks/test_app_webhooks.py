"""AppInstalled / AppRemoved from a real wixsim to a real posbridge server: signed, layered, idempotent."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import jwt
import pytest
from sqlalchemy import func, select

from posbridge.app import create_app
from posbridge.services.lifecycle import (
    DUPLICATE,
    INSTALLED,
    STALE,
    UNINSTALLED,
    AppEvent,
    apply_app_event,
)
from posbridge.store.models import Account, Configuration, Instance, WebhookEvent
from tests.support.server import serve_in_thread
from tests.sync.world import SyncWorld

ORIGIN = "0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0"


@pytest.fixture()
def posbridge_url(world: SyncWorld) -> Iterator[str]:
    """posbridge serving the world's database, with wixsim's SPI and webhook targets pointed at it."""
    with serve_in_thread(create_app(world.settings, world.db)) as url:
        world.sim.update_site(
            world.instance_id, provider_base_uri=f"{url}/wix/pos-spi", webhook_url=f"{url}/wix/webhooks"
        )
        yield url


def _instance(world: SyncWorld, instance_id: str | None = None) -> Instance | None:
    with world.db.transaction(write=False) as session:
        return session.get(Instance, instance_id or world.instance_id)


def _events(session: Any, world: SyncWorld) -> int:
    """Webhook events recorded for the world's instance."""
    query = select(func.count()).select_from(WebhookEvent).where(WebhookEvent.instance_id == world.instance_id)
    return int(session.scalar(query))


def _spi(world: SyncWorld, method: str) -> dict[str, Any]:
    return world.sim.spi_call(
        method,
        world.instance_id,
        account_id=world.account_id,
        configuration_id=world.configuration_wix_id,
    )


def test_app_removed_deactivates_the_instance_and_keeps_its_data(world: SyncWorld, posbridge_url: str) -> None:
    assert _spi(world, "get-configuration-status")["body"] == {"status": "READY"}
    answer = world.sim.send_webhook(world.instance_id, "AppRemoved")
    assert answer["status"] == 200, answer
    instance = _instance(world)
    assert instance is not None and instance.status == "REMOVED" and instance.removed_at is not None
    refused = _spi(world, "get-configuration-status")
    assert refused["status"] != 200
    assert refused["body"]["details"]["applicationError"]["code"] == "ACCOUNT_NOT_CONNECTED"
    with world.db.transaction(write=False) as session:
        assert session.scalar(select(func.count(Account.id)).where(Account.instance_id == world.instance_id)) == 1
        configuration = session.get(Configuration, world.configuration)
        assert configuration is not None and configuration.location_id == world.location

    again = world.sim.send_webhook(world.instance_id, "AppInstalled")
    assert again["status"] == 200, again
    instance = _instance(world)
    assert instance is not None and instance.status == "ACTIVE" and instance.removed_at is None
    assert _spi(world, "get-configuration-status")["body"] == {"status": "READY"}


def test_a_repeated_event_is_applied_once(world: SyncWorld, posbridge_url: str) -> None:
    sent = world.sim.send_webhook(world.instance_id, "AppRemoved")
    assert sent["status"] == 200
    world.sim.send_webhook(world.instance_id, "AppInstalled")
    # Wix's retry of the first delivery: the very same signed body, after a newer event.
    repeat = httpx.post(f"{posbridge_url}/wix/webhooks", content=sent["jwt"], headers={"content-type": "text/plain"})
    assert repeat.status_code == 200
    instance = _instance(world)
    assert instance is not None and instance.status == "ACTIVE"
    with world.db.transaction(write=False) as session:
        assert _events(session, world) == 2


def test_an_install_of_a_new_site_records_its_instance(world: SyncWorld, posbridge_url: str) -> None:
    site = world.sim.create_site(webhook_url=f"{posbridge_url}/wix/webhooks", configurations=1)
    answer = world.sim.send_webhook(site["instanceId"], "AppInstalled", data={"appId": "x", "originInstanceId": ORIGIN})
    assert answer["status"] == 200
    instance = _instance(world, site["instanceId"])
    assert instance is not None and instance.status == "ACTIVE" and instance.origin_instance_id == ORIGIN


@pytest.mark.parametrize("variant", ["tampered", "wrong_key", "expired", "unsigned", "future_iat"])
def test_a_forged_or_stale_webhook_is_refused_and_changes_nothing(
    world: SyncWorld, posbridge_url: str, variant: str
) -> None:
    answer = world.sim.send_webhook(world.instance_id, "AppRemoved", variant=variant, apply=False)
    assert answer["status"] == 401, answer
    instance = _instance(world)
    assert instance is not None and instance.status == "ACTIVE"
    with world.db.transaction(write=False) as session:
        assert _events(session, world) == 0


def _signed(world: SyncWorld, payload: dict[str, Any]) -> str:
    now = int(datetime.now(UTC).timestamp())
    key = world.sim.app["privateKeyPem"]
    return jwt.encode({**payload, "iat": now, "exp": now + 60}, key, algorithm="RS256")


@pytest.mark.parametrize(
    "data",
    ['{"eventType": "AppRemoved"}', "not json", '["a list"]', {"eventType": "AppRemoved", "instanceId": ""}],
)
def test_a_signed_but_malformed_event_is_a_400_and_changes_nothing(
    world: SyncWorld, posbridge_url: str, data: Any
) -> None:
    token = _signed(world, {"data": data})
    answer = httpx.post(f"{posbridge_url}/wix/webhooks", content=token)
    assert answer.status_code == 400, answer.text
    assert answer.json()["details"]["applicationError"]["code"]
    instance = _instance(world)
    assert instance is not None and instance.status == "ACTIVE"


def test_a_token_for_another_app_is_refused(world: SyncWorld, posbridge_url: str) -> None:
    inner = json.dumps({"eventType": "AppRemoved", "instanceId": world.instance_id, "data": "{}"})
    token = _signed(world, {"data": inner, "aud": "another-app"})
    assert httpx.post(f"{posbridge_url}/wix/webhooks", content=token).status_code == 401
    assert (_instance(world) or Instance()).status == "ACTIVE"


# --- out of order (the service, with explicit event times) --------------------------------------


def _event(world: SyncWorld, event_type: str, at: datetime, n: int) -> AppEvent:
    return AppEvent(event_id=f"evt-{n}", event_type=event_type, instance_id=world.instance_id, at=at)


def test_events_out_of_order_never_undo_a_newer_one(world: SyncWorld) -> None:
    t0 = datetime.now(UTC).replace(microsecond=0) + timedelta(minutes=1)
    assert apply_app_event(world.db, _event(world, "AppRemoved", t0 + timedelta(seconds=20), 1)) == UNINSTALLED
    # An install sent before that removal arrives late: the site stays removed.
    assert apply_app_event(world.db, _event(world, "AppInstalled", t0 + timedelta(seconds=10), 2)) == STALE
    assert (_instance(world) or Instance()).status == "REMOVED"
    assert apply_app_event(world.db, _event(world, "AppInstalled", t0 + timedelta(seconds=30), 3)) == INSTALLED
    # A removal sent before that reinstall arrives late: the site stays installed.
    assert apply_app_event(world.db, _event(world, "AppRemoved", t0 + timedelta(seconds=25), 4)) == STALE
    assert (_instance(world) or Instance()).status == "ACTIVE"
    assert apply_app_event(world.db, _event(world, "AppInstalled", t0 + timedelta(seconds=30), 3)) == DUPLICATE
