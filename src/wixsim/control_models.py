"""Request bodies of the /_sim control API (unknown fields are refused)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from wixsim.models import StrictModel


class ConfigurationSpec(StrictModel):
    """One Wix location configuration to create, with its catalog's pre-existing Wix menus."""

    name: str | None = None
    locationId: str | None = None
    enabled: bool = True
    archived: bool = False
    integrationSettingsUrl: str | None = None
    catalog: dict[str, Any] | None = Field(
        default=None, description="Nested {menus: [...]} spec, see seed.build_content"
    )


class SiteSpec(StrictModel):
    """A site (app instance) to create."""

    instanceId: str | None = None
    siteId: str | None = None
    name: str = "Test Restaurant"
    ownerUserId: str | None = None
    currency: str = "USD"
    languages: list[str] = Field(default_factory=lambda: ["en-US"])
    locale: str = "en"
    providerBaseUri: str | None = None
    webhookUrl: str | None = None
    dashboardUrl: str | None = None
    configurations: int | list[ConfigurationSpec] = 1
    sendInstallWebhook: bool = False
    generation: Literal["legacy", "new"] = Field(
        "legacy", description="legacy: POS SPI + Catalogs v3; new: Wix Restaurants (New) + eCommerce"
    )
    locations: int | list[str] | None = Field(
        None, description="new generation: N business locations (1..100), or their names; default 1"
    )
    menus: dict[str, Any] | list[Any] | None = Field(
        None, description="new generation: pre-existing menus, the nested spec (see wixsim.newgen.seed)"
    )
    validationsBaseUri: str | None = Field(None, description="new generation: the Validations service plugin")


class SitePatch(StrictModel):
    """Fields of a site that can change after creation."""

    providerBaseUri: str | None = None
    webhookUrl: str | None = None
    dashboardUrl: str | None = None
    currency: str | None = None
    languages: list[str] | None = None
    locale: str | None = None
    installed: bool | None = None
    validationsBaseUri: str | None = Field(None, description="new generation: the Validations service plugin")


class ConfigurationPatch(StrictModel):
    """Fields of a configuration that the merchant changes in Wix."""

    name: str | None = None
    enabled: bool | None = None
    archived: bool | None = None


class SettingsPatch(StrictModel):
    """Runtime settings; rateLimitPerMinute 0 switches the limit off."""

    rateLimitPerMinute: int | None = Field(None, ge=0)
    tokenLifetimeSeconds: int | None = Field(None, ge=1)
    spiTimeoutSeconds: float | None = Field(None, gt=0)
    createOrderTimeoutSeconds: float | None = Field(None, gt=0)
    createOrderMaxResends: int | None = Field(None, ge=0)
    defaultProviderBaseUri: str | None = None
    defaultWebhookUrl: str | None = None
    defaultDashboardUrl: str | None = None


class SpiCall(StrictModel):
    """One SPI call to make to the provider."""

    instanceId: str
    accountId: str | None = None
    configurationId: str | None = None
    request: dict[str, Any] | None = Field(None, description="Full request body; overrides the defaults")
    providerBaseUri: str | None = None
    style: str = Field("jwt", description="jwt (text/plain JWT body) or digest (JSON + Digest header)")
    variant: str = Field("valid", description="valid, tampered, expired, wrong_aud, wrong_iss, unsigned, ...")
    identity: dict[str, Any] | None = None
    requestId: str | None = None
    metadata: dict[str, Any] | None = Field(
        None, description="Merged over the generated metadata (null deletes a key), e.g. languages: 'en-US'"
    )
    contentType: str | None = Field(None, description="Override Content-Type (e.g. Wix's own 'plain/text')")
    timeoutSeconds: float | None = Field(None, gt=0)


class WebhookCall(StrictModel):
    """A webhook to send."""

    instanceId: str
    eventType: str = Field(..., description="AppInstalled or AppRemoved")
    url: str | None = None
    variant: str = "valid"
    data: dict[str, Any] | None = None
    apply: bool = Field(True, description="Also change the site's installed state as Wix would")


class DashboardCall(StrictModel):
    """A dashboard URL to mint for the site's owner."""

    instanceId: str
    variant: str = "valid"
    url: str | None = None
    ageSeconds: float | None = None


class OrderStatusPatch(StrictModel):
    """Wix-side status change (e.g. PENDING -> NEW when payment clears)."""

    status: str = Field(..., pattern="^(PENDING|NEW|ACCEPTED|CANCELED|FULFILLED)$")
    message: str | None = None
    emit: bool = True  # raise the status's order webhook (False: a silent change, to test missed events)


class TokenExpiry(StrictModel):
    """Which tokens to expire at once (all when instanceId is null)."""

    instanceId: str | None = None


SETTINGS_FIELDS = {
    "rateLimitPerMinute": "rate_limit_per_minute",
    "tokenLifetimeSeconds": "token_lifetime_seconds",
    "spiTimeoutSeconds": "spi_timeout_seconds",
    "createOrderTimeoutSeconds": "create_order_timeout_seconds",
    "createOrderMaxResends": "create_order_max_resends",
    "defaultProviderBaseUri": "default_provider_base_uri",
    "defaultWebhookUrl": "default_webhook_url",
    "defaultDashboardUrl": "default_dashboard_url",
}
