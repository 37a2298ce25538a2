"""consultations: a shop's hosts (weekly schedule in their zone, days off, rate,
verification) and members' bookings of their slots (a slot held once: a partial unique index
on host and start over the bookings not cancelled)

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-06 05:02:01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import stampbook.core.db

revision: str = "0022"
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "consultation_hosts",
        sa.Column("shop_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("user_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("professional_name", sa.String(length=100), nullable=False),
        sa.Column("bio", sa.Text(), nullable=True),
        sa.Column("credentials", sa.JSON(), nullable=False),
        sa.Column("specializations", sa.JSON(), nullable=False),
        sa.Column("languages", sa.JSON(), nullable=False),
        sa.Column("years_experience", sa.Integer(), nullable=True),
        sa.Column("rate_minor", sa.BigInteger(), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("verification_status", sa.String(length=10), nullable=False),
        sa.Column(
            "verified_by", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("verified_at", stampbook.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("time_zone", sa.String(length=64), nullable=False),
        sa.Column("weekly_hours", sa.JSON(), nullable=False),
        sa.Column("days_off", sa.JSON(), nullable=False),
        sa.Column("slot_minutes", sa.Integer(), nullable=False),
        sa.Column("buffer_minutes", sa.Integer(), nullable=False),
        sa.Column("cancel_hours", sa.Integer(), nullable=False),
        sa.Column("is_available", sa.Boolean(), nullable=False),
        sa.Column("deleted_at", stampbook.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("created_at", stampbook.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("edited_at", stampbook.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "buffer_minutes >= 0 AND buffer_minutes <= 240",
            name=op.f("ck_consultation_hosts_buffer_range"),
        ),
        sa.CheckConstraint(
            "rate_minor IS NULL OR rate_minor >= 0",
            name=op.f("ck_consultation_hosts_rate_not_negative"),
        ),
        sa.CheckConstraint(
            "slot_minutes >= 5 AND slot_minutes <= 480",
            name=op.f("ck_consultation_hosts_slot_range"),
        ),
        sa.ForeignKeyConstraint(
            ["shop_id"], ["shops.id"], name=op.f("fk_consultation_hosts_shop_id_shops")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_consultation_hosts_user_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["verified_by"], ["users.id"], name=op.f("fk_consultation_hosts_verified_by_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consultation_hosts")),
    )
    with op.batch_alter_table("consultation_hosts", schema=None) as batch_op:
        batch_op.create_index("ix_consultation_hosts_shop_id_id", ["shop_id", "id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_consultation_hosts_user_id"), ["user_id"], unique=False
        )

    op.create_table(
        "consultation_bookings",
        sa.Column("host_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("shop_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("user_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("starts_at", stampbook.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("ends_at", stampbook.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("session_type", sa.String(length=10), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("topic", sa.String(length=500), nullable=True),
        sa.Column("session_notes", sa.Text(), nullable=True),
        sa.Column("user_feedback_rating", sa.Integer(), nullable=True),
        sa.Column("user_feedback_text", sa.Text(), nullable=True),
        sa.Column("rated_at", stampbook.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("session_cost_minor", sa.BigInteger(), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("payment_status", sa.String(length=12), nullable=False),
        sa.Column("cancelled_at", stampbook.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column(
            "cancelled_by", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("cancel_reason", sa.String(length=200), nullable=True),
        sa.Column("closed_at", stampbook.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("closed_by", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("created_at", stampbook.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("edited_at", stampbook.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "ends_at > starts_at", name=op.f("ck_consultation_bookings_ends_after_start")
        ),
        sa.CheckConstraint(
            "user_feedback_rating IS NULL OR (user_feedback_rating >= 1 AND user_feedback_rating <= 5)",
            name=op.f("ck_consultation_bookings_rating_range"),
        ),
        sa.ForeignKeyConstraint(
            ["cancelled_by"], ["users.id"], name=op.f("fk_consultation_bookings_cancelled_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["closed_by"], ["users.id"], name=op.f("fk_consultation_bookings_closed_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["host_id"],
            ["consultation_hosts.id"],
            name=op.f("fk_consultation_bookings_host_id_consultation_hosts"),
        ),
        sa.ForeignKeyConstraint(
            ["shop_id"], ["shops.id"], name=op.f("fk_consultation_bookings_shop_id_shops")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_consultation_bookings_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consultation_bookings")),
    )
    with op.batch_alter_table("consultation_bookings", schema=None) as batch_op:
        batch_op.create_index(
            "ix_consultation_bookings_host_id_starts_at", ["host_id", "starts_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_consultation_bookings_shop_id"), ["shop_id"], unique=False
        )
        batch_op.create_index(
            "ix_consultation_bookings_user_id_starts_at", ["user_id", "starts_at"], unique=False
        )
        batch_op.create_index(
            "uq_consultation_bookings_slot",
            ["host_id", "starts_at"],
            unique=True,
            sqlite_where=sa.text("status <> 'cancelled'"),
            postgresql_where=sa.text("status <> 'cancelled'"),
        )


def downgrade() -> None:
    with op.batch_alter_table("consultation_bookings", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_consultation_bookings_slot",
            sqlite_where=sa.text("status <> 'cancelled'"),
            postgresql_where=sa.text("status <> 'cancelled'"),
        )
        batch_op.drop_index("ix_consultation_bookings_user_id_starts_at")
        batch_op.drop_index(batch_op.f("ix_consultation_bookings_shop_id"))
        batch_op.drop_index("ix_consultation_bookings_host_id_starts_at")

    op.drop_table("consultation_bookings")
    with op.batch_alter_table("consultation_hosts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_consultation_hosts_user_id"))
        batch_op.drop_index("ix_consultation_hosts_shop_id_id")

    op.drop_table("consultation_hosts")
