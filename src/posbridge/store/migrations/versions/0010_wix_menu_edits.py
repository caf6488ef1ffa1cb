"""wix menu edits: a merchant's (or another app's) edits in Wix to Menus API entities posbridge owns

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-30 19:50:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from posbridge.store.types import UTCDateTime

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add the table."""
    op.create_table(
        "wix_menu_edits",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("event_id", sa.String(length=128), nullable=False),
        sa.Column("instance_id", sa.String(length=64), nullable=False),
        sa.Column("configuration_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("wix_id", sa.String(length=128), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("changes", sa.JSON(), nullable=False),
        sa.Column("next_sync", sa.String(length=16), nullable=False),
        sa.Column("identity", sa.JSON(), nullable=False),
        sa.Column("event_time", UTCDateTime(timezone=True), nullable=False),
        sa.Column("received_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("sync_requested", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["configuration_id"],
            ["configurations.id"],
            name=op.f("fk_wix_menu_edits_configuration_id_configurations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_wix_menu_edits")),
        sa.UniqueConstraint("event_id", "configuration_id", name=op.f("uq_wix_menu_edits_event_id")),
    )
    with op.batch_alter_table("wix_menu_edits", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_wix_menu_edits_instance_id"), ["instance_id"], unique=False)
        batch_op.create_index(
            "ix_wix_menu_edits_configuration_event_time", ["configuration_id", "event_time"], unique=False
        )


def downgrade() -> None:
    """Drop the table."""
    with op.batch_alter_table("wix_menu_edits", schema=None) as batch_op:
        batch_op.drop_index("ix_wix_menu_edits_configuration_event_time")
        batch_op.drop_index(batch_op.f("ix_wix_menu_edits_instance_id"))
    op.drop_table("wix_menu_edits")
