"""Pair, inspect and unpair an instance's Wix configurations."""

from __future__ import annotations

from fastapi import Depends, Path, Query
from pydantic import Field

from posbridge.api.common import admin_router, database, errors, wix_client
from posbridge.services import queries
from posbridge.services.pairing import pair_configuration, unpair_configuration
from posbridge.services.queries import ApiModel, ConfigurationView
from posbridge.store.db import Database
from posbridge.wix.client import WixClient

router = admin_router(tags=["configurations"])
InstancePath = Path(alias="instanceId", description="The Wix instance id.")
ConfigurationPath = Path(alias="configurationId", description="Wix's configuration id (one Wix location).")


class PairRequest(ApiModel):
    """The POS location to pair with, and the menus to sell online there."""

    location_id: str = Field(min_length=1, max_length=128, description="The POS location id.")
    menu_ids: list[str] | None = Field(default=None, description="POS menu ids; default: every menu sold there.")
    catalog_id: str | None = Field(default=None, max_length=128, description="Wix's catalog id, when known.")


@router.get("/instances/{instanceId}/configurations", response_model=list[ConfigurationView], responses=errors(404))
def get_configurations(instance_id: str = InstancePath, db: Database = Depends(database)) -> list[ConfigurationView]:
    """The instance's configurations with their pairing and status."""
    return queries.list_configurations(db, instance_id=instance_id)


@router.get(
    "/instances/{instanceId}/configurations/{configurationId}",
    response_model=ConfigurationView,
    responses=errors(404),
)
def get_configuration(
    instance_id: str = InstancePath, configuration_id: str = ConfigurationPath, db: Database = Depends(database)
) -> ConfigurationView:
    """One configuration with its pairing and status."""
    return queries.get_configuration(db, instance_id=instance_id, configuration_id=configuration_id)


@router.put(
    "/instances/{instanceId}/configurations/{configurationId}",
    response_model=ConfigurationView,
    responses=errors(400, 404, 409, 428, 502),
)
def put_configuration(
    body: PairRequest,
    instance_id: str = InstancePath,
    configuration_id: str = ConfigurationPath,
    offline: bool = Query(
        False,
        description="Take the configuration on trust instead of asking Wix that it exists on the instance "
        "(setups without Wix only).",
    ),
    db: Database = Depends(database),
    client: WixClient = Depends(wix_client),
) -> ConfigurationView:
    """Pair the configuration with a POS location of the connected account (idempotent).

    Wix must confirm the configuration exists on the instance first (404 when not, 409 when
    archived, 502 when Wix cannot be asked), unless `offline`; nothing is written when it does not.
    """
    pair_configuration(
        db,
        wix=None if offline else client,
        instance_id=instance_id,
        configuration_id=configuration_id,
        location_id=body.location_id,
        menu_ids=body.menu_ids,
        catalog_id=body.catalog_id,
    )
    return queries.get_configuration(db, instance_id=instance_id, configuration_id=configuration_id)


@router.delete(
    "/instances/{instanceId}/configurations/{configurationId}",
    response_model=ConfigurationView,
    responses=errors(404),
)
def delete_configuration(
    instance_id: str = InstancePath, configuration_id: str = ConfigurationPath, db: Database = Depends(database)
) -> ConfigurationView:
    """Unpair the configuration (it becomes PENDING)."""
    unpair_configuration(db, instance_id=instance_id, configuration_id=configuration_id)
    return queries.get_configuration(db, instance_id=instance_id, configuration_id=configuration_id)
