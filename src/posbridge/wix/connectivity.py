"""Wix's POS connectivity API (wix-apis.md §2): the site's location configurations and disconnects."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from posbridge.wix.client import WixClient

BASE = "/v1/pos-integration"


def list_configurations(client: WixClient, instance_id: str) -> list[dict[str, Any]]:
    """Every location configuration of the instance's site."""
    return list(client.call(instance_id, "GET", f"{BASE}/configurations").get("configurations") or [])


def get_configuration(client: WixClient, instance_id: str, configuration_id: str) -> dict[str, Any]:
    """One configuration (`id, location{name}, catalogId, archived, enabled, integrationSettingsUrl`)."""
    return dict(
        client.call(instance_id, "GET", f"{BASE}/configurations/{quote(configuration_id, safe='')}").get(
            "configuration"
        )
        or {}
    )


def disconnect_account(client: WixClient, instance_id: str, account_id: str, app_def_id: str) -> None:
    """Tell Wix the POS account is no longer connected to the site."""
    client.call(
        instance_id, "POST", f"{BASE}/accounts/{quote(account_id, safe='')}/disconnect", json={"appDefId": app_def_id}
    )


def disconnect_configuration(client: WixClient, instance_id: str, configuration_id: str) -> None:
    """Tell Wix one location configuration is no longer paired."""
    client.call(instance_id, "POST", f"{BASE}/configurations/{quote(configuration_id, safe='')}/disconnect", json={})
