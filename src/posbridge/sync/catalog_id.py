"""Learns a paired configuration's catalog id from Wix's POS connectivity API before its first sync.

Pairing (CLI, admin API, dashboard) needs no Wix call, so a configuration can be paired before
posbridge knows which Wix catalog its menus go to. Wix's `Configuration.catalogId` names it (one
catalog per location, wix-apis.md §2); the first sync that lacks it asks Wix once and stores it.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select, update

from posbridge.store.db import Database
from posbridge.store.models import Configuration
from posbridge.sync.validate import Problem
from posbridge.wix.client import WixClient
from posbridge.wix.connectivity import get_configuration
from posbridge.wix.errors import WixApiError


@dataclass(frozen=True)
class Lookup:
    """Whether Wix was asked (one `getConfiguration` call), and why the sync cannot go on, if it cannot."""

    asked: bool
    problem: Problem | None = None


def learn_catalog_id(db: Database, client: WixClient, configuration_pk: int) -> Lookup:
    """Store the catalog id Wix gives a paired configuration that has none; a Problem when Wix cannot give one."""
    with db.transaction(write=False) as session:
        row = session.execute(
            select(
                Configuration.instance_id, Configuration.wix_id, Configuration.catalog_id, Configuration.location_id
            ).where(Configuration.id == configuration_pk)
        ).one()
    instance_id, wix_id, catalog_id, location_id = row
    if catalog_id or location_id is None:
        return Lookup(asked=False)  # known already, or unpaired (the sync's validation says so)
    try:
        found = get_configuration(client, instance_id, wix_id)
    except WixApiError as exc:
        if exc.status == 404:
            problem = Problem("LOCATION_NOT_FOUND", "", f"Wix has no location configuration '{wix_id}' on this site")
            return Lookup(asked=True, problem=problem)
        raise
    if found.get("archived"):
        problem = Problem("LOCATION_NOT_FOUND", "", f"The Wix location '{_name(found, wix_id)}' is archived")
        return Lookup(asked=True, problem=problem)
    catalog_id = found.get("catalogId")
    if not catalog_id:
        return Lookup(asked=True)  # the sync's validation reports the missing catalog
    with db.transaction() as session:
        # Only fill a gap: a catalog id set meanwhile (by a pairing or another worker) stands.
        session.execute(
            update(Configuration)
            .where(Configuration.id == configuration_pk, Configuration.catalog_id.is_(None))
            .values(catalog_id=str(catalog_id))
        )
    return Lookup(asked=True)


def _name(configuration: dict[str, object], fallback: str) -> str:
    location = configuration.get("location")
    name = location.get("name") if isinstance(location, dict) else None
    return str(name or fallback)
