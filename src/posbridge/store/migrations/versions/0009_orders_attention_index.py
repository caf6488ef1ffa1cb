"""orders: a partial index for the orders needing attention (the dashboard's kitchen card, /healthz)

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-30 19:45:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

FLAGGED = sa.text("needs_attention IS NOT NULL")


def upgrade() -> None:
    """Add the index."""
    op.create_index(
        "ix_orders_attention",
        "orders",
        ["instance_id", "attention_since"],
        postgresql_where=FLAGGED,
        sqlite_where=FLAGGED,
    )


def downgrade() -> None:
    """Drop the index."""
    op.drop_index("ix_orders_attention", table_name="orders")
