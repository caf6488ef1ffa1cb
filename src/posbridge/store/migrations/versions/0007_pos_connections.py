"""a merchant's own POS: where its webhooks go, the deliveries owed to it and their log, the ids it gave orders

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30 17:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from posbridge.store.types import UTCDateTime

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

_BIGINT = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table("pos_merchants", schema=None) as batch_op:
        batch_op.add_column(sa.Column("pos_url", sa.String(length=2048), nullable=True))
        batch_op.add_column(sa.Column("pos_secret_encrypted", sa.LargeBinary(), nullable=True))
    op.create_table(
        "pos_deliveries",
        sa.Column("id", _BIGINT, autoincrement=True, nullable=False),
        sa.Column("merchant_id", _BIGINT, nullable=False),
        sa.Column("pos_order_id", sa.String(length=64), nullable=False),
        sa.Column("message_id", sa.String(length=64), nullable=False),
        sa.Column("event", sa.String(length=32), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("first_attempt_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("next_attempt_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("delivered_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["merchant_id"], ["pos_merchants.id"], name=op.f("fk_pos_deliveries_merchant_id_pos_merchants")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pos_deliveries")),
        sa.UniqueConstraint("message_id", name=op.f("uq_pos_deliveries_message_id")),
    )
    op.create_index("ix_pos_deliveries_status_next", "pos_deliveries", ["status", "next_attempt_at"], unique=False)
    op.create_index(op.f("ix_pos_deliveries_merchant_id"), "pos_deliveries", ["merchant_id"], unique=False)
    op.create_index(op.f("ix_pos_deliveries_pos_order_id"), "pos_deliveries", ["pos_order_id"], unique=False)
    op.create_table(
        "pos_delivery_attempts",
        sa.Column("id", _BIGINT, autoincrement=True, nullable=False),
        sa.Column("delivery_id", _BIGINT, nullable=False),
        sa.Column("at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("duration_ms", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["delivery_id"], ["pos_deliveries.id"], name=op.f("fk_pos_delivery_attempts_delivery_id_pos_deliveries")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pos_delivery_attempts")),
    )
    op.create_index(
        op.f("ix_pos_delivery_attempts_delivery_id"), "pos_delivery_attempts", ["delivery_id"], unique=False
    )
    op.create_table(
        "pos_order_refs",
        sa.Column("pos_order_id", sa.String(length=64), nullable=False),
        sa.Column("merchant_id", _BIGINT, nullable=False),
        sa.Column("external_id", sa.String(length=128), nullable=False),
        sa.ForeignKeyConstraint(
            ["merchant_id"], ["pos_merchants.id"], name=op.f("fk_pos_order_refs_merchant_id_pos_merchants")
        ),
        sa.PrimaryKeyConstraint("pos_order_id", name=op.f("pk_pos_order_refs")),
        sa.UniqueConstraint("merchant_id", "external_id", name=op.f("uq_pos_order_refs_merchant_id")),
    )
    op.create_index(op.f("ix_pos_order_refs_merchant_id"), "pos_order_refs", ["merchant_id"], unique=False)


def downgrade() -> None:
    """Revert this revision."""
    op.drop_index(op.f("ix_pos_order_refs_merchant_id"), table_name="pos_order_refs")
    op.drop_table("pos_order_refs")
    op.drop_index(op.f("ix_pos_delivery_attempts_delivery_id"), table_name="pos_delivery_attempts")
    op.drop_table("pos_delivery_attempts")
    op.drop_index(op.f("ix_pos_deliveries_pos_order_id"), table_name="pos_deliveries")
    op.drop_index(op.f("ix_pos_deliveries_merchant_id"), table_name="pos_deliveries")
    op.drop_index("ix_pos_deliveries_status_next", table_name="pos_deliveries")
    op.drop_table("pos_deliveries")
    with op.batch_alter_table("pos_merchants", schema=None) as batch_op:
        batch_op.drop_column("pos_secret_encrypted")
        batch_op.drop_column("pos_url")
