"""discount codes: a reward's kind and discount, a receipt's code, a store's access token

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-06 13:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import stampbook.core.db

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

WHEN = stampbook.core.db.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.add_column(
        "rewards",
        sa.Column("kind", sa.String(length=20), server_default="custom", nullable=False),
    )
    op.add_column("rewards", sa.Column("discount_minor", sa.BigInteger(), nullable=True))
    op.add_column("rewards", sa.Column("discount_currency", sa.String(length=3), nullable=True))
    op.add_column("rewards", sa.Column("discount_percent", sa.Integer(), nullable=True))

    op.add_column("redemptions", sa.Column("discount_code", sa.String(length=20), nullable=True))
    op.add_column("redemptions", sa.Column("discount_status", sa.String(length=10), nullable=True))
    op.add_column(
        "redemptions",
        sa.Column("discount_attempts", sa.Integer(), server_default="0", nullable=False),
    )
    op.add_column("redemptions", sa.Column("discount_due_at", WHEN, nullable=True))
    op.add_column(
        "redemptions", sa.Column("discount_store_id", sa.String(length=100), nullable=True)
    )
    # A code is unique (NULL, for receipts without one, repeats freely).
    op.create_index("uq_redemptions_discount_code", "redemptions", ["discount_code"], unique=True)
    op.create_index(
        "ix_redemptions_discount_due",
        "redemptions",
        ["discount_status", "discount_due_at"],
        unique=False,
    )

    op.add_column("integrations", sa.Column("access_token", sa.String(length=255), nullable=True))


def downgrade() -> None:
    # Plain DROP COLUMN (SQLite 3.35+), as 0009 does, rather than a batch copy of the tables.
    op.drop_column("integrations", "access_token")
    op.drop_index("ix_redemptions_discount_due", table_name="redemptions")
    op.drop_index("uq_redemptions_discount_code", table_name="redemptions")
    for column in (
        "discount_store_id",
        "discount_due_at",
        "discount_attempts",
        "discount_code",
        "discount_status",
    ):
        op.drop_column("redemptions", column)
    for column in ("discount_percent", "discount_currency", "discount_minor", "kind"):
        op.drop_column("rewards", column)
