"""pos_stock.imported_quantity: the stock level the last import set

An import applies a document's stock only when that level changed since the last import (or on
--reset-stock), so a re-import never gives back stock that orders consumed. Existing rows take
their current quantity as the last imported level: nothing is reset by the upgrade itself.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
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
