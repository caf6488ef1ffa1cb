"""Which catalog target a pairing writes to: its site's generation decides.

A pairing's id space (what keys its sync id map) is its target's: `id_space_of`. Queries that join
pairings to the id map use the same rule in SQL, `wix.generation.ID_SPACE`.
"""

from __future__ import annotations

from sqlalchemy import select

from posbridge.store.db import Database
from posbridge.store.models import Configuration
from posbridge.sync.catalogs_v3 import CatalogsV3Target
from posbridge.sync.menus_api import MenusApiTarget
from posbridge.sync.target import TargetKind
from posbridge.wix.generation import Generation


def target_for(generation: Generation) -> TargetKind:
    """The catalog target of a generation's sites: Catalogs v3 (legacy) or the Menus API (new)."""
    return MenusApiTarget if generation is Generation.NEWGEN else CatalogsV3Target


def target_of(db: Database, configuration_pk: int) -> TargetKind:
    """The catalog target of one pairing (a configuration of a legacy site, a business location of a new one)."""
    with db.transaction(write=False) as session:
        generation = session.scalar(select(Configuration.generation).where(Configuration.id == configuration_pk))
    return target_for(Generation(generation or Generation.LEGACY))


def id_space_of(configuration: Configuration) -> str | None:
    """The id space of a pairing's catalog, if known: its target's (`TargetKind.id_space`)."""
    return target_for(Generation(configuration.generation)).id_space(configuration)
