"""Menus API events from a real wixsim to a real posbridge server: our own sync's events are recognised and
ignored, a merchant's edit of what posbridge syncs is recorded (what changed, by whom, what the next sync
does) and requests a debounced sync when the POS owns it; repeats count once; forged and misaddressed
events change nothing."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from posbridge.app import create_app
from posbridge.config import Settings
from posbridge.services import menu_events
from posbridge.services.lifecycle import AppEvent
from posbridge.spi import menu_event_wire
from posbridge.store.db import Database
from posbridge.store.models import Sync, SyncIdMap, WebhookEvent, WixMenuEdit
from posbridge.sync.ownership import Ownership
from posbridge.sync.runner import run_sync
from tests.support.cli import run_with_settings
from tests.support.server import serve_in_thread
from tests.sync.newgen_world import NewGenWorld, build_newgen_world
from wixsim.client import WixSimClient

DEBOUNCE = 5.0


@pytest.fixture()
def synced(db: Database, wixsim: WixSimClient, sim_settings: Callable[..., Settings]) -> Iterator[NewGenWorld]:
    """A new-generation tenant whose site sends its webhooks to a running posbridge, synced once; the
    debounce of the syncs its edits request is not the default, so a test sees the setting applied."""
    settings = sim_settings(sync_debounce_seconds=DEBOUNCE)
    with serve_in_thread(create_app(settings, db)) as url:
        world = build_newgen_world(db, settings, wixsim, items=12, menus=1)
        wixsim.update_site(world.instance_id, webhook_url=f"{url}/wix/webhooks")
        assert world.sync().status == "SYNCED"
        wixsim.drain_menu_events()
        try:
            yield world
        finally:
            world.client.close()


def recorded(db: Database, instance_id: str) -> list[WebhookEvent]:
    with db.transaction(write=False) as session:
        return list(
            session.scalars(
                select(WebhookEvent).where(
                    WebhookEvent.instance_id == instance_id, WebhookEvent.event_type.startswith(menu_events.PREFIX)
                )
            )
        )


def edits(db: Database, instance_id: str) -> list[WixMenuEdit]:
    with db.transaction(write=False) as session:
        return list(session.scalars(select(WixMenuEdit).where(WixMenuEdit.instance_id == instance_id)))


def owned(db: Database, world: NewGenWorld, kind: str) -> str:
    """The Wix id of one entity of `kind` the sync id map holds for the paired business location."""
    with db.transaction(write=False) as session:
        wix_id = session.scalar(
            select(SyncIdMap.wix_id)
            .where(SyncIdMap.catalog_id == world.business_location_id, SyncIdMap.kind == kind)
            .order_by(SyncIdMap.id)
            .limit(1)
        )
    assert wix_id is not None
    return wix_id


def entity(world: NewGenWorld, plural: str, wix_id: str) -> dict[str, Any]:
    return next(e for e in world.entities()[plural] if e["id"] == wix_id)


def pending(db: Database, world: NewGenWorld) -> list[Sync]:
    with db.transaction(write=False) as session:
        return list(
            session.scalars(select(Sync).where(Sync.configuration_id == world.configuration, Sync.status == "PENDING"))
        )


def test_our_own_sync_announces_every_write_and_posbridge_ignores_them_all(
    synced: NewGenWorld, db: Database, wixsim: WixSimClient
) -> None:
    sent = wixsim.menu_events(synced.instance_id)
    menu_sent = [e for e in sent if e["eventType"].startswith(menu_events.PREFIX)]
    assert len(menu_sent) > 12  # items, modifiers, groups, labels, sections, the menu, its updates
    assert all(e["delivered"] and e["status"] == 200 for e in menu_sent), [e for e in menu_sent if not e["delivered"]]
    rows = recorded(db, synced.instance_id)
    assert len(rows) == len(menu_sent)
    assert {row.payload["outcome"] for row in rows} == {menu_events.OWN}
    assert edits(db, synced.instance_id) == []
    assert pending(db, synced) == []


def test_a_merchant_price_edit_is_recorded_with_what_changed_and_requests_a_sync(
    synced: NewGenWorld, db: Database, wixsim: WixSimClient
) -> None:
    item_id = owned(db, synced, "DISH")
    before = entity(synced, "items", item_id)
    assert "priceInfo" in before, "the first mapped dish has a single price"
    wixsim.merchant_edit(synced.instance_id, "items", item_id, priceInfo={"price": "99.5"})
    wixsim.drain_menu_events()

    [edit] = edits(db, synced.instance_id)
    assert (edit.kind, edit.wix_id, edit.name, edit.action) == ("DISH", item_id, before["name"], "updated")
    was = str(menu_events.snapshot_amount(before["priceInfo"]["price"]))
    assert edit.changes == [{"field": "price", "before": was, "after": "99.50", "nextSync": "OVERWRITE"}]
    assert edit.next_sync == "OVERWRITE" and edit.sync_requested
    assert set(edit.identity) == {"identityType", "wixUserId"} and edit.identity["identityType"] == "WIX_USER"
    [sync] = pending(db, synced)
    assert sync.trigger == menu_events.WIX_EDIT and sync.not_before is not None  # debounced
    assert sync.not_before - sync.requested_at == timedelta(seconds=DEBOUNCE)  # POSBRIDGE_SYNC_DEBOUNCE_SECONDS
    [view] = menu_events.recent_edits(db, synced.instance_id, synced.business_location_id)
    assert view.words == f'item "{before["name"]}" price changed from {was} to 99.50'
    assert view.synced_at is None

    # The requested sync, once due (its clock moved past the debounce), puts the POS's price back;
    # its own events are ignored again.
    due = sync.not_before
    assert run_sync(db, synced.settings, synced.configuration, client=synced.client, clock=lambda: due) is False
    wixsim.drain_menu_events()
    assert entity(synced, "items", item_id)["priceInfo"]["price"] == before["priceInfo"]["price"]
    assert len(edits(db, synced.instance_id)) == 1
    assert pending(db, synced) == []
    [view] = menu_events.recent_edits(db, synced.instance_id, synced.business_location_id)
    assert view.synced_at is not None  # the page says the POS's price was put back, and when
    latest = max(
        (r for r in recorded(db, synced.instance_id) if r.subject == item_id), key=lambda r: r.payload["sequence"]
    )
    assert latest.payload["outcome"] == menu_events.OWN and latest.payload["fields"]["price"] == was


def test_a_snapshot_writes_its_amounts_as_money_text() -> None:
    # As every amount of the admin API: "100.00", where the normalized Decimal's text was "1E+2".
    raw = {
        "priceInfo": {"price": "100"},
        "priceVariants": {"variants": [{"variantId": "v", "priceInfo": {"price": "10"}}]},
        "modifiers": [{"id": "m", "additionalChargeInfo": {"additionalCharge": "0.5"}}],
    }
    fields = menu_event_wire.snapshot(raw)
    assert (fields["price"], fields["priceVariants"], fields["additionalCharges"]) == (
        "100.00",
        [["v", "10.00"]],
        ["0.50"],
    )


def test_an_amount_stored_in_the_older_written_form_is_no_change() -> None:
    # Snapshots recorded before money_text wrote them hold "99.5" and "1E+2"; the same amounts now read "99.50".
    stored = {"name": "Ramen", "price": "99.5", "priceVariants": [["v", "1E+2"]], "additionalCharges": ["2"]}
    now = {"name": "Ramen", "price": "99.50", "priceVariants": [["v", "100.00"]], "additionalCharges": ["2.00"]}
    assert menu_events.changes_of("DISH", "updated", stored, now, Ownership()) == []
    moved = menu_events.changes_of("DISH", "updated", stored, {**now, "price": "99.75"}, Ownership())
    assert moved == [{"field": "price", "before": "99.50", "after": "99.75", "nextSync": "OVERWRITE"}]


@pytest.mark.parametrize(
    ("currency", "before", "after", "words"),
    [
        ("JPY", "1200.00", "1300.00", "1200 to 1300"),
        ("KWD", "1.5", "1.125", "1.500 to 1.125"),
        (None, "12.5", "14", "12.50 to 14.00"),
    ],
)
def test_edit_words_write_amounts_in_the_currencys_decimals(
    currency: str | None, before: str, after: str, words: str
) -> None:
    changes = [{"field": "price", "before": before, "after": after, "nextSync": "OVERWRITE"}]
    assert (
        menu_events.edit_words("DISH", "Ramen", "updated", changes, currency)
        == f'item "Ramen" price changed from {words}'
    )


def test_a_merchant_edit_wix_keeps_requests_no_sync(synced: NewGenWorld, db: Database, wixsim: WixSimClient) -> None:
    item_id = owned(db, synced, "DISH")
    wixsim.merchant_edit(synced.instance_id, "items", item_id, visible=False, featured=True)
    wixsim.drain_menu_events()
    [edit] = edits(db, synced.instance_id)
    assert [(c["field"], c["before"], c["after"], c["nextSync"]) for c in edit.changes] == [
        ("featured", False, True, "KEEP"),
        ("visible", True, False, "KEEP"),
    ]
    assert edit.next_sync == "KEEP" and not edit.sync_requested
    assert pending(db, synced) == []


def test_a_merchant_deleting_a_synced_modifier_is_an_edit_the_next_sync_undoes(
    synced: NewGenWorld, db: Database, wixsim: WixSimClient
) -> None:
    modifier_id = owned(db, synced, "VARIATION")
    name = entity(synced, "modifiers", modifier_id)["name"]
    # Wix refuses deleting a modifier a group still holds: the merchant renames it instead, then a menu.
    wixsim.merchant_edit(synced.instance_id, "modifiers", modifier_id, name="Renamed in Wix")
    menu_id = owned(db, synced, "MENU")
    wixsim.merchant_delete(synced.instance_id, "menus", menu_id)
    wixsim.drain_menu_events()
    by_kind = {edit.kind: edit for edit in edits(db, synced.instance_id)}
    assert by_kind["VARIATION"].changes == [
        {"field": "name", "before": name, "after": "Renamed in Wix", "nextSync": "OVERWRITE"}
    ]
    assert by_kind["MENU"].action == "deleted" and by_kind["MENU"].next_sync == "OVERWRITE"
    assert by_kind["MENU"].name != menu_id  # named from the last state seen, not by its id


def test_a_merchant_edit_of_our_modifier_group_is_shown_and_the_next_sync_puts_the_pos_values_back(
    synced: NewGenWorld, db: Database, wixsim: WixSimClient
) -> None:
    group_id = owned(db, synced, "MODIFIER_GROUP")
    before = entity(synced, "modifierGroups", group_id)
    modifiers = [dict(m) for m in before["modifiers"]]
    charges = [str(menu_events.snapshot_amount(m["additionalChargeInfo"]["additionalCharge"])) for m in modifiers]
    modifiers[0]["additionalChargeInfo"] = {"additionalCharge": "7.25"}
    wixsim.merchant_edit(synced.instance_id, "modifier-groups", group_id, name="Renamed group", modifiers=modifiers)
    wixsim.drain_menu_events()

    [edit] = edits(db, synced.instance_id)
    assert (edit.kind, edit.wix_id, edit.name, edit.action) == ("MODIFIER_GROUP", group_id, "Renamed group", "updated")
    assert edit.changes == [
        {"field": "additionalCharges", "before": charges, "after": ["7.25", *charges[1:]], "nextSync": "OVERWRITE"},
        {"field": "name", "before": before["name"], "after": "Renamed group", "nextSync": "OVERWRITE"},
    ]
    assert edit.next_sync == "OVERWRITE" and edit.sync_requested
    [sync] = pending(db, synced)
    assert sync.trigger == menu_events.WIX_EDIT and sync.not_before is not None
    [view] = menu_events.recent_edits(db, synced.instance_id, synced.business_location_id)
    assert view.words.startswith('modifier group "Renamed group" charges changed from ')
    assert "7.25" in view.words and f"name changed from {before['name']} to Renamed group" in view.words

    due = sync.not_before
    assert run_sync(db, synced.settings, synced.configuration, client=synced.client, clock=lambda: due) is False
    wixsim.drain_menu_events()
    after = entity(synced, "modifierGroups", group_id)
    assert after["name"] == before["name"] and after["modifiers"] == before["modifiers"]
    assert len(edits(db, synced.instance_id)) == 1 and pending(db, synced) == []


def test_a_merchant_rule_edit_of_our_modifier_group_is_kept_when_wix_owns_min_max(
    synced: NewGenWorld, db: Database, wixsim: WixSimClient
) -> None:
    group_id = owned(db, synced, "MODIFIER_GROUP")
    rule = entity(synced, "modifierGroups", group_id)["rule"]
    required = not rule.get("required")
    changed = {**rule, "required": required, "minSelections": int(required), "maxSelections": 1}
    assert changed != rule
    wixsim.merchant_edit(synced.instance_id, "modifier-groups", group_id, rule=changed)
    wixsim.drain_menu_events()
    [edit] = edits(db, synced.instance_id)
    assert [(c["field"], c["nextSync"]) for c in edit.changes] == [("rule", "OVERWRITE")]
    # The same change, judged by a tenant that gave Wix the min/max of options, is kept.
    wix_owns = Ownership(wix_owned=frozenset({"dishOptionsMinMaxUpdated"}))
    assert menu_events.changes_of("MODIFIER_GROUP", "updated", {"rule": rule}, {"rule": changed}, wix_owns) == [
        {"field": "rule", "before": rule, "after": changed, "nextSync": "KEEP"}
    ]


def test_a_merchant_edit_of_the_sites_own_entities_is_not_ours(
    synced: NewGenWorld, db: Database, wixsim: WixSimClient
) -> None:
    created = wixsim.merchant_create(synced.instance_id, "items", name="Chef's special", priceInfo={"price": "20"})
    wixsim.merchant_edit(synced.instance_id, "items", created["entity"]["id"], priceInfo={"price": "21"})
    wixsim.drain_menu_events()
    assert edits(db, synced.instance_id) == []
    outcomes = [
        row.payload["outcome"] for row in recorded(db, synced.instance_id) if row.subject == created["entity"]["id"]
    ]
    assert outcomes == [menu_events.NOT_OURS, menu_events.NOT_OURS]


def test_repeats_count_once_and_forged_or_misaddressed_events_change_nothing(
    synced: NewGenWorld, db: Database, wixsim: WixSimClient
) -> None:
    item_id = owned(db, synced, "DISH")
    wixsim.merchant_edit(synced.instance_id, "items", item_id, name="Renamed in Wix")
    wixsim.drain_menu_events()
    [event] = [e for e in wixsim.menu_events(synced.instance_id) if e["eventType"].endswith("item_updated")][-1:]
    assert len(edits(db, synced.instance_id)) == 1
    count = len(recorded(db, synced.instance_id))

    # Wix's retry: signed anew, the same domain event id.
    for _ in range(2):
        assert wixsim.redeliver_menu_event(event["seq"])["status"] == 200
    assert len(edits(db, synced.instance_id)) == 1 and len(recorded(db, synced.instance_id)) == count

    # A forged signature is refused before anything is read.
    for variant in ("tampered", "wrong_key"):
        answer = wixsim.redeliver_menu_event(event["seq"], variant=variant)
        assert answer["status"] == 401, answer
    assert len(recorded(db, synced.instance_id)) == count

    # Another instance's event naming our entity: not this instance's location, nothing shown here.
    other = wixsim.create_site(generation="new", locations=1)["instanceId"]
    inner = json.loads(event["payload"]["data"])
    data = json.loads(inner["data"])
    data["id"] = "0c5e2f6a-1d7b-4c36-9a0e-5b8f7d6c4e21"  # a fresh event, so only the instance decides
    misaddressed = AppEvent(
        event_id="x",
        event_type=inner["eventType"],
        instance_id=other,
        at=datetime.now(UTC),
        data=data,
        identity=json.loads(inner["identity"]),
    )
    outcome = menu_events.apply_menu_event(
        db, menu_event_wire.parse_event(misaddressed), app_id=wixsim.app_id, ownership=Ownership()
    )
    assert outcome == menu_events.NOT_OURS
    assert edits(db, other) == [] and len(edits(db, synced.instance_id)) == 1


def test_an_older_event_after_a_newer_one_is_stale(synced: NewGenWorld, db: Database, wixsim: WixSimClient) -> None:
    item_id = owned(db, synced, "DISH")
    wixsim.merchant_edit(synced.instance_id, "items", item_id, name="First")
    wixsim.merchant_edit(synced.instance_id, "items", item_id, name="Second")
    wixsim.drain_menu_events()
    first, _second = [e for e in wixsim.menu_events(synced.instance_id) if e["eventType"].endswith("item_updated")][-2:]
    inner = json.loads(first["payload"]["data"])
    data = json.loads(inner["data"])
    data["id"] = "7f0c2d9e-5a4b-4e8d-8c1f-3b2a1e0d9c8b"  # the same change, arriving late under a new id
    late = AppEvent("y", inner["eventType"], synced.instance_id, datetime.now(UTC), data, json.loads(inner["identity"]))
    assert (
        menu_events.apply_menu_event(db, menu_event_wire.parse_event(late), app_id=wixsim.app_id, ownership=Ownership())
        == menu_events.STALE
    )
    assert [e.name for e in edits(db, synced.instance_id)] == ["First", "Second"]


def test_the_cli_lists_the_edits_with_what_the_next_sync_does(
    synced: NewGenWorld, db: Database, wixsim: WixSimClient, tmp_path: Path
) -> None:
    where = ["--instance", synced.instance_id, "--business-location", synced.business_location_id]
    empty = run_with_settings(synced.settings, "wix-edits", *where, cwd=tmp_path)
    assert empty.returncode == 0 and "No edits made in Wix" in empty.stdout, empty.stderr
    item_id = owned(db, synced, "DISH")
    wixsim.merchant_edit(synced.instance_id, "items", item_id, name="Renamed in Wix")
    wixsim.drain_menu_events()
    listed = run_with_settings(synced.settings, "wix-edits", *where, cwd=tmp_path)
    assert listed.returncode == 0, listed.stderr
    assert 'by the merchant: item "Renamed in Wix" name changed from' in listed.stdout
    assert "the next sync overwrites it" in listed.stdout
    as_json = run_with_settings(synced.settings, "wix-edits", *where, "--json", cwd=tmp_path)
    [edit] = json.loads(as_json.stdout)
    assert (edit["wixId"], edit["action"], edit["syncRequested"]) == (item_id, "updated", True)
    synced.sync()  # the sync puts the POS's name back: the list says so, no longer "the next sync"
    after = run_with_settings(synced.settings, "wix-edits", *where, cwd=tmp_path)
    assert "put the POS's values back" in after.stdout and "the next sync" not in after.stdout, after.stdout
    theirs = run_with_settings(
        synced.settings, "wix-edits", "--instance", synced.instance_id, "--business-location", "nope", cwd=tmp_path
    )
    assert theirs.returncode != 0


def test_another_apps_edit_is_an_edit_by_that_app(synced: NewGenWorld, db: Database, wixsim: WixSimClient) -> None:
    other_app = "5d7c1e0a-2b3f-4a6d-9e8c-7f1a2b3c4d5e"
    section_id = owned(db, synced, "SECTION")
    name, was = (entity(synced, "sections", section_id).get(k) for k in ("name", "description"))
    wixsim.merchant_edit(synced.instance_id, "sections", section_id, as_app=other_app, description="Translated")
    wixsim.drain_menu_events()
    [edit] = edits(db, synced.instance_id)
    assert edit.identity == {"identityType": "APP", "appId": other_app}
    assert (edit.kind, edit.name, edit.next_sync) == ("SECTION", name, "OVERWRITE")
    assert [c["field"] for c in edit.changes] == ["description"]
    [view] = menu_events.recent_edits(db, synced.instance_id, synced.business_location_id)
    assert view.by == f"another app ({other_app})"
    assert view.words == f'section "{name}" description changed from {was or "empty"} to Translated'


def test_week_old_events_are_pruned_but_each_entitys_newest_and_the_edits_stay(
    synced: NewGenWorld, db: Database, wixsim: WixSimClient
) -> None:
    item_id = owned(db, synced, "DISH")
    before = entity(synced, "items", item_id)
    wixsim.merchant_edit(synced.instance_id, "items", item_id, name="Renamed in Wix")
    wixsim.drain_menu_events()
    rows = recorded(db, synced.instance_id)
    subjects = {row.subject for row in rows}
    assert len(rows) > len(subjects)  # created, then updated (links, the merchant's edit)

    menu_events.prune_menu_events(db)
    assert len(recorded(db, synced.instance_id)) == len(rows)  # nothing of ours is a week old yet
    later = datetime.now(UTC) + timedelta(days=menu_events.KEEP_DAYS, hours=1)
    # The database is shared with other tests' tenants: they are pruned too, hence at least.
    assert menu_events.prune_menu_events(db, now=later) >= len(rows) - len(subjects)
    kept = recorded(db, synced.instance_id)
    assert sorted(row.subject or "" for row in kept) == sorted(s or "" for s in subjects)  # one each
    [newest] = [row for row in kept if row.subject == item_id]
    assert newest.payload["fields"]["name"] == "Renamed in Wix"
    assert len(edits(db, synced.instance_id)) == 1

    # The kept snapshot still tells what the next edit changed.
    wixsim.merchant_edit(synced.instance_id, "items", item_id, name=before["name"])
    wixsim.drain_menu_events()
    latest = max(edits(db, synced.instance_id), key=lambda e: e.id)
    assert latest.changes == [
        {"field": "name", "before": "Renamed in Wix", "after": before["name"], "nextSync": "OVERWRITE"}
    ]
