"""Link, list and disconnect an instance's POS accounts."""

from __future__ import annotations

from fastapi import Depends, Path, Query, Request
from pydantic import Field

from posbridge.api.common import admin_router, database, errors, wix_client
from posbridge.services import queries
from posbridge.services.accounts import issue_api_key, link_account
from posbridge.services.disconnection import Disconnection, disconnect
from posbridge.services.queries import AccountView, ApiModel
from posbridge.store.db import Database
from posbridge.wix.client import WixClient

router = admin_router(tags=["accounts"])
InstancePath = Path(alias="instanceId", description="The Wix instance id.")
Offline = Query(
    False,
    description="Take the instance on trust instead of asking Wix that the app is installed there "
    "(setups without Wix only: a mistyped id then becomes a phantom instance).",
)


class ContactIn(ApiModel):
    """The business information an account needs to be ready: a contact for order problems."""

    name: str = Field(min_length=1, max_length=255)
    email: str = Field(min_length=3, max_length=320)
    phone: str = Field(min_length=6, max_length=64)


class LinkAccountRequest(ApiModel):
    """Which POS account to connect, and optionally its credentials (stored encrypted, never shown)."""

    account_id: str = Field(min_length=1, max_length=128, description="Built-in POS: the merchant id.")
    credentials: str | None = Field(default=None, repr=False, description="e.g. the POS API key")
    contact: ContactIn | None = Field(
        default=None,
        description="Who is contacted about order problems; the account is not ready (Wix may not send orders) "
        "until it has one",
    )


class ApiKeyOut(ApiModel):
    """A merchant's new POS API key, shown this once."""

    merchant_id: str
    api_key: str


@router.post("/merchants/{merchantId}/api-key", response_model=ApiKeyOut, responses=errors(404))
def post_api_key(merchant_id: str = Path(alias="merchantId"), db: Database = Depends(database)) -> ApiKeyOut:
    """Issue a new API key for a POS merchant (the old one stops working); only its hash is stored."""
    return ApiKeyOut(merchant_id=merchant_id, api_key=issue_api_key(db, merchant_id=merchant_id))


@router.get("/instances/{instanceId}/accounts", response_model=list[AccountView], responses=errors())
def get_accounts(instance_id: str = InstancePath, db: Database = Depends(database)) -> list[AccountView]:
    """The instance's POS accounts, connected or not."""
    return queries.list_accounts(db, instance_id=instance_id)


@router.post("/instances/{instanceId}/accounts", response_model=AccountView, responses=errors(400, 403, 404, 409, 502))
def post_account(
    body: LinkAccountRequest,
    request: Request,
    instance_id: str = InstancePath,
    offline: bool = Offline,
    db: Database = Depends(database),
    client: WixClient = Depends(wix_client),
) -> AccountView:
    """Connect a POS account (records the instance if new); linking the connected account again is a no-op.

    Wix must confirm the app is installed on the instance first (404 when not, 502 when Wix cannot
    be asked), unless `offline`; nothing is written when it does not.
    """
    link_account(
        db,
        instance_id=instance_id,
        account_id=body.account_id,
        credentials=body.credentials,
        secret_key=request.app.state.settings.secret_key,
        wix=None if offline else client,
        contact=(body.contact.name, body.contact.email, body.contact.phone) if body.contact else None,
    )
    return queries.get_account(db, instance_id=instance_id, account_id=body.account_id)


@router.delete("/instances/{instanceId}/accounts/{accountId}", response_model=Disconnection, responses=errors(404))
def delete_account(
    instance_id: str = InstancePath,
    account_id: str = Path(alias="accountId"),
    db: Database = Depends(database),
    client: WixClient = Depends(wix_client),
) -> Disconnection:
    """Disconnect the account (credentials wiped, configurations unpaired), then tell Wix.

    `wixNotified` false with `wixError` says Wix could not be told; deleting again retries that part.
    """
    return disconnect(db, client, instance_id=instance_id, account_id=account_id)
