"""order intake: observe mode per instance and per order, open option types

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-30 16:50:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table("instances", schema=None) as batch_op:
        batch_op.add_column(sa.Column("order_checks", sa.String(length=16), nullable=True))
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.add_column(sa.Column("observed_failures", sa.JSON(), nullable=True))
    with op.batch_alter_table("order_line_options", schema=None) as batch_op:
        batch_op.alter_column(
            "group_type", existing_type=sa.String(length=16), type_=sa.String(length=64), existing_nullable=False
        )


def downgrade() -> None:
    """Revert this revision (an option type longer than 16 characters would not fit back)."""
    with op.batch_alter_table("order_line_options", schema=None) as batch_op:
        batch_op.alter_column(
            "group_type", existing_type=sa.String(length=64), type_=sa.String(length=16), existing_nullable=False
        )
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.drop_column("observed_failures")
    with op.batch_alter_table("instances", schema=None) as batch_op:
        batch_op.drop_column("order_checks")
