"""POS connectivity: the site's location configurations and the two disconnects."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request

from wixsim.errors import WixApiError, json_body
from wixsim.oauth import Caller, caller, store_of

router = APIRouter(prefix="/v1/pos-integration")


@router.get("/configurations", name="listConfigurations")
async def list_configurations(request: Request, who: Caller = Depends(caller)) -> dict:
    """All configurations of the token's site."""
    confs = store_of(request).configurations_of(who.instance_id)
    return {"configurations": [c.wire() for c in confs]}


@router.get("/configurations/{configuration_id}", name="getConfiguration")
async def get_configuration(configuration_id: str, request: Request, who: Caller = Depends(caller)) -> dict:
    """One configuration of the token's site."""
    conf = store_of(request).configuration(who.instance_id, configuration_id)
    return {"configuration": conf.wire()}


@router.post("/accounts/{account_id}/disconnect", name="disconnectAccount")
async def disconnect_account(account_id: str, request: Request, who: Caller = Depends(caller)) -> dict:
    """Disconnect the POS account: every configuration of the site is disabled."""
    store = store_of(request)
    body = await json_body(request)
    app_def_id = body.get("appDefId")
    if app_def_id and app_def_id != store.data.app.app_id:
        raise WixApiError(403, "PERMISSION_DENIED", "appDefId does not match the calling app")
    site = store.site(who.instance_id)
    if account_id not in site.disconnected_accounts:
        site.disconnected_accounts.append(account_id)
    for conf in store.configurations_of(who.instance_id):
        conf.enabled = False
    return {}


@router.post("/configurations/{configuration_id}/disconnect", name="disconnectConfiguration")
async def disconnect_configuration(configuration_id: str, request: Request, who: Caller = Depends(caller)) -> dict:
    """Disconnect one configuration (it becomes disabled)."""
    conf = store_of(request).configuration(who.instance_id, configuration_id)
    conf.enabled = False
    return {}
