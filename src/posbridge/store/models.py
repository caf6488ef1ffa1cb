"""The whole data model (product.md §2) as SQLAlchemy 2 declarative models.

Three groups: the Wix side (instances, accounts, configurations), the built-in POS domain
(merchants, locations, menus, sections, items, option groups, variations, prices, stock), and
the integration state (sync id map, syncs and their log, orders, outbound jobs).
POS entities carry the POS's own id (`pos_id`, unique per kind within a merchant) beside a
surrogate integer key used for foreign keys.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from posbridge.store.statuses import (
    AccountStatus,
    InstanceStatus,
    OutboundJobStatus,
    PosDeliveryStatus,
    SyncStatus,
    WixPushStatus,
)
from posbridge.store.types import Money, UTCDateTime, utcnow

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base with stable constraint names (Alembic needs them)."""

    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {datetime: UTCDateTime(), Decimal: Money(), dict[str, Any]: JSON, list[Any]: JSON}


def _id() -> Mapped[int]:
    return mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True)


# --- Wix side -------------------------------------------------------------------------------


class Instance(Base):
    """A Wix site's installation of the provider's app: the tenant."""

    __tablename__ = "instances"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # Wix instanceId
    status: Mapped[str] = mapped_column(String(16), default=InstanceStatus.ACTIVE)
    installed_at: Mapped[datetime] = mapped_column(default=utcnow)
    removed_at: Mapped[datetime | None]
    origin_instance_id: Mapped[str | None] = mapped_column(String(64))
    # "enforce" | "observe": this site's order checks; NULL follows POSBRIDGE_ORDER_CHECKS.
    order_checks: Mapped[str | None] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Merchant(Base):
    """A merchant of the built-in POS: owner of locations, menus and items; one POS account."""

    __tablename__ = "pos_merchants"
    id: Mapped[int] = _id()
    pos_id: Mapped[str] = mapped_column(String(128), unique=True)
    name: Mapped[str] = mapped_column(String(255))
    currency: Mapped[str] = mapped_column(String(3))
    # Hash of the POS account API key a merchant types into the dashboard to connect.
    api_key_hash: Mapped[str | None] = mapped_column(String(128))
    # The merchant's own POS (None: the built-in kitchen): where its order webhooks go, and their
    # signing secret sealed at rest (crypto.CredentialBox). On this row because order placement has it at hand.
    pos_url: Mapped[str | None] = mapped_column(String(2048))
    pos_secret_encrypted: Mapped[bytes | None] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Account(Base):
    """A POS account linked to a Wix instance (one per instance today, several allowed)."""

    __tablename__ = "accounts"
    __table_args__ = (UniqueConstraint("instance_id", "account_id"),)
    id: Mapped[int] = _id()
    instance_id: Mapped[str] = mapped_column(ForeignKey("instances.id"), index=True)
    account_id: Mapped[str] = mapped_column(String(128))  # what Wix sees as accountId
    merchant_id: Mapped[int] = mapped_column(ForeignKey("pos_merchants.id"), index=True)
    status: Mapped[str] = mapped_column(String(16), default=AccountStatus.ACTIVE)
    authorized: Mapped[bool] = mapped_column(Boolean, default=True)
    credentials_encrypted: Mapped[bytes | None] = mapped_column(LargeBinary)
    linked_at: Mapped[datetime] = mapped_column(default=utcnow)
    disconnected_at: Mapped[datetime | None]
    # Business information for order problems: every account needs it before it is ready
    # (docs/decisions.md "Dashboard"), however it was linked.
    contact_name: Mapped[str | None] = mapped_column(String(255))
    contact_email: Mapped[str | None] = mapped_column(String(320))
    contact_phone: Mapped[str | None] = mapped_column(String(64))
    # Disconnected here but Wix not told yet (its disconnect API failed): retried with backoff until it
    # takes it. server_default as migration 0011 adds them to existing rows.
    wix_disconnect_pending: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    wix_disconnect_error: Mapped[str | None] = mapped_column(String(500))
    wix_disconnect_attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    wix_disconnect_next_at: Mapped[datetime | None]


class Configuration(Base):
    """A Wix location configuration (one catalog per location) and its pairing with a POS location."""

    __tablename__ = "configurations"
    __table_args__ = (UniqueConstraint("instance_id", "wix_id"),)
    id: Mapped[int] = _id()
    instance_id: Mapped[str] = mapped_column(ForeignKey("instances.id"), index=True)
    wix_id: Mapped[str] = mapped_column(String(128))  # Wix configurationId
    account_pk: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"), index=True)
    location_id: Mapped[int | None] = mapped_column(ForeignKey("pos_locations.id"), index=True)
    catalog_id: Mapped[str | None] = mapped_column(String(128))
    # LEGACY: `wix_id` is a POS-connectivity configuration; NEWGEN: a business location (no configurations).
    generation: Mapped[str] = mapped_column(String(16), default="LEGACY", server_default="LEGACY")
    wix_location_name: Mapped[str | None] = mapped_column(String(255))
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    paired_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    selected_menus: Mapped[list[ConfigurationMenu]] = relationship(
        cascade="all, delete-orphan", order_by="ConfigurationMenu.position"
    )


class ConfigurationMenu(Base):
    """A POS menu the merchant chose to sell online through a configuration."""

    __tablename__ = "configuration_menus"
    configuration_id: Mapped[int] = mapped_column(ForeignKey("configurations.id"), primary_key=True)
    menu_id: Mapped[int] = mapped_column(ForeignKey("pos_menus.id"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, default=0)


# --- Built-in POS domain ----------------------------------------------------------------------


class Location(Base):
    """A POS location: hours, time zone, fulfillment, delivery area and slot capacity."""

    __tablename__ = "pos_locations"
    __table_args__ = (UniqueConstraint("merchant_id", "pos_id"),)
    id: Mapped[int] = _id()
    merchant_id: Mapped[int] = mapped_column(ForeignKey("pos_merchants.id"), index=True)
    pos_id: Mapped[str] = mapped_column(String(128))
    name: Mapped[str] = mapped_column(String(255))
    timezone: Mapped[str] = mapped_column(String(64))
    address: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    latitude: Mapped[Decimal | None]
    longitude: Mapped[Decimal | None]
    hours: Mapped[list[Any]] = mapped_column(JSON, default=list)  # [{"day","open","close"}]
    fulfillment: Mapped[list[Any]] = mapped_column(JSON, default=list)  # PICKUP|DELIVERY|DINE_IN
    delivery_radius_km: Mapped[Decimal | None]
    slot_minutes: Mapped[int] = mapped_column(Integer, default=15)
    orders_per_slot: Mapped[int | None] = mapped_column(Integer)
    require_customer_phone: Mapped[bool] = mapped_column(Boolean, default=False)
    require_customer_email: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # The kitchen accepts new orders itself (False) or posbridge does at once, promising `prep_minutes`.
    auto_accept: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    prep_minutes: Mapped[int | None] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Menu(Base):
    """A POS menu, sold at some of the merchant's locations, with optional availability windows."""

    __tablename__ = "pos_menus"
    __table_args__ = (UniqueConstraint("merchant_id", "pos_id"),)
    id: Mapped[int] = _id()
    merchant_id: Mapped[int] = mapped_column(ForeignKey("pos_merchants.id"), index=True)
    pos_id: Mapped[str] = mapped_column(String(128))
    name: Mapped[str] = mapped_column(String(255))
    description: Mapped[str] = mapped_column(Text, default="")
    availability: Mapped[list[Any] | None] = mapped_column(JSON)  # None = whenever open
    position: Mapped[int] = mapped_column(Integer, default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    sections: Mapped[list[Section]] = relationship(order_by="Section.position", cascade="all, delete-orphan")


class MenuLocation(Base):
    """A menu is sold at a location."""

    __tablename__ = "pos_menu_locations"
    menu_id: Mapped[int] = mapped_column(ForeignKey("pos_menus.id"), primary_key=True)
    location_id: Mapped[int] = mapped_column(ForeignKey("pos_locations.id"), primary_key=True)


class Section(Base):
    """A section of a menu; its items in display order."""

    __tablename__ = "pos_sections"
    __table_args__ = (UniqueConstraint("merchant_id", "pos_id"),)
    id: Mapped[int] = _id()
    merchant_id: Mapped[int] = mapped_column(ForeignKey("pos_merchants.id"), index=True)
    menu_id: Mapped[int] = mapped_column(ForeignKey("pos_menus.id"), index=True)
    pos_id: Mapped[str] = mapped_column(String(128))
    name: Mapped[str] = mapped_column(String(255))
    description: Mapped[str] = mapped_column(Text, default="")
    position: Mapped[int] = mapped_column(Integer, default=0)

    entries: Mapped[list[SectionItem]] = relationship(order_by="SectionItem.position", cascade="all, delete-orphan")


class SectionItem(Base):
    """An item placed in a section at a position."""

    __tablename__ = "pos_section_items"
    section_id: Mapped[int] = mapped_column(ForeignKey("pos_sections.id"), primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("pos_items.id"), primary_key=True, index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)


class Item(Base):
    """A dish: price (default), tax rate, labels, image and option groups."""

    __tablename__ = "pos_items"
    __table_args__ = (UniqueConstraint("merchant_id", "pos_id"),)
    id: Mapped[int] = _id()
    merchant_id: Mapped[int] = mapped_column(ForeignKey("pos_merchants.id"), index=True)
    pos_id: Mapped[str] = mapped_column(String(128))
    name: Mapped[str] = mapped_column(String(255))
    description: Mapped[str] = mapped_column(Text, default="")
    price: Mapped[Decimal]
    tax_rate: Mapped[Decimal | None]  # percent, e.g. 8.875
    labels: Mapped[list[Any]] = mapped_column(JSON, default=list)
    image_url: Mapped[str | None] = mapped_column(String(2048))
    accept_special_request: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)  # False = removed from the POS
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    option_groups: Mapped[list[ItemOptionGroup]] = relationship(
        order_by="ItemOptionGroup.position", cascade="all, delete-orphan"
    )
    location_prices: Mapped[list[ItemLocationPrice]] = relationship(cascade="all, delete-orphan")


class ItemLocationPrice(Base):
    """A per-location price that overrides the item's default price."""

    __tablename__ = "pos_item_location_prices"
    item_id: Mapped[int] = mapped_column(ForeignKey("pos_items.id"), primary_key=True)
    location_id: Mapped[int] = mapped_column(ForeignKey("pos_locations.id"), primary_key=True)
    price: Mapped[Decimal]


class Stock(Base):
    """Tracked stock of an item at a location, and a manual 86 (optionally until a time)."""

    __tablename__ = "pos_stock"
    item_id: Mapped[int] = mapped_column(ForeignKey("pos_items.id"), primary_key=True)
    location_id: Mapped[int] = mapped_column(ForeignKey("pos_locations.id"), primary_key=True)
    quantity: Mapped[int | None] = mapped_column(Integer)  # None = not tracked
    # The level the last import set: a document's stock applies only when it differs (orders consumed the rest).
    imported_quantity: Mapped[int | None] = mapped_column(Integer)
    out_of_stock: Mapped[bool] = mapped_column(Boolean, default=False)  # manual 86
    out_until: Mapped[datetime | None]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class ChoiceStock(Base):
    """A choice (variation) marked out at a location by hand (86), optionally until a time."""

    __tablename__ = "pos_choice_stock"
    variation_id: Mapped[int] = mapped_column(ForeignKey("pos_variations.id"), primary_key=True)
    location_id: Mapped[int] = mapped_column(ForeignKey("pos_locations.id"), primary_key=True)
    out_of_stock: Mapped[bool] = mapped_column(Boolean, default=False)
    out_until: Mapped[datetime | None]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Variation(Base):
    """A choice that option groups offer (e.g. "Large", "Bacon")."""

    __tablename__ = "pos_variations"
    __table_args__ = (UniqueConstraint("merchant_id", "pos_id"),)
    id: Mapped[int] = _id()
    merchant_id: Mapped[int] = mapped_column(ForeignKey("pos_merchants.id"), index=True)
    pos_id: Mapped[str] = mapped_column(String(128))
    name: Mapped[str] = mapped_column(String(255))


class OptionGroup(Base):
    """An option group: SELECTION (exactly one), EXTRAS (min..max) or DESELECTION."""

    __tablename__ = "pos_option_groups"
    __table_args__ = (UniqueConstraint("merchant_id", "pos_id"),)
    id: Mapped[int] = _id()
    merchant_id: Mapped[int] = mapped_column(ForeignKey("pos_merchants.id"), index=True)
    pos_id: Mapped[str] = mapped_column(String(128))
    name: Mapped[str] = mapped_column(String(255))
    type: Mapped[str] = mapped_column(String(16))
    min_choices: Mapped[int] = mapped_column(Integer, default=0)
    max_choices: Mapped[int] = mapped_column(Integer, default=1)

    choices: Mapped[list[OptionChoice]] = relationship(order_by="OptionChoice.position", cascade="all, delete-orphan")


class OptionChoice(Base):
    """A variation offered by an option group at a price, possibly chosen by default."""

    __tablename__ = "pos_option_choices"
    group_id: Mapped[int] = mapped_column(ForeignKey("pos_option_groups.id"), primary_key=True)
    variation_id: Mapped[int] = mapped_column(ForeignKey("pos_variations.id"), primary_key=True)
    price: Mapped[Decimal]
    is_default: Mapped[bool] = mapped_column(Boolean, default=False)
    position: Mapped[int] = mapped_column(Integer, default=0)


class ItemOptionGroup(Base):
    """An option group attached to an item, in display order."""

    __tablename__ = "pos_item_option_groups"
    item_id: Mapped[int] = mapped_column(ForeignKey("pos_items.id"), primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("pos_option_groups.id"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, default=0)


# --- Integration state -------------------------------------------------------------------------


class SyncIdMap(Base):
    """POS entity ↔ Wix id within one id space of a catalog target; stable across syncs.

    `catalog_id` names the id space: the Catalogs v3 catalog id on legacy sites.

    `kind` ∈ MENU | SECTION | DISH | VARIATION, or MODIFIER_GROUP (the Menus API's group for a POS option
    group); `pos_ref` is the POS entity's surrogate id.
    `content_hash` is the hash of what was last written, so an unchanged entity costs nothing.
    `detached_at` is set when the POS stopped selling it (the Wix id stays resolvable).
    """

    __tablename__ = "sync_id_map"
    __table_args__ = (
        UniqueConstraint("catalog_id", "kind", "pos_ref"),
        UniqueConstraint("catalog_id", "wix_id", name="uq_sync_id_map_catalog_wix_id"),
    )
    id: Mapped[int] = _id()
    instance_id: Mapped[str] = mapped_column(ForeignKey("instances.id"), index=True)
    catalog_id: Mapped[str] = mapped_column(String(128))
    kind: Mapped[str] = mapped_column(String(16))
    pos_ref: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"))
    wix_id: Mapped[str] = mapped_column(String(128))
    content_hash: Mapped[str | None] = mapped_column(String(64))
    detached_at: Mapped[datetime | None]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Sync(Base):
    """One sync of a configuration's catalog: requested, run (possibly over several attempts), ended.

    status ∈ PENDING | IN_PROGRESS | SYNCED | FAILED. At most one PENDING row per configuration
    exists at a time: repeated requests coalesce into it.
    """

    __tablename__ = "syncs"
    __table_args__ = (Index("ix_syncs_configuration_status", "configuration_id", "status"),)
    id: Mapped[int] = _id()
    configuration_id: Mapped[int] = mapped_column(ForeignKey("configurations.id"))
    status: Mapped[str] = mapped_column(String(16), default=SyncStatus.PENDING)
    trigger: Mapped[str] = mapped_column(String(32), default="WIX")  # WIX|DASHBOARD|CLI|ADMIN|POS_CHANGE|RECONCILE
    requested_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None]
    ended_at: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    failure_code: Mapped[str | None] = mapped_column(String(32))
    failure_reason: Mapped[str | None] = mapped_column(Text)
    failure_params: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    summary: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # counts per entity/op, calls per endpoint
    # Debounce: a PENDING sync is not claimed before this time (None = at once).
    not_before: Mapped[datetime | None]
    # An IN_PROGRESS sync belongs to its worker until this time; a crashed worker's sync is reclaimed after it.
    lease_until: Mapped[datetime | None]
    heartbeat_at: Mapped[datetime | None]


class SyncLog(Base):
    """One line of a sync's per-attempt log."""

    __tablename__ = "sync_log"
    id: Mapped[int] = _id()
    sync_id: Mapped[int] = mapped_column(ForeignKey("syncs.id"), index=True)
    attempt: Mapped[int] = mapped_column(Integer, default=1)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    level: Mapped[str] = mapped_column(String(8), default="INFO")
    event: Mapped[str] = mapped_column(String(64))
    data: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class OrderRow(Base):
    """An order Wix handed over, keyed for idempotency by (instance, configuration, Wix order id)."""

    __tablename__ = "orders"
    __table_args__ = (
        UniqueConstraint("instance_id", "configuration_wix_id", "wix_order_id"),
        # The dashboard's recent orders: newest first within the instance.
        Index("ix_orders_instance_created", "instance_id", "created_at"),
        # The kitchen card's orders needing attention (and /healthz's count): the few flagged rows only.
        Index(
            "ix_orders_attention",
            "instance_id",
            "attention_since",
            postgresql_where=text("needs_attention IS NOT NULL"),
            sqlite_where=text("needs_attention IS NOT NULL"),
        ),
    )
    id: Mapped[int] = _id()
    pos_order_id: Mapped[str] = mapped_column(String(64), unique=True)
    instance_id: Mapped[str] = mapped_column(ForeignKey("instances.id"), index=True)
    configuration_wix_id: Mapped[str] = mapped_column(String(128))
    configuration_id: Mapped[int] = mapped_column(ForeignKey("configurations.id"), index=True)
    wix_order_id: Mapped[str] = mapped_column(String(128))
    location_id: Mapped[int] = mapped_column(ForeignKey("pos_locations.id"), index=True)
    status: Mapped[str] = mapped_column(String(16), default="NEW")  # NEW|ACCEPTED|READY|FULFILLED|CANCELED
    currency: Mapped[str] = mapped_column(String(3))
    subtotal: Mapped[Decimal]
    delivery: Mapped[Decimal] = mapped_column(default=Decimal("0"))
    tax: Mapped[Decimal] = mapped_column(default=Decimal("0"))
    tip: Mapped[Decimal] = mapped_column(default=Decimal("0"))
    discount: Mapped[Decimal] = mapped_column(default=Decimal("0"))
    loyalty_savings: Mapped[Decimal] = mapped_column(default=Decimal("0"))
    service_fees: Mapped[Decimal] = mapped_column(default=Decimal("0"))
    total: Mapped[Decimal]
    fulfillment_type: Mapped[str] = mapped_column(String(16))
    promised_time: Mapped[datetime | None]
    asap: Mapped[bool] = mapped_column(Boolean, default=True)
    slot_start: Mapped[datetime | None] = mapped_column(index=True)
    customer: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    fulfillment: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    payments: Mapped[list[Any]] = mapped_column(JSON, default=list)
    comment: Mapped[str | None] = mapped_column(Text)
    paid_by_pos_gateway: Mapped[bool] = mapped_column(Boolean, default=False)
    wix_order: Mapped[dict[str, Any]] = mapped_column(JSON)  # the WixOrder exactly as received
    wix_push_status: Mapped[str] = mapped_column(String(16), default=WixPushStatus.NONE)
    needs_attention: Mapped[str | None] = mapped_column(Text)  # the reason, in words (None: all is well)
    attention_kind: Mapped[str | None] = mapped_column(String(32))  # services.attention's kinds
    attention_actions: Mapped[list[Any] | None] = mapped_column(JSON)  # what an operator can do about it
    attention_since: Mapped[datetime | None]
    request_id: Mapped[str | None] = mapped_column(String(128))
    # Observe mode: the failures ({code, message, params}) the order was created despite.
    observed_failures: Mapped[list[Any] | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    lines: Mapped[list[OrderLine]] = relationship(order_by="OrderLine.position", cascade="all, delete-orphan")
    history: Mapped[list[OrderStatusChange]] = relationship(
        order_by="OrderStatusChange.id", cascade="all, delete-orphan"
    )


class OrderLine(Base):
    """A line of an order, mapped back to the POS item."""

    __tablename__ = "order_lines"
    id: Mapped[int] = _id()
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    item_id: Mapped[int] = mapped_column(ForeignKey("pos_items.id"))
    wix_catalog_item_id: Mapped[str] = mapped_column(String(128))
    name: Mapped[str] = mapped_column(String(255))
    quantity: Mapped[int] = mapped_column(Integer)
    unit_price: Mapped[Decimal]
    line_total: Mapped[Decimal]  # (unit price + chosen options) × quantity
    comment: Mapped[str | None] = mapped_column(Text)

    options: Mapped[list[OrderLineOption]] = relationship(order_by="OrderLineOption.id", cascade="all, delete-orphan")


class OrderLineOption(Base):
    """A chosen option of a line (nested options point at their parent option)."""

    __tablename__ = "order_line_options"
    id: Mapped[int] = _id()
    line_id: Mapped[int] = mapped_column(ForeignKey("order_lines.id"), index=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("order_line_options.id"))
    group_name: Mapped[str] = mapped_column(String(255))
    group_type: Mapped[str] = mapped_column(String(64))  # an open enum on the wire (spi.wire.ENUM_LENGTH)
    option_group_id: Mapped[int | None] = mapped_column(ForeignKey("pos_option_groups.id"))
    variation_id: Mapped[int | None] = mapped_column(ForeignKey("pos_variations.id"))
    wix_item_id: Mapped[str] = mapped_column(String(128))
    name: Mapped[str] = mapped_column(String(255))
    price: Mapped[Decimal]
    quantity: Mapped[int] = mapped_column(Integer, default=1)


class OrderStatusChange(Base):
    """One step of an order's status history."""

    __tablename__ = "order_status_history"
    id: Mapped[int] = _id()
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    status: Mapped[str] = mapped_column(String(16))
    previous_status: Mapped[str | None] = mapped_column(String(16))  # None: the order's first status
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor: Mapped[str] = mapped_column(String(32), default="SYSTEM")  # WIX|KITCHEN|OPERATOR|POS|SYSTEM
    note: Mapped[str | None] = mapped_column(Text)  # the reason given, if any


class OutboundJob(Base):
    """Work owed to Wix (status pushes, stock pushes), kept until done; ordered per key."""

    __tablename__ = "outbound_jobs"
    __table_args__ = (Index("ix_outbound_jobs_status_next", "status", "next_attempt_at"),)
    id: Mapped[int] = _id()
    kind: Mapped[str] = mapped_column(String(32))  # ORDER_STATUS | STOCK
    instance_id: Mapped[str] = mapped_column(ForeignKey("instances.id"), index=True)
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id"), index=True)
    ordering_key: Mapped[str] = mapped_column(String(128))  # jobs with one key run in id order
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16), default=OutboundJobStatus.PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class WebhookEvent(Base):
    """A Wix webhook received, recorded once by its id so repeats are no-ops."""

    __tablename__ = "webhook_events"
    id: Mapped[str] = mapped_column(String(128), primary_key=True)
    event_type: Mapped[str] = mapped_column(String(64))
    instance_id: Mapped[str] = mapped_column(String(64), index=True)
    # What the event is about, when posbridge may need to find it again (the Wix order id of an order event).
    subject: Mapped[str | None] = mapped_column(String(128), index=True)
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    event_time: Mapped[datetime | None]
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)


class WixMenuEdit(Base):
    """A change made in Wix (by the merchant or another app) to a Menus API entity posbridge owns.

    One row per Menus API event and paired business location whose sync id map holds the entity.
    `changes` lists [{field, before, after, nextSync: KEEP|OVERWRITE}] (before is None when no
    earlier state was seen); `next_sync` is OVERWRITE when any change is the POS's to restore.
    """

    __tablename__ = "wix_menu_edits"
    __table_args__ = (
        UniqueConstraint("event_id", "configuration_id"),
        Index("ix_wix_menu_edits_configuration_event_time", "configuration_id", "event_time"),
    )
    id: Mapped[int] = _id()
    event_id: Mapped[str] = mapped_column(String(128))
    instance_id: Mapped[str] = mapped_column(String(64), index=True)
    configuration_id: Mapped[int] = mapped_column(ForeignKey("configurations.id"))
    kind: Mapped[str] = mapped_column(String(16))  # MENU | SECTION | DISH | VARIATION
    wix_id: Mapped[str] = mapped_column(String(128))
    name: Mapped[str] = mapped_column(String(255))
    action: Mapped[str] = mapped_column(String(16))  # created | updated | deleted
    changes: Mapped[list[Any]] = mapped_column(JSON, default=list)
    next_sync: Mapped[str] = mapped_column(String(16))  # KEEP | OVERWRITE
    identity: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    event_time: Mapped[datetime]
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    sync_requested: Mapped[bool] = mapped_column(Boolean, default=False)


class RateBudget(Base):
    """Requests spent against Wix per instance in one time bucket (shared by all workers).

    posbridge.wix.ratebudget sums the buckets of the last minute (a sliding window); the row with
    window_start -1 is the per-instance lock row.
    """

    __tablename__ = "wix_rate_budget"
    instance_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    window_start: Mapped[int] = mapped_column(BigInteger, primary_key=True)  # bucket index: unix time // width
    spent: Mapped[int] = mapped_column(Integer, default=0)


class JobLease(Base):
    """A named lease one worker holds until it expires (one outbound job key at a time)."""

    __tablename__ = "job_leases"
    name: Mapped[str] = mapped_column(String(128), primary_key=True)
    holder: Mapped[str] = mapped_column(String(128))
    expires_at: Mapped[float] = mapped_column(Float)  # unix seconds; renewed by the holder's heartbeat


# --- A merchant's own POS, connected over HTTP (issue 14 §4) ------------------------------------


class PosDelivery(Base):
    """One webhook owed to a merchant's POS about an order; an order's deliveries go out in id order.

    `message_id` is the `webhook-id` every attempt carries, so the POS can drop a repeat.
    """

    __tablename__ = "pos_deliveries"
    __table_args__ = (Index("ix_pos_deliveries_status_next", "status", "next_attempt_at"),)
    id: Mapped[int] = _id()
    merchant_id: Mapped[int] = mapped_column(ForeignKey("pos_merchants.id"), index=True)
    # posbridge's id of the order (`orders.pos_order_id`): a delivery is owed from inside the
    # transaction that places the order, before the order row exists.
    pos_order_id: Mapped[str] = mapped_column(String(64), index=True)
    message_id: Mapped[str] = mapped_column(String(64), unique=True)
    event: Mapped[str] = mapped_column(String(32))  # order.created | order.canceled
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16), default=PosDeliveryStatus.PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    first_attempt_at: Mapped[datetime | None]
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    delivered_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class PosDeliveryAttempt(Base):
    """The delivery log: one row per attempt, with what the POS answered."""

    __tablename__ = "pos_delivery_attempts"
    id: Mapped[int] = _id()
    delivery_id: Mapped[int] = mapped_column(ForeignKey("pos_deliveries.id"), index=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    status_code: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(Text)
    duration_ms: Mapped[int] = mapped_column(Integer, default=0)


class ConnectedPosOrder(Base):
    """The id a merchant's own POS gave an order (its answer to the created delivery)."""

    __tablename__ = "pos_order_refs"
    __table_args__ = (UniqueConstraint("merchant_id", "external_id"),)
    pos_order_id: Mapped[str] = mapped_column(String(64), primary_key=True)  # posbridge's
    merchant_id: Mapped[int] = mapped_column(ForeignKey("pos_merchants.id"), index=True)
    external_id: Mapped[str] = mapped_column(String(128))  # the POS's own
