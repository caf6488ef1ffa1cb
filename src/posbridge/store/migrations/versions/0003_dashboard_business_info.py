"""dashboard: the business information a self-service account needs to be ready; recent orders by instance

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-30 17:15:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("info_required", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column("contact_name", sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column("contact_email", sa.String(length=320), nullable=True))
        batch_op.add_column(sa.Column("contact_phone", sa.String(length=64), nullable=True))
    op.create_index("ix_orders_instance_created", "orders", ["instance_id", "created_at"], unique=False)


def downgrade() -> None:
    """Revert this revision."""
    op.drop_index("ix_orders_instance_created", table_name="orders")
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.drop_column("contact_phone")
        batch_op.drop_column("contact_email")
        batch_op.drop_column("contact_name")
        batch_op.drop_column("info_required")
