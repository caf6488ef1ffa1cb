"""The control API under /_sim/: set up sites, drive Wix's outbound calls, inject faults, inspect state."""

from __future__ import annotations

import asyncio
import copy
from typing import Any
from urllib.parse import urlencode

from fastapi import Body, FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse
from pydantic import ValidationError

from wixsim import dashboard, order_events, spi_caller, webhooks
from wixsim.checkout import Basket, CheckoutError, run_checkout
from wixsim.clock import new_id, now, rfc3339
from wixsim.control_models import (
    SETTINGS_FIELDS,
    ConfigurationPatch,
    ConfigurationSpec,
    DashboardCall,
    OrderStatusPatch,
    SettingsPatch,
    SitePatch,
    SiteSpec,
    SpiCall,
    TokenExpiry,
    WebhookCall,
)
from wixsim.entities import EntryError
from wixsim.errors import WixApiError, wix_error_handler
from wixsim.faults import FaultRule
from wixsim.newgen import ecom_checkout, ecom_control, menus_control
from wixsim.newgen.access import newgen_site
from wixsim.newgen.sites import build_site, locations_summary
from wixsim.newgen.views import menus_tree
from wixsim.orders import set_status
from wixsim.runtime import Sim
from wixsim.seed import build_content
from wixsim.state import CatalogRecord, ConfigurationRecord, OrderRecord, Site, Store


def site_view(store: Store, site: Site) -> dict[str, Any]:
    """A site with its configurations (and their catalog ids), or its business locations (new generation)."""
    if site.generation == "new":
        return {**site.public(), "locations": locations_summary(store.data.newgen[site.instance_id])}
    confs = [
        {**c.wire(), "locationId": c.location_id, "instanceId": c.instance_id}
        for c in store.configurations_of(site.instance_id)
    ]
    return {**site.public(), "configurations": confs}


def catalog_view(cat: CatalogRecord) -> dict[str, Any]:
    """Live and draft contents of a catalog."""
    return {
        "catalog": cat.wire(),
        "instanceId": cat.instance_id,
        "configurationId": cat.configuration_id,
        "live": cat.live.dump(),
        "draft": cat.draft.dump() if cat.draft is not None else None,
        "draftCreatedDate": cat.draft_created_date,
        "publishCount": cat.publish_count,
    }


def order_view(rec: OrderRecord) -> dict[str, Any]:
    """An order with its status history and the provider's answers."""
    return {
        "order": copy.deepcopy(rec.order),
        "instanceId": rec.instance_id,
        "configurationId": rec.configuration_id,
        "statusHistory": copy.deepcopy(rec.status_history),
        "posOrderId": rec.pos_order_id,
        "posLocationId": rec.pos_location_id,
        "checkout": copy.deepcopy(rec.checkout),
    }


def add_configuration(store: Store, site: Site, spec: ConfigurationSpec, index: int) -> ConfigurationRecord:
    """Create a configuration and its catalog (seeded from spec.catalog)."""
    conf_id, catalog_id = new_id(), new_id()
    location_id = spec.locationId or new_id()
    conf = ConfigurationRecord(
        id=conf_id,
        instance_id=site.instance_id,
        location_id=location_id,
        location_name=spec.name or f"Location {index + 1}",
        catalog_id=catalog_id,
        enabled=spec.enabled,
        archived=spec.archived,
        integration_settings_url=spec.integrationSettingsUrl,
    )
    try:
        content = build_content(spec.catalog, site.currency)
    except (EntryError, KeyError, TypeError, AttributeError) as err:
        raise HTTPException(400, f"invalid catalog spec: {err!r}") from err
    store.data.configurations[conf_id] = conf
    store.data.catalogs[catalog_id] = CatalogRecord(
        id=catalog_id,
        instance_id=site.instance_id,
        configuration_id=conf_id,
        location_id=location_id,
        currency=site.currency,
        live=content,
    )
    return conf


def _forget_site(store: Store, instance_id: str) -> None:
    """Remove a half-created site and whatever it got."""
    store.data.sites.pop(instance_id, None)
    store.data.newgen.pop(instance_id, None)
    for pool in (store.data.configurations, store.data.catalogs):
        for key in [k for k, v in pool.items() if v.instance_id == instance_id]:
            del pool[key]


def create_control_app(sim: Sim) -> FastAPI:
    """The /_sim control API (its own OpenAPI at /_sim/openapi.json)."""
    api = FastAPI(
        title="wixsim control API",
        version="1",
        description="Drive and inspect the Wix emulator. Not part of Wix.",
    )
    api.add_exception_handler(WixApiError, wix_error_handler)

    @api.exception_handler(ValueError)
    async def _bad_value(_request: Request, exc: ValueError) -> JSONResponse:
        return JSONResponse({"message": str(exc)}, status_code=400)

    def store() -> Store:
        return sim.store

    @api.get("/app", summary="App credentials and the public key Wix signs with")
    async def get_app() -> dict:
        app = store().data.app
        return {
            "appId": app.app_id,
            "appSecret": app.app_secret,
            "publicKeyPem": app.public_key_pem,
            "privateKeyPem": app.private_key_pem,
        }

    @api.post("/reset", summary="Forget all sites, orders, tokens, faults, log; restore start-up settings")
    async def reset() -> dict:
        # A delivery on the wire ends within the SPI timeout (httpx bounds each phase by it); the extra
        # second is for a provider that trickles its answer, which is then cut.
        bound = store().data.settings.spi_timeout_seconds + 1.0
        await asyncio.gather(sim.ecom_outbox.stop(bound), sim.menu_outbox.stop(bound), sim.order_outbox.stop(bound))
        sim.reset()
        return {}

    @api.get("/settings")
    async def get_settings() -> dict:
        settings = store().data.settings
        return {camel: getattr(settings, snake) for camel, snake in SETTINGS_FIELDS.items()}

    @api.patch("/settings", summary="Change rate limit, token lifetime, SPI timeouts, defaults")
    async def patch_settings(patch: SettingsPatch) -> dict:
        settings = store().data.settings
        for camel in patch.model_fields_set:
            setattr(settings, SETTINGS_FIELDS[camel], getattr(patch, camel))
        if "rateLimitPerMinute" in patch.model_fields_set:
            sim.limiter.reset()
        return await get_settings()

    @api.post("/sites", status_code=201, summary="Create a site (app instance) with N configurations")
    async def create_site(spec: SiteSpec) -> dict:
        s = store()
        instance_id = spec.instanceId or new_id()
        if instance_id in s.data.sites:
            raise HTTPException(409, f"site {instance_id} exists")
        site = Site(
            instance_id=instance_id,
            site_id=spec.siteId or new_id(),
            name=spec.name,
            owner_user_id=spec.ownerUserId or new_id(),
            currency=spec.currency,
            languages=spec.languages,
            locale=spec.locale,
            provider_base_uri=spec.providerBaseUri,
            webhook_url=spec.webhookUrl,
            dashboard_url=spec.dashboardUrl,
            installed_date=rfc3339(),
            generation=spec.generation,
            validations_base_uri=spec.validationsBaseUri,
        )
        if spec.generation == "new":
            return await create_newgen_site(s, site, spec)
        new_only = {"locations", "menus", "validationsBaseUri"} & spec.model_fields_set
        if new_only:
            raise HTTPException(400, f"{', '.join(sorted(new_only))}: only for generation 'new'")
        confs = spec.configurations
        # catalog=None spelled out: its default is given as Field(None, ...), which type checkers don't read as one.
        specs = [ConfigurationSpec() for _ in range(confs)] if isinstance(confs, int) else confs
        s.data.sites[instance_id] = site
        try:
            for index, conf_spec in enumerate(specs):
                add_configuration(s, site, conf_spec, index)
        except HTTPException:
            _forget_site(s, instance_id)
            raise
        view = site_view(s, site)
        if spec.sendInstallWebhook:
            view["installWebhook"] = await webhooks.send(s, site, "AppInstalled")
        return view

    async def create_newgen_site(s: Store, site: Site, spec: SiteSpec) -> dict:
        if {"configurations", "providerBaseUri"} & spec.model_fields_set:
            raise HTTPException(400, "configurations, providerBaseUri: the new generation has no POS service plugin")
        try:
            state = build_site(site.instance_id, site.name, 1 if spec.locations is None else spec.locations, spec.menus)
        except (ValueError, KeyError, TypeError, AttributeError) as err:
            raise HTTPException(400, f"invalid new-generation site spec: {err}") from err
        s.data.sites[site.instance_id] = site
        s.data.newgen[site.instance_id] = state
        view = site_view(s, site)
        if spec.sendInstallWebhook:
            view["installWebhook"] = await webhooks.send(s, site, "AppInstalled")
        return view

    @api.get("/sites")
    async def list_sites() -> dict:
        s = store()
        return {"sites": [site_view(s, site) for site in s.data.sites.values()]}

    @api.get("/sites/{instance_id}")
    async def get_site(instance_id: str) -> dict:
        s = store()
        return site_view(s, s.site(instance_id))

    @api.get("/sites/{instance_id}/menus", summary="New generation: the menu tree per business location")
    async def get_site_menus(instance_id: str) -> dict:
        return menus_tree(newgen_site(store(), instance_id))

    @api.patch("/sites/{instance_id}", summary="Change provider base URI, webhook URL, dashboard URL...")
    async def patch_site(instance_id: str, patch: SitePatch) -> dict:
        s = store()
        site = s.site(instance_id)
        names = {
            "providerBaseUri": "provider_base_uri",
            "webhookUrl": "webhook_url",
            "dashboardUrl": "dashboard_url",
            "validationsBaseUri": "validations_base_uri",
        }
        if "validationsBaseUri" in patch.model_fields_set and site.generation != "new":
            raise HTTPException(400, "validationsBaseUri belongs to new-generation sites")
        for field in patch.model_fields_set:
            setattr(site, names.get(field, field), getattr(patch, field))
        return site_view(s, site)

    @api.post("/sites/{instance_id}/configurations", status_code=201, summary="Add a configuration")
    async def add_site_configuration(instance_id: str, spec: ConfigurationSpec) -> dict:
        s = store()
        site = s.site(instance_id)
        conf = add_configuration(s, site, spec, len(s.configurations_of(instance_id)))
        return {**conf.wire(), "locationId": conf.location_id, "instanceId": conf.instance_id}

    @api.patch("/configurations/{configuration_id}")
    async def patch_configuration(configuration_id: str, patch: ConfigurationPatch) -> dict:
        s = store()
        conf = s.data.configurations.get(configuration_id)
        if conf is None:
            raise HTTPException(404, "configuration not found")
        for field in patch.model_fields_set:
            setattr(conf, "location_name" if field == "name" else field, getattr(patch, field))
        return {**conf.wire(), "locationId": conf.location_id, "instanceId": conf.instance_id}

    def catalog(catalog_id: str) -> CatalogRecord:
        cat = store().data.catalogs.get(catalog_id)
        if cat is None:
            raise HTTPException(404, "catalog not found")
        return cat

    @api.get("/catalogs/{catalog_id}", summary="Live and draft catalog contents")
    async def get_catalog(catalog_id: str) -> dict:
        return catalog_view(catalog(catalog_id))

    @api.put("/catalogs/{catalog_id}/live", summary="Replace the live catalog from a nested menus spec")
    async def put_live(catalog_id: str, spec: dict[str, Any]) -> dict:
        cat = catalog(catalog_id)
        try:
            cat.live = build_content(spec, cat.currency)
        except (EntryError, KeyError, TypeError, AttributeError) as err:
            raise HTTPException(400, f"invalid catalog spec: {err!r}") from err
        return catalog_view(cat)

    @api.post("/spi/{method}", summary="Make one signed SPI call to the provider and return its answer")
    async def spi_call(method: str, call: SpiCall) -> dict:
        s = store()
        site = s.site(call.instanceId)
        name = spi_caller.method_name(method)
        request = call.request
        if request is None:
            request = {}
            if name != "list-account-ids":
                request = {"accountId": call.accountId, "configurationId": call.configurationId}
        meta = spi_caller.metadata(site, request_id=call.requestId, identity=call.identity)
        for key, value in (call.metadata or {}).items():
            if value is None:
                meta.pop(key, None)
            else:
                meta[key] = value
        settings = s.data.settings
        return await spi_caller.call(
            s.data.app,
            site,
            name,
            request,
            default_base=settings.default_provider_base_uri,
            timeout=call.timeoutSeconds or settings.spi_timeout_seconds,
            base_uri=call.providerBaseUri,
            style=call.style,
            variant=call.variant,
            meta=meta,
            content_type=call.contentType,
        )

    @api.post("/checkout", summary="Customer checkout (legacy: Validate/Create Order SPI; new: eCom order)")
    async def checkout(body: dict[str, Any] = Body(...)) -> dict:
        # The site's generation picks the basket model: Basket (legacy) or NewGenCheckout (new).
        site = store().data.sites.get(str(body.get("instanceId")))
        new = site is not None and site.generation == "new"
        try:
            if new:
                return await ecom_checkout.run_checkout(sim, ecom_checkout.NewGenCheckout.model_validate(body))
            return await run_checkout(store(), Basket.model_validate(body))
        except ValidationError as err:
            raise RequestValidationError(err.errors()) from err
        except CheckoutError as err:
            raise HTTPException(400, str(err)) from err

    @api.post("/webhooks", summary="Send a signed AppInstalled/AppRemoved webhook")
    async def send_webhook(call: WebhookCall) -> dict:
        s = store()
        site = s.site(call.instanceId)
        return await webhooks.send(
            s, site, call.eventType, url=call.url, variant=call.variant, data=call.data, apply=call.apply
        )

    @api.post("/dashboard-url", summary="Mint a dashboard iframe URL with a signed instance")
    async def dashboard_url(call: DashboardCall) -> dict:
        s = store()
        site = s.site(call.instanceId)
        base = call.url or site.dashboard_url or s.data.settings.default_dashboard_url
        return dashboard.dashboard_url(s.data.app, site, base, call.variant, call.ageSeconds)

    @api.get("/dashboard/{instance_id}", summary="Wix's dashboard page embedding the provider's page (iframe)")
    async def dashboard_page(
        instance_id: str, configurationId: str | None = None, variant: str = "valid"
    ) -> HTMLResponse:
        s = store()
        site = s.site(instance_id)
        base = site.dashboard_url or s.data.settings.default_dashboard_url
        if variant not in dashboard.VARIANTS:
            raise HTTPException(400, f"unknown variant {variant!r}; one of {', '.join(dashboard.VARIANTS)}")
        url = dashboard.dashboard_url(s.data.app, site, base, variant)["url"]
        if configurationId:
            url += "&" + urlencode({"configurationId": configurationId})
        return HTMLResponse(dashboard.dashboard_page(site, url))

    @api.post("/faults", status_code=201, summary="Inject a fault on a Wix endpoint")
    async def add_fault(rule: FaultRule) -> dict:
        if rule.endpoint != "*" and rule.endpoint not in sim.endpoints:
            raise HTTPException(400, f"unknown endpoint {rule.endpoint!r}; one of {sorted(sim.endpoints)}")
        return sim.faults.add(rule).model_dump()

    @api.get("/faults")
    async def list_faults() -> dict:
        return {"faults": [r.model_dump() for r in sim.faults.rules]}

    @api.delete("/faults")
    async def clear_faults() -> dict:
        sim.faults.clear()
        return {}

    @api.get("/orders", summary="Orders that reached Wix, with status history")
    async def list_orders(instanceId: str | None = None) -> dict:
        recs = [r for r in store().data.orders.values() if instanceId in (None, r.instance_id)]
        return {"orders": [order_view(r) for r in recs] + ecom_control.ecom_orders_of(sim, instanceId)}

    @api.get("/orders/{order_id}")
    async def get_order(order_id: str) -> dict:
        rec = store().data.orders.get(order_id)
        if rec is None:
            ecom = store().data.ecom_orders.get(order_id)
            if ecom is None:
                raise HTTPException(404, "order not found")
            return ecom_control.ecom_order_view(ecom)
        return order_view(rec)

    @api.post(
        "/orders/{order_id}/status",
        summary="Wix-side status change (no transition rules), as the site owner; raises its order webhook",
    )
    async def set_order_status(order_id: str, patch: OrderStatusPatch) -> dict:
        rec = store().data.orders.get(order_id)
        if rec is None:
            raise HTTPException(404, "order not found")
        set_status(rec, patch.status, "wix", patch.message)
        if patch.emit:
            order_events.emit_status(sim, rec, spi_caller.owner_identity(store().site(rec.instance_id)))
        return order_view(rec)

    @api.get("/order-events", summary="Orders v3 webhooks sent (oldest first), with delivery results")
    async def order_event_log(instanceId: str | None = None, eventType: str | None = None) -> dict:
        return {"events": copy.deepcopy(sim.order_outbox.query(instanceId, eventType))}

    @api.post("/order-events/drain", summary="Wait until every queued Orders v3 webhook was delivered or failed")
    async def drain_order_events() -> dict:
        finished = await sim.order_outbox.drain()
        return {"finished": finished, "events": copy.deepcopy(sim.order_outbox.query())}

    @api.post("/order-events/{seq}/redeliver", summary="Send a logged Orders v3 webhook again (Wix's retries)")
    async def redeliver_order_event(seq: int) -> dict:
        entry = next((e for e in sim.order_outbox.log if e["seq"] == seq), None)
        if entry is None:
            raise HTTPException(404, "event not found")
        again = sim.order_outbox.enqueue(sim.store, entry["instanceId"], entry["eventType"], entry["payload"])
        await sim.order_outbox.drain()
        return copy.deepcopy(again)

    ecom_control.register(api, sim)
    menus_control.register(api, sim)

    @api.get("/requests", summary="Calls that reached the Wix APIs, with counts per endpoint")
    async def requests(endpoint: str | None = None, instanceId: str | None = None) -> dict:
        return sim.log.query(endpoint, instanceId)

    @api.delete("/requests")
    async def clear_requests() -> dict:
        sim.log.clear()
        return {}

    @api.post("/tokens/expire", summary="Expire issued access tokens now")
    async def expire_tokens(body: TokenExpiry) -> dict:
        expired = 0
        for rec in store().data.tokens.values():
            if body.instanceId in (None, rec.instance_id):
                rec.exp = int(now()) - 1
                expired += 1
        return {"expired": expired}

    return api
