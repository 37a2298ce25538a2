"""email verification: when an address was confirmed, and the single-use links that confirm it

Existing accounts start unconfirmed (``email_verified_at`` null): nobody ever proved they
own their address, so each gets the "send me a confirmation link" action.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-05 22:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import stampbook.core.db

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

WHEN = stampbook.core.db.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.add_column("users", sa.Column("email_verified_at", WHEN, nullable=True))
    op.create_table(
        "email_confirmations",
        sa.Column("user_id", stampbook.core.db.IdType, nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("secret_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", WHEN, nullable=False),
        sa.Column("expires_at", WHEN, nullable=False),
        sa.Column("used_at", WHEN, nullable=True),
        sa.Column("id", stampbook.core.db.IdType, autoincrement=True, nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_email_confirmations_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_email_confirmations")),
        sa.UniqueConstraint("secret_hash", name=op.f("uq_email_confirmations_secret_hash")),
    )
    op.create_index(
        op.f("ix_email_confirmations_user_id"), "email_confirmations", ["user_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_email_confirmations_user_id"), table_name="email_confirmations")
    op.drop_table("email_confirmations")
    # In place on SQLite too (3.35+): a batch copy of users would trip the memberships'
    # triggers that read it.
    op.execute("ALTER TABLE users DROP COLUMN email_verified_at")
