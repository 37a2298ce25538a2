"""occurrences and the outbox: what the system announces, and each consumer's handling

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-05 19:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import stampbook.core.db

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "occurrences",
        sa.Column("type", sa.String(length=40), nullable=False),
        sa.Column("shop_id", ID, nullable=True),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("occurred_at", stampbook.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("dispatched_at", stampbook.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("id", ID, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_occurrences")),
    )
    op.create_index(
        "ix_occurrences_sweep", "occurrences", ["dispatched_at", "occurred_at"], unique=False
    )
    op.create_table(
        "occurrence_handlings",
        sa.Column("occurrence_id", ID, nullable=False),
        sa.Column("consumer", sa.String(length=60), nullable=False),
        sa.Column("handled_at", stampbook.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("id", ID, nullable=False),
        sa.ForeignKeyConstraint(
            ["occurrence_id"],
            ["occurrences.id"],
            name=op.f("fk_occurrence_handlings_occurrence_id_occurrences"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_occurrence_handlings")),
        sa.UniqueConstraint(
            "occurrence_id", "consumer", name=op.f("uq_occurrence_handlings_occurrence_id_consumer")
        ),
    )


def downgrade() -> None:
    op.drop_table("occurrence_handlings")
    op.drop_index("ix_occurrences_sweep", table_name="occurrences")
    op.drop_table("occurrences")
