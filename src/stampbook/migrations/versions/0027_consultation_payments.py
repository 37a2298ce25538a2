"""consultation payments: a booking paid online through the payments provider (a payment or
a refund, once per provider and reference); checkout sessions kept under their
Idempotency-Key

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-06 08:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import stampbook.core.db

revision: str = "0027"
down_revision: str | None = "0026"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "consultation_payments",
        sa.Column("booking_id", ID, nullable=False),
        sa.Column("user_id", ID, nullable=False),
        sa.Column("shop_id", ID, nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("provider", sa.String(length=20), nullable=False),
        sa.Column("provider_reference", sa.String(length=120), nullable=False),
        sa.Column("paid_at", stampbook.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_at", stampbook.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("id", ID, nullable=False),
        sa.ForeignKeyConstraint(
            ["booking_id"],
            ["consultation_bookings.id"],
            name=op.f("fk_consultation_payments_booking_id_consultation_bookings"),
        ),
        sa.ForeignKeyConstraint(
            ["shop_id"], ["shops.id"], name=op.f("fk_consultation_payments_shop_id_shops")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_consultation_payments_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consultation_payments")),
        sa.UniqueConstraint(
            "provider",
            "provider_reference",
            name=op.f("uq_consultation_payments_provider_provider_reference"),
        ),
    )
    op.create_table(
        "checkout_sessions",
        sa.Column("provider", sa.String(length=20), nullable=False),
        sa.Column("idempotency_key", sa.String(length=120), nullable=False),
        sa.Column("session_id", sa.String(length=120), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("subject_id", ID, nullable=False),
        sa.Column("expires_at", stampbook.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_at", stampbook.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("id", ID, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_checkout_sessions")),
        sa.UniqueConstraint(
            "provider",
            "idempotency_key",
            name=op.f("uq_checkout_sessions_provider_idempotency_key"),
        ),
    )
    op.create_index(
        op.f("ix_consultation_payments_booking_id"),
        "consultation_payments",
        ["booking_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_consultation_payments_booking_id"), table_name="consultation_payments")
    op.drop_table("consultation_payments")
    op.drop_table("checkout_sessions")
