"""The admin API under /api/v1: one router including each module's sub-router.

Every module builds its router with `posbridge.api.common.admin_router()` (operator token,
one error shape) and is listed in `MODULES`. `syncs` (sync requests, dry runs) is the sync
engine's module; it is mounted as soon as it exists.
"""

from __future__ import annotations

import importlib

from fastapi import APIRouter

MODULES = ("imports", "accounts", "configurations", "listings")
OPTIONAL_MODULES = ("syncs",)

router = APIRouter()


def _include(name: str, *, optional: bool = False) -> None:
    try:
        module = importlib.import_module(f"posbridge.api.{name}")
    except ModuleNotFoundError as exc:
        if optional and exc.name == f"posbridge.api.{name}":
            return
        raise
    router.include_router(module.router)


for _name in MODULES:
    _include(_name)
for _name in OPTIONAL_MODULES:
    _include(_name, optional=True)
