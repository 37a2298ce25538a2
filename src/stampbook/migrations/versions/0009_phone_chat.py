"""a user's phone for text messages, and a shop's chat webhook

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-05 21:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import stampbook.core.db

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

WHEN = stampbook.core.db.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.add_column("users", sa.Column("phone", sa.String(length=16), nullable=True))
    op.add_column("users", sa.Column("sms_opted_out_at", WHEN, nullable=True))
    op.create_index(op.f("ix_users_phone"), "users", ["phone"], unique=False)
    op.add_column("shops", sa.Column("chat_webhook_url", sa.String(length=2000), nullable=True))


def downgrade() -> None:
    # Plain DROP COLUMN (SQLite 3.35+), not a batch rebuild: rebuilding users would drop the
    # triggers that copy its name and email into memberships (0004, 0005).
    op.drop_column("shops", "chat_webhook_url")
    op.drop_index(op.f("ix_users_phone"), table_name="users")
    op.drop_column("users", "sms_opted_out_at")
    op.drop_column("users", "phone")
