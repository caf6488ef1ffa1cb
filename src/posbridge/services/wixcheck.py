"""Ask Wix before recording what an operator names: an instance must be installed, a configuration must exist.

An operator's typo would otherwise become an ACTIVE phantom instance or a READY configuration
that Wix never calls. Each check runs before anything is written, so a refused link or pair
leaves the store as it was. Setups without Wix (tests, a demo without the emulator) skip them
explicitly (`--offline`, `?offline=true`).
"""

from __future__ import annotations

from typing import Any

from posbridge.errors import WixError
from posbridge.wix import connectivity
from posbridge.wix.client import WixClient
from posbridge.wix.errors import WixApiError
from posbridge.wix.locations import list_business_locations


def confirm_installed(client: WixClient, instance_id: str) -> None:
    """Refuse an instance Wix grants no client-credentials token for (unknown, or the app is not installed)."""
    try:
        client.token(instance_id)
    except WixApiError as exc:
        if exc.retryable:
            raise _unreachable(exc, f"whether the app is installed on instance '{instance_id}'") from exc
        if exc.status == 401:
            # Wix refused the app itself, not the instance: no instance would pass.
            raise WixError.of(
                "WIX_APP_CREDENTIALS",
                f"Wix refused posbridge's app credentials ({exc.code}): check POSBRIDGE_WIX_APP_ID and "
                "POSBRIDGE_WIX_APP_SECRET; nothing was changed",
                http_status=502,
            ) from exc
        raise WixError.of(
            "INSTANCE_NOT_FOUND",
            f"The app is not installed on Wix instance '{instance_id}' (Wix grants it no access token: "
            f"{exc.code}); nothing was changed",
            http_status=404,
            instanceId=instance_id,
        ) from exc


def confirm_business_location(client: WixClient, instance_id: str, business_location_id: str) -> dict[str, Any]:
    """Wix's business location (Locations API), or a refusal naming what is wrong (new-generation sites)."""
    confirm_installed(client, instance_id)
    try:
        found = [loc for loc in list_business_locations(client, instance_id) if loc.get("id") == business_location_id]
    except WixApiError as exc:
        if exc.retryable:
            raise _unreachable(exc, f"about business location '{business_location_id}'") from exc
        found = []
    if not found or found[0].get("archived"):
        state = "an archived" if found else "no"
        raise WixError.of(
            "LOCATION_NOT_FOUND",
            f"Wix has {state} business location '{business_location_id}' on instance '{instance_id}'; "
            "nothing was changed",
            http_status=404,
            businessLocationId=business_location_id,
        )
    return found[0]


def confirm_configuration(client: WixClient, instance_id: str, configuration_id: str) -> dict[str, Any]:
    """Wix's configuration (`id, location, catalogId, archived, enabled`), or a refusal naming what is wrong."""
    confirm_installed(client, instance_id)
    try:
        configuration = connectivity.get_configuration(client, instance_id, configuration_id)
    except WixApiError as exc:
        if exc.retryable:
            raise _unreachable(exc, f"about configuration '{configuration_id}'") from exc
        configuration = {}
    if configuration.get("id") != configuration_id:
        raise WixError.of(
            "LOCATION_NOT_FOUND",
            f"Wix has no configuration '{configuration_id}' on instance '{instance_id}'; nothing was changed",
            http_status=404,
            configurationId=configuration_id,
        )
    if configuration.get("archived"):
        raise WixError.of(
            "ACCOUNT_CONFIGURATION",
            f"Configuration '{configuration_id}' is archived in Wix (its location was removed); nothing was changed",
            http_status=409,
            configurationId=configuration_id,
        )
    return configuration


def _unreachable(exc: WixApiError, what: str) -> WixError:
    return WixError.of(
        "WIX_UNAVAILABLE",
        f"Wix could not be asked {what}: {exc.code} {exc.message}; nothing was changed (retry, or --offline "
        "for a setup without Wix)",
        http_status=502,
    )
