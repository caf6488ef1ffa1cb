"""Remove what an operator recorded by mistake: a stray instance or configuration.

A stray has no orders and posbridge never wrote a Wix catalog for it, so removing it loses
nothing: its rows (accounts, pairings, sync history) are deleted. Anything with orders, or whose
catalog posbridge wrote to, is a real site: it is refused, and `force` then does only what is
safe — an instance is marked REMOVED (as Wix's AppRemoved does; history kept), a configuration
is unpaired — so no order, nor the id map that keeps a Wix catalog owned, is ever deleted.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, delete, select
from sqlalchemy.orm import Session

from posbridge.errors import WixError
from posbridge.services.pairing import find_configuration, release_configuration
from posbridge.services.queries import count_rows
from posbridge.store.db import Database
from posbridge.store.models import (
    Account,
    Configuration,
    ConfigurationMenu,
    Instance,
    OrderRow,
    OutboundJob,
    Sync,
    SyncIdMap,
    SyncLog,
)
from posbridge.store.statuses import InstanceStatus
from posbridge.store.types import utcnow
from posbridge.sync.targets import id_space_of

DELETED, MARKED_REMOVED, UNPAIRED = "DELETED", "MARKED_REMOVED", "UNPAIRED"


@dataclass(frozen=True)
class Removal:
    """What a removal did: DELETED (rows gone), MARKED_REMOVED (instance kept as REMOVED) or UNPAIRED."""

    outcome: str
    orders: int
    catalog_entities: int


def remove_instance(db: Database, instance_id: str, *, force: bool = False) -> Removal:
    """Delete a stray instance with everything recorded under it; an instance in use needs `force` (REMOVED)."""
    with db.transaction() as session:
        instance = session.get(Instance, instance_id, with_for_update=True)
        if instance is None:
            raise WixError.of(
                "INSTANCE_NOT_FOUND", f"Instance '{instance_id}' is not known", http_status=404, instanceId=instance_id
            )
        orders = count_rows(session, select(OrderRow.id).where(OrderRow.instance_id == instance_id))
        entities = count_rows(session, select(SyncIdMap.id).where(SyncIdMap.instance_id == instance_id))
        if orders or entities:
            if not force:
                raise WixError.of(
                    "ACCOUNT_CONFIGURATION",
                    f"Instance '{instance_id}' is in use ({_use(orders, entities)}): not removed; --force marks it "
                    "REMOVED (as uninstalling the app does) and keeps its history",
                    http_status=409,
                    instanceId=instance_id,
                )
            if instance.status != InstanceStatus.REMOVED:
                instance.status, instance.removed_at = InstanceStatus.REMOVED, utcnow()
            return Removal(MARKED_REMOVED, orders, entities)
        configurations = select(Configuration.id).where(Configuration.instance_id == instance_id)
        _delete_configurations(session, configurations)
        session.execute(delete(OutboundJob).where(OutboundJob.instance_id == instance_id))
        session.execute(delete(Account).where(Account.instance_id == instance_id))
        session.delete(instance)
        return Removal(DELETED, 0, 0)


def remove_configuration(db: Database, instance_id: str, configuration_id: str, *, force: bool = False) -> Removal:
    """Delete a stray configuration and its sync history; one with orders needs `force` (then it is unpaired)."""
    with db.transaction() as session:
        configuration = find_configuration(session, instance_id, configuration_id)
        orders = count_rows(session, select(OrderRow.id).where(OrderRow.configuration_id == configuration.id))
        entities = 0
        if (id_space := id_space_of(configuration)) is not None:
            entities = count_rows(
                session,
                select(SyncIdMap.id).where(SyncIdMap.instance_id == instance_id, SyncIdMap.catalog_id == id_space),
            )
        if orders or entities:
            if not force:
                raise WixError.of(
                    "ACCOUNT_CONFIGURATION",
                    f"Configuration '{configuration_id}' is in use ({_use(orders, entities)}): not removed; "
                    "--force unpairs it and keeps its history",
                    http_status=409,
                    configurationId=configuration_id,
                )
            release_configuration(configuration)
            return Removal(UNPAIRED, orders, entities)
        _delete_configurations(session, select(Configuration.id).where(Configuration.id == configuration.id))
        return Removal(DELETED, 0, 0)


def _delete_configurations(session: Session, ids: Select[Any]) -> None:
    """Delete configurations (a query of their ids) with their menu choices and sync history, children first."""
    syncs = select(Sync.id).where(Sync.configuration_id.in_(ids))
    session.execute(delete(SyncLog).where(SyncLog.sync_id.in_(syncs)))
    session.execute(delete(Sync).where(Sync.configuration_id.in_(ids)))
    session.execute(delete(ConfigurationMenu).where(ConfigurationMenu.configuration_id.in_(ids)))
    session.execute(delete(Configuration).where(Configuration.id.in_(ids)).execution_options(synchronize_session=False))


def _use(orders: int, entities: int) -> str:
    parts = [f"{orders} order(s)"] if orders else []
    if entities:
        parts.append(f"{entities} catalog entit{'y' if entities == 1 else 'ies'} posbridge wrote in Wix")
    return ", ".join(parts)
