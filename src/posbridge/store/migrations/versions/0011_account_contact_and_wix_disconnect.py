"""accounts: every account needs its contact to be ready (info_required dropped); a Wix disconnect still owed

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-30 20:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from posbridge.store.types import UTCDateTime

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.drop_column("info_required")
        batch_op.add_column(
            sa.Column("wix_disconnect_pending", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(sa.Column("wix_disconnect_error", sa.String(length=500), nullable=True))
        batch_op.add_column(sa.Column("wix_disconnect_attempts", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("wix_disconnect_next_at", UTCDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.drop_column("wix_disconnect_next_at")
        batch_op.drop_column("wix_disconnect_attempts")
        batch_op.drop_column("wix_disconnect_error")
        batch_op.drop_column("wix_disconnect_pending")
        batch_op.add_column(sa.Column("info_required", sa.Boolean(), nullable=False, server_default=sa.false()))
