"""kitchen flow: auto-accept per location, needs-attention details, the status a change came from,
Wix order events kept until their order arrives

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30 17:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from posbridge.store.types import UTCDateTime

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table("pos_locations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("auto_accept", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column("prep_minutes", sa.Integer(), nullable=True))
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.add_column(sa.Column("attention_kind", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("attention_actions", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("attention_since", UTCDateTime(timezone=True), nullable=True))
    with op.batch_alter_table("order_status_history", schema=None) as batch_op:
        batch_op.add_column(sa.Column("previous_status", sa.String(length=16), nullable=True))
    with op.batch_alter_table("webhook_events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("subject", sa.String(length=128), nullable=True))
        batch_op.create_index(batch_op.f("ix_webhook_events_subject"), ["subject"], unique=False)


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("webhook_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_webhook_events_subject"))
        batch_op.drop_column("subject")
    with op.batch_alter_table("order_status_history", schema=None) as batch_op:
        batch_op.drop_column("previous_status")
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.drop_column("attention_since")
        batch_op.drop_column("attention_actions")
        batch_op.drop_column("attention_kind")
    with op.batch_alter_table("pos_locations", schema=None) as batch_op:
        batch_op.drop_column("prep_minutes")
        batch_op.drop_column("auto_accept")
