"""Assemble the emulator: Wix APIs (both path forms), the gate middleware and the /_sim control API."""

from __future__ import annotations

import secrets
from pathlib import Path

from fastapi import APIRouter, FastAPI
from fastapi.exceptions import RequestValidationError

from wixsim import catalogs, connectivity, control, drafts, oauth, orders
from wixsim.clock import new_id
from wixsim.errors import WixApiError, request_validation_handler, wix_error_handler
from wixsim.gate import WixGate
from wixsim.newgen import business_api, ecom_api, menus_api
from wixsim.runtime import Sim
from wixsim.signer import generate_key_pair, public_key_of
from wixsim.state import AppCredentials, Settings, StateData, Store, load_state

WIX_ROUTERS = (connectivity.router, catalogs.router, drafts.router, orders.router)
ECOM_ROUTERS = (
    (ecom_api.orders_router, ecom_api.PATH_PREFIXES["orders"]),
    (ecom_api.fulfillments_router, ecom_api.PATH_PREFIXES["fulfillments"]),
)
# New generation: each router at its proto paths (/v1/...) under every prefix Wix's SDK maps them to
# (the first one is the one shown in the OpenAPI), and bare, as the SDK requests them from other hosts.
NEWGEN_ROUTERS: tuple[tuple[APIRouter, tuple[str, ...]], ...] = (
    *((router, (*svc.prefixes, "")) for svc, router in menus_api.ROUTERS),
    *business_api.ROUTERS,
)


def new_app_credentials(
    app_id: str | None = None, app_secret: str | None = None, private_key_pem: str | None = None
) -> AppCredentials:
    """App credentials, generating whatever is not given (RSA 2048 key pair, GUID app id, secret)."""
    if private_key_pem:
        public_pem = public_key_of(private_key_pem)
    else:
        private_key_pem, public_pem = generate_key_pair()
    return AppCredentials(
        app_id=app_id or new_id(),
        app_secret=app_secret or secrets.token_hex(16),
        private_key_pem=private_key_pem,
        public_key_pem=public_pem,
    )


def build_store(
    credentials: AppCredentials | None = None,
    settings: Settings | None = None,
    state_file: Path | None = None,
) -> Store:
    """A store from --state when it exists (its keys kept unless new ones are given), else a fresh one."""
    data = load_state(state_file) if state_file else None
    if data is None:
        data = StateData(app=credentials or new_app_credentials())
    elif credentials is not None:
        data.app = credentials
    if settings is not None:
        data.settings = settings
    store = Store(data, state_file)
    store.save()
    return store


def create_app(store: Store) -> FastAPI:
    """The ASGI app serving the Wix APIs and /_sim."""
    all_routers = (
        oauth.router,
        *WIX_ROUTERS,
        *(router for router, _ in ECOM_ROUTERS),
        *(router for router, _ in NEWGEN_ROUTERS),
    )
    routes = [route for router in all_routers for route in router.routes]
    sim = Sim(store, frozenset(getattr(route, "name", "") for route in routes))
    app = FastAPI(title="wixsim: Wix APIs", version="1", description="Emulated Wix APIs for posbridge tests.")
    app.state.store = store
    app.state.sim = sim
    app.add_exception_handler(WixApiError, wix_error_handler)
    app.add_exception_handler(RequestValidationError, request_validation_handler)
    app.include_router(oauth.router)
    for router in WIX_ROUTERS:
        app.include_router(router, prefix="/restaurants")
    for router in WIX_ROUTERS:
        app.include_router(router, include_in_schema=False)
    for router, prefixes in ECOM_ROUTERS:
        for prefix in prefixes:
            app.include_router(router, prefix=prefix, include_in_schema=prefix == "/ecom")
    for router, mapped in NEWGEN_ROUTERS:
        for index, prefix in enumerate(mapped):
            app.include_router(router, prefix=prefix, include_in_schema=index == 0)
    app.mount("/_sim", control.create_control_app(sim))
    mounted = [
        *(("", route) for route in oauth.router.routes),
        *((prefix, route) for router in WIX_ROUTERS for prefix in ("/restaurants", "") for route in router.routes),
        *((prefix, route) for router, prefixes in ECOM_ROUTERS for prefix in prefixes for route in router.routes),
        *((prefix, route) for router, prefixes in NEWGEN_ROUTERS for prefix in prefixes for route in router.routes),
    ]
    app.add_middleware(WixGate, sim=sim, routes=mounted)
    return app
