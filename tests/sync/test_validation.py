"""A broken POS menu fails the sync with a readable reason and Wix's code, and nothing reaches Wix."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select, update

from posbridge.store.models import Configuration, Item, Location, Menu, OptionGroup
from tests.sync.world import SyncWorld


def test_negative_price_fails_with_account_configuration(world: SyncWorld) -> None:
    item = world.item("item-7")
    with world.db.transaction() as session:
        session.execute(update(Item).where(Item.id == item.id).values(price=Decimal("-1.00")))
    sync = world.sync()
    assert sync.status == "FAILED" and sync.failure_code == "ACCOUNT_CONFIGURATION"
    assert f"item '{item.name}'" in sync.failure_reason and "negative" in sync.failure_reason
    assert sync.failure_params["problems"] == "1"
    assert world.counts() == {}  # validated before any Wix call


def test_bad_option_group_bounds_and_every_problem_counted(world: SyncWorld) -> None:
    with world.db.transaction() as session:
        session.execute(
            update(OptionGroup)
            .where(OptionGroup.merchant_id == world.merchant, OptionGroup.pos_id == "grp-extras")
            .values(min_choices=5, max_choices=2)
        )
        session.execute(
            update(Item).where(Item.merchant_id == world.merchant, Item.pos_id == "item-1").values(name=" ")
        )
    sync = world.sync()
    assert sync.failure_code == "ACCOUNT_CONFIGURATION"
    assert int(sync.failure_params["problems"]) == 2
    assert "and 1 more problem" in sync.failure_reason


def test_too_many_availability_periods_is_an_overloaded_menu(world: SyncWorld) -> None:
    windows = [
        {"days": ["MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN"], "from": f"{h:02d}:00", "to": f"{h:02d}:30"}
        for h in range(15)
    ]
    with world.db.transaction() as session:
        session.execute(update(Menu).where(Menu.id == world.menus[0]).values(availability=windows))
    sync = world.sync()
    assert sync.status == "FAILED" and sync.failure_code == "OVERLOADED_MENU"
    assert "105 availability periods exceed Wix's 100" in sync.failure_reason


def test_no_menu_selected_is_reported(world: SyncWorld) -> None:
    with world.db.transaction() as session:
        configuration = session.scalar(select(Configuration).where(Configuration.id == world.configuration))
        assert configuration is not None
        configuration.selected_menus = []
    sync = world.sync()
    assert sync.failure_code == "ACCOUNT_CONFIGURATION"
    assert sync.failure_reason.startswith("No menu to sell online is selected")


def test_a_failed_sync_keeps_the_last_good_catalog(world: SyncWorld) -> None:
    assert world.sync().status == "SYNCED"
    before = world.live()
    with world.db.transaction() as session:
        session.execute(update(Item).where(Item.merchant_id == world.merchant).values(tax_rate=Decimal("140")))
    assert world.sync().failure_code == "ACCOUNT_CONFIGURATION"
    assert world.live() == before


def test_broken_location_hours_are_reported(world: SyncWorld) -> None:
    with world.db.transaction() as session:
        session.execute(
            update(Location)
            .where(Location.id == world.location)
            .values(hours=[{"day": "MON", "open": "25:00", "close": "23:00"}])
        )
    sync = world.sync()
    assert sync.failure_code == "ACCOUNT_CONFIGURATION"
    assert "opening hours are not valid" in sync.failure_reason
