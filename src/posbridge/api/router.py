"""The admin API under /api/v1: one router including each module's sub-router.

Every module builds its router with `posbridge.api.common.admin_router()` (operator token,
one error shape) and is listed here.
"""

from __future__ import annotations

from fastapi import APIRouter

from posbridge.api import (
    accounts,
    business_locations,
    configurations,
    imports,
    listings,
    orders,
    pos,
    stock,
    strays,
    syncs,
)

router = APIRouter()
for module in (imports, accounts, configurations, business_locations, listings, orders, stock, syncs, pos, strays):
    router.include_router(module.router)
router.include_router(pos.pos_router)
