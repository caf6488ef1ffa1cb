"""Pair a Wix configuration (one Wix location) with a POS location and choose its online menus."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from posbridge.errors import ErrorDetail, WixError
from posbridge.services.tenancy import account_for, active_accounts, active_instance
from posbridge.services.wixcheck import confirm_business_location, confirm_configuration
from posbridge.store.db import Database
from posbridge.store.models import Account, Configuration, ConfigurationMenu, Instance, Location, Menu, MenuLocation
from posbridge.store.types import utcnow
from posbridge.wix.client import WixClient
from posbridge.wix.generation import Generation


def pair_configuration(
    db: Database,
    *,
    instance_id: str,
    configuration_id: str,
    location_id: str,
    menu_ids: list[str] | None = None,
    catalog_id: str | None = None,
    account_id: str | None = None,
    wix: WixClient | None = None,
    generation: Generation = Generation.LEGACY,
) -> Configuration:
    """Pair Wix's configuration with the linked merchant's POS location; menus default to all sold there.

    The configuration row is created the first time Wix's id is seen. `account_id` defaults to the
    instance's connected account (one per instance today). Re-pairing the same way changes nothing.
    With `wix`, Wix must first confirm the configuration exists on the instance (nothing is
    written otherwise); without, it is taken on trust (setups without Wix). On a new-generation
    site (`generation` NEWGEN) the Wix id is a business location, confirmed through the Locations
    API: the pairing row is the same, the catalog target differs (the Menus API).
    """
    if wix is not None and generation == Generation.NEWGEN:
        confirm_business_location(wix, instance_id, configuration_id)
    elif wix is not None:
        confirm_configuration(wix, instance_id, configuration_id)
    with db.transaction() as session:
        account = _pairing_account(session, instance_id, account_id)
        location = session.scalar(
            select(Location).where(Location.merchant_id == account.merchant_id, Location.pos_id == location_id)
        )
        if location is None:
            raise WixError.of(
                "LOCATION_NOT_FOUND",
                f"POS location '{location_id}' not found for account '{account.account_id}'",
                locationId=location_id,
            )
        if not location.active:
            raise WixError.of("ACCOUNT_CONFIGURATION", f"POS location '{location_id}' is deactivated", http_status=409)
        menus = _menus_for(session, location, menu_ids)
        configuration = session.scalar(
            select(Configuration)
            .where(Configuration.instance_id == instance_id, Configuration.wix_id == configuration_id)
            .with_for_update()
        )
        if configuration is None:
            configuration = Configuration(instance_id=instance_id, wix_id=configuration_id, generation=generation)
            session.add(configuration)
        elif configuration.generation != generation:
            raise WixError.of(
                "ACCOUNT_CONFIGURATION",
                f"'{configuration_id}' is paired as a {configuration.generation.lower()} location, not a "
                f"{generation.lower()} one",
                http_status=409,
            )
        clash = session.scalar(
            select(Configuration.wix_id).where(
                Configuration.instance_id == instance_id,
                Configuration.location_id == location.id,
                Configuration.wix_id != configuration_id,
            )
        )
        if clash is not None:
            raise WixError.of(
                "ACCOUNT_CONFIGURATION",
                f"POS location '{location_id}' is already paired with configuration '{clash}'",
                http_status=409,
                configurationId=clash,
            )
        if (configuration.account_pk, configuration.location_id) != (account.id, location.id):
            configuration.account_pk, configuration.location_id = account.id, location.id
            configuration.paired_at = utcnow()
        if catalog_id is not None and configuration.catalog_id != catalog_id:
            configuration.catalog_id = catalog_id
        _select_menus(configuration, [menu.id for menu in menus])
        return configuration


def unpair_configuration(db: Database, *, instance_id: str, configuration_id: str) -> Configuration:
    """Undo a pairing: no POS location, no menus (status PENDING); the Wix catalog id is kept."""
    with db.transaction() as session:
        configuration = find_configuration(session, instance_id, configuration_id)
        release_configuration(configuration)
        return configuration


def find_configuration(session: Session, instance_id: str, configuration_id: str) -> Configuration:
    """The instance's configuration with Wix's id; another instance's is 'not known', like a missing one."""
    configuration = session.scalar(
        select(Configuration).where(Configuration.instance_id == instance_id, Configuration.wix_id == configuration_id)
    )
    if configuration is None:
        if session.get(Instance, instance_id) is None:
            # Name what is actually unknown: a mistyped instance is not a configuration problem.
            raise WixError.of(
                "INSTANCE_NOT_FOUND", f"Instance '{instance_id}' is not known", http_status=404, instanceId=instance_id
            )
        raise WixError.of(
            "LOCATION_NOT_FOUND", f"Configuration '{configuration_id}' is not known", configurationId=configuration_id
        )
    return configuration


def release_configuration(configuration: Configuration) -> None:
    """Clear a configuration's pairing and menu choice in its session (no-op when already unpaired)."""
    if configuration.account_pk is not None or configuration.location_id is not None:
        configuration.account_pk = configuration.location_id = configuration.paired_at = None
    if configuration.selected_menus:
        configuration.selected_menus.clear()


def _pairing_account(session: Session, instance_id: str, account_id: str | None) -> Account:
    active_instance(session, instance_id)
    if account_id is not None:
        return account_for(session, instance_id, account_id)
    accounts = active_accounts(session, instance_id)
    if not accounts:
        raise WixError.of(
            "ACCOUNT_NOT_CONNECTED", "No POS account is connected to this site: link one first", instanceId=instance_id
        )
    return accounts[0]


def _menus_for(session: Session, location: Location, menu_ids: list[str] | None) -> list[Menu]:
    """The chosen menus (every active menu sold at the location when None), checked all at once."""
    sold = list(
        session.scalars(
            select(Menu)
            .join(MenuLocation, MenuLocation.menu_id == Menu.id)
            .where(MenuLocation.location_id == location.id, Menu.active.is_(True))
            .order_by(Menu.position, Menu.id)
        )
    )
    if menu_ids is None:
        return sold
    by_pos_id = {menu.pos_id: menu for menu in sold}
    wanted = list(dict.fromkeys(menu_ids))
    missing = [
        ErrorDetail(
            "ACCOUNT_CONFIGURATION",
            f"Menu '{menu_id}' is not an active menu sold at POS location '{location.pos_id}'",
            {"menuId": menu_id},
        )
        for menu_id in wanted
        if menu_id not in by_pos_id
    ]
    if missing:
        raise WixError(missing, http_status=400)
    return [by_pos_id[menu_id] for menu_id in wanted]


def _select_menus(configuration: Configuration, menu_pks: list[int]) -> None:
    """Make the configuration's menu choice exactly `menu_pks`, in order, touching only what differs."""
    current = {entry.menu_id: entry for entry in configuration.selected_menus}
    for stale in [entry for menu_pk, entry in current.items() if menu_pk not in menu_pks]:
        configuration.selected_menus.remove(stale)
    for position, menu_pk in enumerate(menu_pks):
        entry = current.get(menu_pk)
        if entry is None:
            configuration.selected_menus.append(ConfigurationMenu(menu_id=menu_pk, position=position))
        elif entry.position != position:
            entry.position = position
