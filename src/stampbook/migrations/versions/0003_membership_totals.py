"""memberships keep the totals of their positive and negative entries

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-30 23:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BACKFILL = """
UPDATE memberships
SET points_earned = (
        SELECT coalesce(sum(CASE WHEN amount > 0 THEN amount ELSE 0 END), 0)
        FROM ledger_entries WHERE ledger_entries.membership_id = memberships.id),
    points_spent = (
        SELECT coalesce(sum(CASE WHEN amount < 0 THEN -amount ELSE 0 END), 0)
        FROM ledger_entries WHERE ledger_entries.membership_id = memberships.id)
"""


def upgrade() -> None:
    with op.batch_alter_table("memberships") as batch:
        batch.add_column(
            sa.Column("points_earned", sa.BigInteger(), server_default="0", nullable=False)
        )
        batch.add_column(
            sa.Column("points_spent", sa.BigInteger(), server_default="0", nullable=False)
        )
    op.execute(BACKFILL)


def downgrade() -> None:
    with op.batch_alter_table("memberships") as batch:
        batch.drop_column("points_spent")
        batch.drop_column("points_earned")
