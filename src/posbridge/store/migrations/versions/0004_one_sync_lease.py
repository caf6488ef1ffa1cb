"""one sync lease: the job queue's per-configuration lease merges into the Sync row's lease

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30 17:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision (a lease held during the upgrade only lasted its minute anyway)."""
    op.drop_table("job_leases")


def downgrade() -> None:
    """Revert this revision."""
    op.create_table(
        "job_leases",
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("holder", sa.String(length=128), nullable=False),
        sa.Column("expires_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_job_leases")),
    )
