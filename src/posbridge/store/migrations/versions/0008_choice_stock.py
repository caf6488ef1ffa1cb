"""choice stock: a choice (variation) 86ed at a location, optionally until a time

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30 18:15:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from posbridge.store.types import UTCDateTime

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add the table."""
    op.create_table(
        "pos_choice_stock",
        sa.Column("variation_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("location_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("out_of_stock", sa.Boolean(), nullable=False),
        sa.Column("out_until", UTCDateTime(timezone=True), nullable=True),
        sa.Column("updated_at", UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["location_id"], ["pos_locations.id"], name=op.f("fk_pos_choice_stock_location_id_pos_locations")
        ),
        sa.ForeignKeyConstraint(
            ["variation_id"], ["pos_variations.id"], name=op.f("fk_pos_choice_stock_variation_id_pos_variations")
        ),
        sa.PrimaryKeyConstraint("variation_id", "location_id", name=op.f("pk_pos_choice_stock")),
    )


def downgrade() -> None:
    """Drop the table."""
    op.drop_table("pos_choice_stock")
