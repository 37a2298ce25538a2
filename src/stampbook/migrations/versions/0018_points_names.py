"""branding: a program's own names for its points (singular and plural)

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-06 12:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "programs", sa.Column("points_currency_singular", sa.String(length=40), nullable=True)
    )
    op.add_column(
        "programs", sa.Column("points_currency_plural", sa.String(length=40), nullable=True)
    )


def downgrade() -> None:
    # In place on SQLite too (3.35+), as 0011 and 0012 do.
    op.execute("ALTER TABLE programs DROP COLUMN points_currency_plural")
    op.execute("ALTER TABLE programs DROP COLUMN points_currency_singular")
