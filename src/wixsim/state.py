"""The emulator's state: sites, configurations, catalogs, orders, tokens; persisted to JSON or SQLite."""

from __future__ import annotations

import copy
import json
import sqlite3
from contextlib import closing
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, Field

from wixsim.errors import WixApiError
from wixsim.newgen.ecom_state import EcomOrderRecord
from wixsim.newgen.model import NewGenSite

Entity = dict[str, Any]
CREATE_TABLE = "CREATE TABLE IF NOT EXISTS wixsim_state (id INTEGER PRIMARY KEY, body TEXT)"


class AppCredentials(BaseModel):
    """The provider's app registration at Wix: id, secret and the RSA key pair Wix signs with."""

    app_id: str
    app_secret: str
    private_key_pem: str
    public_key_pem: str


class Settings(BaseModel):
    """Tunable behaviour (rate limit, token lifetime, SPI timeouts)."""

    rate_limit_per_minute: int | None = 200
    token_lifetime_seconds: int = 14400
    spi_timeout_seconds: float = 10.0
    create_order_timeout_seconds: float = 10.0
    create_order_max_resends: int = 2
    default_provider_base_uri: str | None = None
    default_webhook_url: str | None = None
    default_dashboard_url: str = "http://127.0.0.1:8000/dashboard"


class Site(BaseModel):
    """A Wix site with the provider's app installed (one app instance)."""

    instance_id: str
    site_id: str
    name: str
    owner_user_id: str
    currency: str = "USD"
    languages: list[str] = Field(default_factory=lambda: ["en-US"])
    locale: str = "en"
    provider_base_uri: str | None = None
    webhook_url: str | None = None
    dashboard_url: str | None = None
    installed: bool = True
    installed_date: str
    removed_date: str | None = None
    disconnected_accounts: list[str] = Field(default_factory=list)
    # "legacy": POS SPI + Catalogs v3 + Orders v3; "new": Wix Restaurants (New), state in StateData.newgen.
    generation: str = "legacy"
    validations_base_uri: str | None = None

    def public(self) -> dict[str, Any]:
        """Camel-case view for the control API."""
        return {
            "instanceId": self.instance_id,
            "siteId": self.site_id,
            "name": self.name,
            "ownerUserId": self.owner_user_id,
            "currency": self.currency,
            "languages": self.languages,
            "locale": self.locale,
            "providerBaseUri": self.provider_base_uri,
            "webhookUrl": self.webhook_url,
            "dashboardUrl": self.dashboard_url,
            "installed": self.installed,
            "installedDate": self.installed_date,
            "removedDate": self.removed_date,
            "disconnectedAccounts": self.disconnected_accounts,
            "generation": self.generation,
            "validationsBaseUri": self.validations_base_uri,
        }


class ConfigurationRecord(BaseModel):
    """A Wix location configuration of the POS integration."""

    id: str
    instance_id: str
    location_id: str
    location_name: str
    catalog_id: str
    enabled: bool = True
    archived: bool = False
    integration_settings_url: str | None = None

    def wire(self) -> dict[str, Any]:
        """The Configuration object exactly as Wix's POS connectivity API returns it."""
        out: dict[str, Any] = {
            "id": self.id,
            "location": {"name": self.location_name},
            "catalogId": self.catalog_id,
            "archived": self.archived,
            "enabled": self.enabled,
        }
        if self.integration_settings_url:
            out["integrationSettingsUrl"] = self.integration_settings_url
        return out


class CatalogContent(BaseModel):
    """Menus, sections and items of one catalog version (live or draft), in creation order."""

    menus: dict[str, Entity] = Field(default_factory=dict)
    sections: dict[str, Entity] = Field(default_factory=dict)
    items: dict[str, Entity] = Field(default_factory=dict)

    def copy_deep(self) -> CatalogContent:
        """An independent deep copy."""
        return CatalogContent(
            menus=copy.deepcopy(self.menus),
            sections=copy.deepcopy(self.sections),
            items=copy.deepcopy(self.items),
        )

    def dump(self) -> dict[str, list[Entity]]:
        """Lists of menus, sections, items in wire form."""
        return {
            "menus": copy.deepcopy(list(self.menus.values())),
            "sections": copy.deepcopy(list(self.sections.values())),
            "items": copy.deepcopy(list(self.items.values())),
        }


class CatalogRecord(BaseModel):
    """A location's catalog: the live version and at most one draft."""

    id: str
    instance_id: str
    configuration_id: str
    location_id: str
    currency: str
    archived: bool = False
    draft_published_date: str | None = None
    live: CatalogContent = Field(default_factory=CatalogContent)
    draft: CatalogContent | None = None
    draft_created_date: str | None = None
    publish_count: int = 0

    def wire(self) -> dict[str, Any]:
        """The Catalog object as Catalogs v3 returns it."""
        out: dict[str, Any] = {"id": self.id, "locationId": self.location_id, "archived": self.archived}
        if self.draft_published_date:
            out["draftPublishedDate"] = self.draft_published_date
        return out


class OrderRecord(BaseModel):
    """A Wix restaurant order, with its status history and what the provider answered."""

    id: str
    instance_id: str
    configuration_id: str
    order: Entity
    status_history: list[Entity] = Field(default_factory=list)
    pos_order_id: str | None = None
    pos_location_id: str | None = None
    checkout: Entity | None = None


class TokenRecord(BaseModel):
    """An OAuth access token minted for one app instance."""

    token: str
    instance_id: str
    iat: int
    exp: int


Owned = TypeVar("Owned", ConfigurationRecord, CatalogRecord, OrderRecord)


class StateData(BaseModel):
    """Everything that survives a restart when --state is given."""

    app: AppCredentials
    settings: Settings = Field(default_factory=Settings)
    sites: dict[str, Site] = Field(default_factory=dict)
    configurations: dict[str, ConfigurationRecord] = Field(default_factory=dict)
    catalogs: dict[str, CatalogRecord] = Field(default_factory=dict)
    orders: dict[str, OrderRecord] = Field(default_factory=dict)
    tokens: dict[str, TokenRecord] = Field(default_factory=dict)
    newgen: dict[str, NewGenSite] = Field(default_factory=dict)
    ecom_orders: dict[str, EcomOrderRecord] = Field(default_factory=dict)


class Store:
    """Holds the state; lookups that enforce tenancy; optional persistence to a file."""

    def __init__(self, data: StateData, state_file: Path | None = None) -> None:
        self.data = data
        self.state_file = state_file
        self.initial_settings = data.settings.model_copy()

    # ---- tenancy-checked lookups -------------------------------------------------------------
    def site(self, instance_id: str) -> Site:
        """The site of an instance, or a 404 in Wix's error shape."""
        site = self.data.sites.get(instance_id)
        if site is None:
            raise WixApiError(404, "SITE_NOT_FOUND", f"Site with instance {instance_id} not found")
        return site

    def configuration(self, instance_id: str, configuration_id: str) -> ConfigurationRecord:
        """A configuration owned by the instance; another instance's is reported as not found."""
        return _owned(self.data.configurations, configuration_id, instance_id, "Configuration")

    def catalog(self, instance_id: str, catalog_id: str) -> CatalogRecord:
        """A catalog owned by the instance; another instance's is reported as not found."""
        return _owned(self.data.catalogs, catalog_id, instance_id, "Catalog")

    def order(self, instance_id: str, order_id: str) -> OrderRecord:
        """An order owned by the instance; another instance's is reported as not found."""
        return _owned(self.data.orders, order_id, instance_id, "Order")

    def configurations_of(self, instance_id: str) -> list[ConfigurationRecord]:
        """All configurations of one site, in creation order."""
        return [c for c in self.data.configurations.values() if c.instance_id == instance_id]

    # ---- lifecycle ----------------------------------------------------------------------------
    def reset(self) -> None:
        """Forget every site, order and token; settings back to what the server started with."""
        app = self.data.app
        self.data = StateData(app=app, settings=self.initial_settings.model_copy())

    def save(self) -> None:
        """Write the state to --state (JSON, or SQLite for .db/.sqlite/.sqlite3 files)."""
        if self.state_file is None:
            return
        text = self.data.model_dump_json()
        if _is_sqlite(self.state_file):
            with closing(sqlite3.connect(self.state_file)) as db, db:
                db.execute(CREATE_TABLE)
                db.execute("INSERT OR REPLACE INTO wixsim_state (id, body) VALUES (1, ?)", (text,))
        else:
            tmp = self.state_file.with_suffix(self.state_file.suffix + ".tmp")
            tmp.write_text(text)
            tmp.replace(self.state_file)


def _owned(pool: dict[str, Owned], key: str, instance_id: str, label: str) -> Owned:
    """pool[key] if it belongs to the instance, else a 404 (`<LABEL>_NOT_FOUND`) that leaks nothing."""
    record = pool.get(key)
    if record is None or record.instance_id != instance_id:
        raise WixApiError(404, f"{label.upper()}_NOT_FOUND", f"{label} {key} not found")
    return record


def _is_sqlite(path: Path) -> bool:
    return path.suffix.lower() in {".db", ".sqlite", ".sqlite3"}


def load_state(path: Path) -> StateData | None:
    """Read a saved state, or None when the file does not exist yet."""
    if not path.exists():
        return None
    if _is_sqlite(path):
        with closing(sqlite3.connect(path)) as db, db:
            db.execute(CREATE_TABLE)
            row = db.execute("SELECT body FROM wixsim_state WHERE id = 1").fetchone()
        return StateData.model_validate(json.loads(row[0])) if row else None
    return StateData.model_validate_json(path.read_text())
