"""Which catalog target a site's generation writes to."""

from __future__ import annotations

from posbridge.sync.catalogs_v3 import CatalogsV3Target
from posbridge.sync.target import TargetKind
from posbridge.wix.generation import Generation


def target_for(generation: Generation) -> TargetKind:
    """The catalog target of a generation's sites."""
    if generation is Generation.LEGACY:
        return CatalogsV3Target
    raise LookupError(f"no catalog target for {generation} sites yet")
