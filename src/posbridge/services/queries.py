"""Read-only listings for operators (CLI, admin API, dashboard): instances, accounts, configurations, orders.

Views are Pydantic models with camelCase aliases, so every adapter renders the same JSON
(`view.model_dump(mode="json", by_alias=True)`) and the admin API documents them in OpenAPI.
Every listing can be narrowed to one instance; a row of another instance is never returned.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from posbridge.errors import WixError
from posbridge.orders.model import OrderStatus
from posbridge.services import attention
from posbridge.services.pairing import find_configuration
from posbridge.services.status import missing_business_info, readiness
from posbridge.services.tenancy import active_accounts
from posbridge.store.db import Database
from posbridge.store.models import (
    Account,
    Configuration,
    ConfigurationMenu,
    Instance,
    Location,
    Menu,
    Merchant,
    OrderRow,
    Sync,
    SyncLog,
)
from posbridge.store.statuses import AccountStatus, InstanceStatus
from posbridge.store.types import money_normal, money_text

MAX_PAGE = 500
# Offsets are bound to what every backend's LIMIT/OFFSET takes (SQLite and PostgreSQL: a signed 64-bit integer).
MAX_BIGINT = 2**63 - 1
MAX_OFFSET = MAX_BIGINT
# The statuses listings filter on: an unknown one is refused naming these, never an empty page.
ORDER_STATUSES: tuple[str, ...] = tuple(OrderStatus)
INSTANCE_STATUSES: tuple[str, ...] = tuple(InstanceStatus)
ACCOUNT_STATUSES: tuple[str, ...] = tuple(AccountStatus)
T = TypeVar("T", bound=BaseModel)


class ApiModel(BaseModel):
    """Base of the views and the admin API's bodies: camelCase JSON (Wix's wire is `spi.wire.WireModel`)."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True)


class InstanceView(ApiModel):
    """A Wix site install and how far it is set up."""

    id: str
    status: str
    installed_at: datetime
    removed_at: datetime | None = None
    connected_accounts: int = 0
    configurations: int = 0


class AccountView(ApiModel):
    """A POS account linked to an instance (credentials never shown, only whether some are stored)."""

    instance_id: str
    account_id: str
    merchant_name: str
    status: str
    authorized: bool
    has_credentials: bool
    linked_at: datetime
    disconnected_at: datetime | None = None
    missing_information: list[str] = Field(
        default=[], description="Business information still needed before the account is ready (contact for orders)"
    )
    wix_disconnect_pending: bool = Field(
        default=False, description="Disconnected here but Wix has not taken the disconnect yet (retried)"
    )


class ConfigurationView(ApiModel):
    """A Wix configuration, its pairing and its status by the readiness rules."""

    instance_id: str
    configuration_id: str
    account_id: str | None = None
    location_id: str | None = None
    location_name: str | None = None
    menu_ids: list[str] = []
    catalog_id: str | None = None
    enabled: bool
    paired_at: datetime | None = None
    status: str
    reason: str | None = None


class RefundView(ApiModel):
    """The refund an operator is asked to make in Wix's dashboard (posbridge cannot refund)."""

    amount: str
    currency: str
    wix_order_id: str
    order_number: str | None = None  # eCommerce's order number, as the merchant sees it in Wix


class AttentionView(ApiModel):
    """Why an order needs attention, in words, and what can be done about it."""

    kind: str
    reason: str
    actions: list[str]
    since: datetime | None = None
    refund: RefundView | None = None  # a new-generation order's refund to make, when one is asked for


def attention_view(order: OrderRow) -> AttentionView | None:
    """The order's needs-attention flag, or None."""
    if order.needs_attention is None:
        return None
    actions = list(order.attention_actions or [])
    owed = attention.ecom_owed(order.wix_order) if attention.REFUND in actions else None
    refund = None
    if owed is not None and owed > 0:
        number = (order.wix_order or {}).get("number")
        refund = RefundView(
            amount=money_text(owed),
            currency=order.currency,
            wix_order_id=order.wix_order_id,
            order_number=str(number) if number is not None else None,
        )
    return AttentionView(
        kind=order.attention_kind or "OTHER",
        reason=order.needs_attention,
        actions=actions,
        since=order.attention_since,
        refund=refund,
    )


class OrderView(ApiModel):
    """An order's summary line."""

    pos_order_id: str
    instance_id: str
    configuration_id: str
    wix_order_id: str
    location_id: str
    status: str
    currency: str
    total: Decimal
    fulfillment_type: str
    wix_push_status: str
    needs_attention: str | None = None
    attention: AttentionView | None = None
    promised_time: datetime | None = None
    created_at: datetime


class Page(BaseModel, Generic[T]):
    """One page of a listing and the total number of rows it was cut from."""

    items: list[T]
    total: int
    limit: int
    offset: int


def list_instances(db: Database, *, status: str | None = None, limit: int = 100, offset: int = 0) -> Page[InstanceView]:
    """Instances, newest first, with how many accounts are connected and configurations are known."""
    accounts = (
        select(func.count(Account.id))
        .where(Account.instance_id == Instance.id, Account.status == AccountStatus.ACTIVE)
        .scalar_subquery()
    )
    configurations = select(func.count(Configuration.id)).where(Configuration.instance_id == Instance.id)
    query = select(Instance, accounts, configurations.scalar_subquery())
    if status is not None:
        query = query.where(Instance.status == status)
    limit, offset = _page_bounds(limit, offset)
    with db.transaction(write=False) as session:
        total = count_rows(session, query)
        rows = session.execute(query.order_by(Instance.installed_at.desc(), Instance.id).limit(limit).offset(offset))
        items = [
            InstanceView(
                id=inst.id,
                status=inst.status,
                installed_at=inst.installed_at,
                removed_at=inst.removed_at,
                connected_accounts=n_accounts,
                configurations=n_configurations,
            )
            for inst, n_accounts, n_configurations in rows
        ]
    return Page[InstanceView](items=items, total=total, limit=limit, offset=offset)


def list_accounts(db: Database, *, instance_id: str | None = None, status: str | None = None) -> list[AccountView]:
    """POS accounts linked to instances (or to one instance), oldest link first."""
    query = select(Account, Merchant.name).join(Merchant, Merchant.id == Account.merchant_id)
    if instance_id is not None:
        query = query.where(Account.instance_id == instance_id)
    if status is not None:
        query = query.where(Account.status == status)
    with db.transaction(write=False) as session:
        rows = session.execute(query.order_by(Account.linked_at, Account.id))
        return [_account_view(account, name) for account, name in rows]


def get_account(db: Database, *, instance_id: str, account_id: str) -> AccountView:
    """One instance's account; another instance's is 'not found'."""
    for view in list_accounts(db, instance_id=instance_id):
        if view.account_id == account_id:
            return view
    raise WixError.of("ACCOUNT_NOT_FOUND", f"Account '{account_id}' not found", accountId=account_id)


def list_configurations(db: Database, *, instance_id: str | None = None) -> list[ConfigurationView]:
    """Configurations (of one instance, or all) with their pairing and status."""
    query = select(Configuration)
    if instance_id is not None:
        query = query.where(Configuration.instance_id == instance_id)
    with db.transaction(write=False) as session:
        configurations = list(session.scalars(query.order_by(Configuration.instance_id, Configuration.id)))
        return [_configuration_view(session, configuration) for configuration in configurations]


def get_configuration(db: Database, *, instance_id: str, configuration_id: str) -> ConfigurationView:
    """One instance's configuration; another instance's is 'not found'."""
    with db.transaction(write=False) as session:
        return _configuration_view(session, find_configuration(session, instance_id, configuration_id))


def list_orders(
    db: Database,
    *,
    instance_id: str | None = None,
    status: str | None = None,
    attention: bool | None = None,
    location_id: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> Page[OrderView]:
    """Orders, newest first, optionally of one instance, in one status, needing attention (or not), at one location."""
    query = select(OrderRow, Location.pos_id).join(Location, Location.id == OrderRow.location_id)
    if instance_id is not None:
        query = query.where(OrderRow.instance_id == instance_id)
    if status is not None:
        query = query.where(OrderRow.status == status)
    if attention is not None:
        query = query.where(OrderRow.needs_attention.is_not(None) if attention else OrderRow.needs_attention.is_(None))
    if location_id is not None:
        query = query.where(Location.pos_id == location_id)
    limit, offset = _page_bounds(limit, offset)
    with db.transaction(write=False) as session:
        total = count_rows(session, query)
        rows = session.execute(
            query.order_by(OrderRow.created_at.desc(), OrderRow.id.desc()).limit(limit).offset(offset)
        )
        items = [
            OrderView(
                pos_order_id=order.pos_order_id,
                instance_id=order.instance_id,
                configuration_id=order.configuration_wix_id,
                wix_order_id=order.wix_order_id,
                location_id=location_id,
                status=order.status,
                currency=order.currency,
                total=money_normal(order.total),
                fulfillment_type=order.fulfillment_type,
                wix_push_status=order.wix_push_status,
                needs_attention=order.needs_attention,
                attention=attention_view(order),
                promised_time=None if order.asap else order.promised_time,
                created_at=order.created_at,
            )
            for order, location_id in rows
        ]
    return Page[OrderView](items=items, total=total, limit=limit, offset=offset)


def _page_bounds(limit: int, offset: int) -> tuple[int, int]:
    return max(1, min(limit, MAX_PAGE)), max(0, min(offset, MAX_OFFSET))


def count_rows(session: Session, query: Select[*tuple[Any, ...]]) -> int:
    """How many rows the query selects (its ordering dropped)."""
    return int(session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0)


def _account_view(account: Account, merchant_name: str) -> AccountView:
    return AccountView(
        instance_id=account.instance_id,
        account_id=account.account_id,
        merchant_name=merchant_name,
        status=account.status,
        authorized=account.authorized,
        has_credentials=account.credentials_encrypted is not None,
        linked_at=account.linked_at,
        disconnected_at=account.disconnected_at,
        missing_information=missing_business_info(account),
        wix_disconnect_pending=account.wix_disconnect_pending,
    )


def _configuration_view(session: Session, configuration: Configuration) -> ConfigurationView:
    account = session.get(Account, configuration.account_pk) if configuration.account_pk is not None else None
    if account is None:
        connected = active_accounts(session, configuration.instance_id)
        account = connected[0] if connected else None
    location = session.get(Location, configuration.location_id) if configuration.location_id is not None else None
    menu_ids = list(
        session.scalars(
            select(Menu.pos_id)
            .join(ConfigurationMenu, ConfigurationMenu.menu_id == Menu.id)
            .where(ConfigurationMenu.configuration_id == configuration.id)
            .order_by(ConfigurationMenu.position)
        )
    )
    state = readiness(session, account, configuration)
    return ConfigurationView(
        instance_id=configuration.instance_id,
        configuration_id=configuration.wix_id,
        account_id=account.account_id if account is not None and configuration.account_pk is not None else None,
        location_id=location.pos_id if location is not None else None,
        location_name=location.name if location is not None else None,
        menu_ids=menu_ids,
        catalog_id=configuration.catalog_id,
        enabled=configuration.enabled,
        paired_at=configuration.paired_at,
        status=state.status,
        reason=state.reason,
    )


class SyncView(ApiModel):
    """One catalog sync of a configuration: why it ran, how it ended, what it changed."""

    id: int
    status: str
    trigger: str
    requested_at: datetime
    not_before: datetime | None
    started_at: datetime | None
    ended_at: datetime | None
    attempts: int
    failure_code: str | None
    failure_reason: str | None
    failure_params: dict[str, str] | None
    summary: dict[str, Any] | None


class SyncLogLine(ApiModel):
    """One line of a sync's per-attempt log."""

    attempt: int
    at: datetime
    level: str
    event: str
    data: dict[str, Any] | None


class SyncDetail(SyncView):
    """A sync with its log."""

    log: list[SyncLogLine]


def list_syncs(db: Database, *, instance_id: str, configuration_id: str, limit: int = 20) -> list[SyncView]:
    """A configuration's most recent syncs, newest first; another instance's configuration is 'not found'."""
    with db.transaction(write=False) as session:
        configuration = find_configuration(session, instance_id, configuration_id)
        rows = session.scalars(
            select(Sync).where(Sync.configuration_id == configuration.id).order_by(Sync.id.desc()).limit(limit)
        )
        return [SyncView.model_validate(row, from_attributes=True) for row in rows]


def get_sync(db: Database, *, instance_id: str, configuration_id: str, sync_id: int) -> SyncDetail:
    """One sync of the configuration with its log lines; any other sync id is 'not found'."""
    with db.transaction(write=False) as session:
        configuration = find_configuration(session, instance_id, configuration_id)
        sync = session.get(Sync, sync_id)
        if sync is None or sync.configuration_id != configuration.id:
            raise WixError.of("OTHER", f"Sync {sync_id} not found", http_status=404, syncId=sync_id)
        lines = session.scalars(select(SyncLog).where(SyncLog.sync_id == sync.id).order_by(SyncLog.id))
        view = SyncView.model_validate(sync, from_attributes=True)
        return SyncDetail(
            **view.model_dump(), log=[SyncLogLine.model_validate(line, from_attributes=True) for line in lines]
        )
