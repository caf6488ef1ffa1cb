"""Webhook tests share the sync tests' tenant fixtures: a wixsim site and posbridge settings aimed at it."""

from __future__ import annotations

from tests.sync.conftest import sim_settings, world, world_factory  # noqa: F401  (fixtures)
from wixsim.testing import wixsim, wixsim_server  # noqa: F401  (fixtures)
