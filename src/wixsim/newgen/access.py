"""Tenancy-checked access to a site's new-generation state."""

from __future__ import annotations

from wixsim.errors import WixApiError
from wixsim.newgen.model import NewGenSite
from wixsim.state import Store


def newgen_site(store: Store, instance_id: str) -> NewGenSite:
    """The Restaurants (New) state of an instance: 404 for an unknown site, 428 for a legacy one."""
    site = store.site(instance_id)
    state = store.data.newgen.get(instance_id)
    if site.generation != "new" or state is None:
        raise WixApiError(
            428,
            "MENUS_APP_NOT_INSTALLED",
            "Wix Restaurants (New) is not installed on this site",
        )
    return state
