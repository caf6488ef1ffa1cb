"""Operator listings: instances and orders (paginated)."""

from __future__ import annotations

from fastapi import Depends, Query

from posbridge.api.common import admin_router, database, errors
from posbridge.orders.model import OrderStatus
from posbridge.services import queries
from posbridge.services.queries import InstanceView, OrderView, Page
from posbridge.store.db import Database
from posbridge.store.statuses import InstanceStatus

router = admin_router(tags=["listings"])
Limit = Query(50, ge=1, le=queries.MAX_PAGE, description="Rows per page.")
Offset = Query(0, ge=0, le=queries.MAX_OFFSET, description="Rows to skip.")


@router.get("/instances", response_model=Page[InstanceView], responses=errors())
def get_instances(
    status: InstanceStatus | None = Query(None, description="ACTIVE or REMOVED."),
    limit: int = Limit,
    offset: int = Offset,
    db: Database = Depends(database),
) -> Page[InstanceView]:
    """Wix instances (sites that installed the app), newest first."""
    return queries.list_instances(db, status=status, limit=limit, offset=offset)


@router.get("/orders", response_model=Page[OrderView], responses=errors())
def get_orders(
    instance_id: str | None = Query(None, alias="instanceId", description="Only this instance."),
    status: OrderStatus | None = Query(None, description="NEW, ACCEPTED, READY, FULFILLED or CANCELED."),
    attention: bool | None = Query(None, description="true: only orders that need attention; false: only the others."),
    location_id: str | None = Query(None, alias="locationId", description="Only this POS location's orders."),
    limit: int = Limit,
    offset: int = Offset,
    db: Database = Depends(database),
) -> Page[OrderView]:
    """Orders, newest first."""
    return queries.list_orders(
        db,
        instance_id=instance_id,
        status=status,
        attention=attention,
        location_id=location_id,
        limit=limit,
        offset=offset,
    )
