"""Remove what was recorded by mistake: a stray instance or configuration (`services/strays.py`).

The same rules as `posbridge instances remove` and `posbridge configurations remove`: a stray
(no orders, no Wix catalog posbridge wrote) is deleted; one in use is refused with 409, and
`force` does only the safe part (the instance marked REMOVED, the configuration unpaired).
"""

from __future__ import annotations

from typing import Literal

from fastapi import Depends, Path, Query
from pydantic import Field

from posbridge.api.common import admin_router, database, errors
from posbridge.services.queries import ApiModel
from posbridge.services.strays import Removal, remove_configuration, remove_instance
from posbridge.store.db import Database

router = admin_router(tags=["strays"])
InstancePath = Path(alias="instanceId", description="The Wix instance id.")
ConfigurationPath = Path(alias="configurationId", description="Wix's configuration id (one Wix location).")
Force = Query(False, description="When it is in use (orders, a Wix catalog posbridge wrote): do only the safe part.")


class RemovalView(ApiModel):
    """What a removal did, and what it kept."""

    outcome: Literal["DELETED", "MARKED_REMOVED", "UNPAIRED"] = Field(
        description="DELETED (rows gone), MARKED_REMOVED (instance kept as REMOVED) or UNPAIRED (configuration)."
    )
    orders: int = Field(description="Orders recorded under it (kept).")
    catalog_entities: int = Field(description="Wix catalog entities posbridge wrote for it (kept).")

    @classmethod
    def of(cls, removal: Removal) -> RemovalView:
        return cls.model_validate(
            {"outcome": removal.outcome, "orders": removal.orders, "catalog_entities": removal.catalog_entities}
        )


@router.delete("/instances/{instanceId}", response_model=RemovalView, responses=errors(404, 409))
def delete_instance(
    instance_id: str = InstancePath, force: bool = Force, db: Database = Depends(database)
) -> RemovalView:
    """Remove a stray instance (e.g. a mistyped id) with its accounts and pairings.

    In use: 409, or with `force` it is marked REMOVED (as uninstalling the app does), history kept.
    """
    return RemovalView.of(remove_instance(db, instance_id, force=force))


@router.post(
    "/instances/{instanceId}/configurations/{configurationId}/remove",
    response_model=RemovalView,
    responses=errors(404, 409),
)
def post_configuration_removal(
    instance_id: str = InstancePath,
    configuration_id: str = ConfigurationPath,
    force: bool = Force,
    db: Database = Depends(database),
) -> RemovalView:
    """Remove a stray configuration with its menu choice and sync history (DELETE on it only unpairs).

    In use: 409, or with `force` it is unpaired, history kept.
    """
    return RemovalView.of(remove_configuration(db, instance_id, configuration_id, force=force))
