"""shop address: a shop's postal address as people write it (one or several lines), shown
on its page and on the back of its wallet passes

Revision ID: 0028
Revises: 0027
Create Date: 2026-12-06 13:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0028"
down_revision: str | None = "0027"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("shops", sa.Column("address", sa.String(length=300), nullable=True))


def downgrade() -> None:
    # Plain DROP COLUMN (SQLite 3.35+), not a batch rebuild, as 0009 drops the shop's chat
    # URL: rebuilding shops would drop and copy the table every other table refers to.
    op.drop_column("shops", "address")
