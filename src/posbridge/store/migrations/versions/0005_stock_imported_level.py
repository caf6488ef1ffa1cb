"""pos_stock.imported_quantity: the stock level the last import set

An import applies a document's stock only where that level changed since the last import (or on
--reset-stock), so a re-import never gives back stock that orders consumed. Existing rows take
their current quantity as the last imported level: the upgrade itself resets nothing.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30 17:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add the column and start it at the current quantity."""
    with op.batch_alter_table("pos_stock", schema=None) as batch_op:
        batch_op.add_column(sa.Column("imported_quantity", sa.Integer(), nullable=True))
    op.execute("UPDATE pos_stock SET imported_quantity = quantity")


def downgrade() -> None:
    """Drop the column."""
    with op.batch_alter_table("pos_stock", schema=None) as batch_op:
        batch_op.drop_column("imported_quantity")
