"""The six SPI methods: each parses its request, calls one service function and builds the response.

Handlers are synchronous (the database layer is); the router runs them in the threadpool.
Validate/Create Order parse Wix's order (`order_wire.WixOrder`) into the domain's
`orders.model.Order` here, at the edge: the services never see a wire model.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError

from posbridge.orders.model import Order
from posbridge.services import configurations, ordering, syncing
from posbridge.services.order_checks import OrderPolicy
from posbridge.spi.context import SpiCall
from posbridge.spi.order_wire import WixOrder
from posbridge.spi.wire import (
    CreateOrderRequest,
    CreateOrderResponse,
    GetCatalogSyncStatusRequest,
    GetCatalogSyncStatusResponse,
    GetConfigurationStatusRequest,
    GetConfigurationStatusResponse,
    ListAccountIdsRequest,
    ListAccountIdsResponse,
    SyncCatalogRequest,
    SyncCatalogResponse,
    SyncFailed,
    SyncInProgress,
    SyncSynced,
    ValidateOrderRequest,
    ValidateOrderResponse,
    WireModel,
    invalid_argument,
)
from posbridge.store.statuses import SyncStatus

# Validate Order's answer when every check passes (wix-pos-spi.md §3, a project decision).
POS_ORDER_STATUS_VALID = "VALID"


def list_account_ids(call: SpiCall, request: ListAccountIdsRequest) -> ListAccountIdsResponse:
    """List Account IDs: the instance's connected accounts."""
    return ListAccountIdsResponse(account_ids=configurations.list_account_ids(call.db, call.instance_id))


def get_configuration_status(call: SpiCall, request: GetConfigurationStatusRequest) -> GetConfigurationStatusResponse:
    """Get Configuration Status."""
    readiness = configurations.configuration_status(
        call.db, call.instance_id, request.account_id, request.configuration_id
    )
    return GetConfigurationStatusResponse(status=readiness.status)  # type: ignore[arg-type]


def sync_catalog(call: SpiCall, request: SyncCatalogRequest) -> SyncCatalogResponse:
    """Sync Catalog: record (or join) the PENDING sync and wake the queue."""
    syncing.request_sync(
        call.db,
        call.instance_id,
        request.account_id,
        request.configuration_id,
        trigger="WIX",
        notify=call.jobs.enqueue_sync if call.jobs is not None else None,
    )
    return SyncCatalogResponse()


def get_catalog_sync_status(call: SpiCall, request: GetCatalogSyncStatusRequest) -> GetCatalogSyncStatusResponse:
    """Get Catalog Sync Status."""
    state = syncing.catalog_sync_status(call.db, call.instance_id, request.account_id, request.configuration_id)
    return catalog_sync_response(state)


def catalog_sync_response(state: syncing.CatalogSyncStatus) -> GetCatalogSyncStatusResponse:
    """Render a sync state with its `statusMode` member flat on the response."""
    if state.status == SyncStatus.IN_PROGRESS:
        return GetCatalogSyncStatusResponse(
            status="IN_PROGRESS", in_progress=SyncInProgress(elapsed_seconds=state.elapsed_seconds or 0)
        )
    if state.status == SyncStatus.SYNCED and state.last_sync_date is not None:
        return GetCatalogSyncStatusResponse(
            status="SYNCED", synced=SyncSynced(last_sync_date=rfc3339(state.last_sync_date))
        )
    if state.status == SyncStatus.FAILED and state.last_sync_date is not None:
        failed = SyncFailed(
            last_sync_date=rfc3339(state.last_sync_date),
            last_successfully_sync_date=rfc3339(state.last_success_date) if state.last_success_date else None,
            reason=state.reason or "",
            code=state.code or "OTHER",
            params=state.params,
        )
        return GetCatalogSyncStatusResponse(status="FAILED", failed=failed)
    return GetCatalogSyncStatusResponse(status="PENDING")


def validate_order(call: SpiCall, request: ValidateOrderRequest) -> ValidateOrderResponse:
    """Validate Order: every check passes, or one error lists all failures."""
    ordering.validate_order(
        call.db,
        instance_id=call.instance_id,
        account_id=request.account_id,
        configuration_id=request.configuration_id,
        order=_wix_order(request.order),
        request_id=call.request_id,
        policy=_policy(call),
    )
    return ValidateOrderResponse(pos_order_status=POS_ORDER_STATUS_VALID)


def create_order(call: SpiCall, request: CreateOrderRequest) -> CreateOrderResponse:
    """Create Order (idempotent on the Wix order id)."""
    created = ordering.create_order(
        call.db,
        instance_id=call.instance_id,
        account_id=request.account_id,
        configuration_id=request.configuration_id,
        order=_wix_order(request.order),
        paid_by_pos_gateway=request.paid_by_pos_gateway,
        request_id=call.request_id,
        policy=_policy(call),
    )
    if call.jobs is not None:
        for job in created.jobs:
            call.jobs.enqueue_outbound(job)
    if created.created and not created.confirmed and call.jobs is not None:
        call.jobs.enqueue_pos_delivery(created.pos_order_id)  # the merchant's own POS takes it asynchronously
    return CreateOrderResponse(pos_order_id=created.pos_order_id, pos_location_id=created.pos_location_id)


def _policy(call: SpiCall) -> OrderPolicy:
    """How strictly orders are judged, from the settings."""
    return OrderPolicy.from_settings(call.settings)


def _wix_order(order: dict[str, Any]) -> Order:
    """Parse the raw `order` (a malformed one is a 400 naming the fields) into the domain's order."""
    try:
        return WixOrder.model_validate(order).to_order()
    except ValidationError as exc:
        raise invalid_argument(exc, prefix="order") from None


def rfc3339(moment: datetime) -> str:
    """UTC RFC 3339 with milliseconds and a `Z`, as Wix writes timestamps."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass(frozen=True)
class Method:
    """One SPI method: its path suffix, request model and handler."""

    name: str
    suffix: str
    request_model: type[WireModel]
    handler: Callable[[SpiCall, Any], WireModel]


METHODS: dict[str, Method] = {
    m.suffix: m
    for m in (
        Method("List Account IDs", "account-ids", ListAccountIdsRequest, list_account_ids),
        Method(
            "Get Configuration Status",
            "get-configuration-status",
            GetConfigurationStatusRequest,
            get_configuration_status,
        ),
        Method("Sync Catalog", "sync-catalog", SyncCatalogRequest, sync_catalog),
        Method(
            "Get Catalog Sync Status", "get-catalog-sync-status", GetCatalogSyncStatusRequest, get_catalog_sync_status
        ),
        Method("Validate Order", "validate-order", ValidateOrderRequest, validate_order),
        Method("Create Order", "create-order", CreateOrderRequest, create_order),
    )
}


def method_for(path: str) -> Method | None:
    """The method whose suffix ends `path` (any prefix: `/v1/account-ids` is List Account IDs)."""
    last = path.rstrip("/").rsplit("/", 1)[-1]
    return METHODS.get(last)
