"""configuration generation: a pairing is a POS configuration (legacy) or a business location (new sites)

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30 17:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision (every existing pairing is a legacy configuration)."""
    with op.batch_alter_table("configurations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("generation", sa.String(length=16), server_default="LEGACY", nullable=False))


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("configurations", schema=None) as batch_op:
        batch_op.drop_column("generation")
