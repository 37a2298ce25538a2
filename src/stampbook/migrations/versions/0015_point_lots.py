"""pending and expiring points: a program's windows, held points, point lots, reminders

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-06 12:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import stampbook.core.db

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

WHEN = stampbook.core.db.UTCDateTime(timezone=True)
ID = stampbook.core.db.IdType


def upgrade() -> None:
    op.add_column("programs", sa.Column("pending_days", sa.Integer(), nullable=True))
    op.add_column(
        "programs",
        sa.Column("expiry_mode", sa.String(length=10), server_default="never", nullable=False),
    )
    op.add_column("programs", sa.Column("expiry_days", sa.Integer(), nullable=True))
    op.add_column("programs", sa.Column("expiry_since", WHEN, nullable=True))
    op.add_column(
        "programs",
        sa.Column("expiry_warning_days", sa.Integer(), server_default="30", nullable=False),
    )
    op.add_column(
        "programs",
        sa.Column("expiry_last_chance_days", sa.Integer(), server_default="3", nullable=False),
    )
    op.add_column(
        "memberships",
        sa.Column("pending", sa.BigInteger(), server_default="0", nullable=False),
    )
    op.add_column("memberships", sa.Column("due_at", WHEN, nullable=True))
    op.add_column("memberships", sa.Column("last_activity_at", WHEN, nullable=True))
    op.add_column("memberships", sa.Column("store_updated_at", WHEN, nullable=True))
    op.create_index(op.f("ix_memberships_due_at"), "memberships", ["due_at"], unique=False)
    op.add_column("orders", sa.Column("pending_until", WHEN, nullable=True))

    op.create_table(
        "point_lots",
        sa.Column("membership_id", ID, nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("remaining", sa.BigInteger(), nullable=False),
        sa.Column("earned_at", WHEN, nullable=False),
        sa.Column("expires_at", WHEN, nullable=False),
        sa.Column("entry_id", ID, nullable=True),
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.CheckConstraint(
            "remaining >= 0 AND remaining <= amount", name=op.f("ck_point_lots_remaining_within")
        ),
        sa.ForeignKeyConstraint(
            ["membership_id"],
            ["memberships.id"],
            name=op.f("fk_point_lots_membership_id_memberships"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_point_lots")),
    )
    op.create_index(
        "ix_point_lots_live",
        "point_lots",
        ["membership_id", "expires_at", "id"],
        unique=False,
        sqlite_where=sa.text("remaining > 0"),
        postgresql_where=sa.text("remaining > 0"),
    )
    op.create_index(
        "ix_point_lots_expiring",
        "point_lots",
        ["expires_at"],
        unique=False,
        sqlite_where=sa.text("remaining > 0"),
        postgresql_where=sa.text("remaining > 0"),
    )
    op.create_table(
        "held_points",
        sa.Column("membership_id", ID, nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("cause_type", sa.String(length=30), nullable=True),
        sa.Column("cause_id", sa.String(length=64), nullable=True),
        sa.Column("source_type", sa.String(length=30), nullable=False),
        sa.Column("source_id", sa.String(length=64), nullable=False),
        sa.Column("held_at", WHEN, nullable=False),
        sa.Column("release_at", WHEN, nullable=False),
        sa.Column("released_at", WHEN, nullable=True),
        sa.Column("entry_id", ID, nullable=True),
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.CheckConstraint("amount >= 0", name=op.f("ck_held_points_amount_not_negative")),
        sa.ForeignKeyConstraint(
            ["membership_id"],
            ["memberships.id"],
            name=op.f("fk_held_points_membership_id_memberships"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_held_points")),
    )
    op.create_index(
        "ix_held_points_source", "held_points", ["source_type", "source_id"], unique=False
    )
    op.create_index(
        "ix_held_points_open",
        "held_points",
        ["membership_id", "release_at"],
        unique=False,
        sqlite_where=sa.text("released_at IS NULL"),
        postgresql_where=sa.text("released_at IS NULL"),
    )
    op.create_table(
        "expiry_reminders",
        sa.Column("membership_id", ID, nullable=False),
        sa.Column("expires_at", WHEN, nullable=False),
        sa.Column("stage", sa.String(length=20), nullable=False),
        sa.Column("sent_at", WHEN, nullable=False),
        sa.ForeignKeyConstraint(
            ["membership_id"],
            ["memberships.id"],
            name=op.f("fk_expiry_reminders_membership_id_memberships"),
        ),
        sa.PrimaryKeyConstraint(
            "membership_id", "expires_at", "stage", name=op.f("pk_expiry_reminders")
        ),
    )


def downgrade() -> None:
    op.drop_table("expiry_reminders")
    op.drop_index("ix_held_points_open", table_name="held_points")
    op.drop_index("ix_held_points_source", table_name="held_points")
    op.drop_table("held_points")
    op.drop_index("ix_point_lots_expiring", table_name="point_lots")
    op.drop_index("ix_point_lots_live", table_name="point_lots")
    op.drop_table("point_lots")
    op.drop_column("orders", "pending_until")
    op.drop_index(op.f("ix_memberships_due_at"), table_name="memberships")
    for column in ("store_updated_at", "last_activity_at", "due_at", "pending"):
        op.drop_column("memberships", column)
    for column in (
        "expiry_last_chance_days",
        "expiry_warning_days",
        "expiry_since",
        "expiry_days",
        "expiry_mode",
        "pending_days",
    ):
        op.drop_column("programs", column)
