"""events: a shop's events and recurring series (occurrences are events of their own),
registrations with tickets and the waiting list, payments recorded per registration

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-06 05:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import stampbook.core.db

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "event_series",
        sa.Column("shop_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("rrule", sa.String(length=500), nullable=False),
        sa.Column("local_start", sa.String(length=5), nullable=False),
        sa.Column("first_day", sa.Date(), nullable=False),
        sa.Column("time_zone", sa.String(length=64), nullable=False),
        sa.Column("duration_minutes", sa.Integer(), nullable=False),
        sa.Column("generated_until", sa.Date(), nullable=True),
        sa.Column("ended_at", stampbook.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("created_at", stampbook.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("edited_at", stampbook.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["shop_id"], ["shops.id"], name=op.f("fk_event_series_shop_id_shops")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_event_series")),
    )
    op.create_index(op.f("ix_event_series_shop_id"), "event_series", ["shop_id"], unique=False)
    op.create_table(
        "events",
        sa.Column("shop_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("series_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("series_key", sa.String(length=10), nullable=True),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("event_type", sa.String(length=50), nullable=False),
        sa.Column("location", sa.String(length=255), nullable=False),
        sa.Column("starts_at", stampbook.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("ends_at", stampbook.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=True),
        sa.Column("registered", sa.Integer(), nullable=False),
        sa.Column(
            "registration_opens_at", stampbook.core.db.UTCDateTime(timezone=True), nullable=True
        ),
        sa.Column(
            "registration_closes_at", stampbook.core.db.UTCDateTime(timezone=True), nullable=True
        ),
        sa.Column(
            "cancellation_deadline", stampbook.core.db.UTCDateTime(timezone=True), nullable=True
        ),
        sa.Column("price", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("hold_hours", sa.Integer(), nullable=False),
        sa.Column("points", sa.BigInteger(), nullable=False),
        sa.Column(
            "program_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("cancelled_at", stampbook.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("closed_at", stampbook.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column(
            "created_by", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("deleted_at", stampbook.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("created_at", stampbook.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("edited_at", stampbook.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "capacity IS NULL OR capacity >= 0", name=op.f("ck_events_capacity_not_negative")
        ),
        sa.CheckConstraint("ends_at > starts_at", name=op.f("ck_events_ends_after_start")),
        sa.CheckConstraint("points >= 0", name=op.f("ck_events_points_not_negative")),
        sa.CheckConstraint("price >= 0", name=op.f("ck_events_price_not_negative")),
        sa.CheckConstraint("registered >= 0", name=op.f("ck_events_registered_not_negative")),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name=op.f("fk_events_created_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["program_id"], ["programs.id"], name=op.f("fk_events_program_id_programs")
        ),
        sa.ForeignKeyConstraint(
            ["series_id"], ["event_series.id"], name=op.f("fk_events_series_id_event_series")
        ),
        sa.ForeignKeyConstraint(["shop_id"], ["shops.id"], name=op.f("fk_events_shop_id_shops")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_events")),
        sa.UniqueConstraint("series_id", "series_key", name=op.f("uq_events_series_id_series_key")),
    )
    op.create_index(op.f("ix_events_event_type"), "events", ["event_type"], unique=False)
    op.create_index("ix_events_shop_id_starts_at", "events", ["shop_id", "starts_at"], unique=False)
    op.create_table(
        "registrations",
        sa.Column("event_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("user_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("ticket_code", sa.String(length=40), nullable=False),
        sa.Column("joined_at", stampbook.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("payment_status", sa.String(length=8), nullable=False),
        sa.Column("hold_expires_at", stampbook.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("promoted_at", stampbook.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("cancelled_at", stampbook.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("cancel_reason", sa.String(length=20), nullable=True),
        sa.Column("checked_in_at", stampbook.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("checked_out_at", stampbook.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column(
            "checked_in_by", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("check_in_nonce", sa.String(length=64), nullable=True),
        sa.Column(
            "points_entry_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("created_at", stampbook.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("edited_at", stampbook.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["checked_in_by"], ["users.id"], name=op.f("fk_registrations_checked_in_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["event_id"], ["events.id"], name=op.f("fk_registrations_event_id_events")
        ),
        sa.ForeignKeyConstraint(
            ["points_entry_id"],
            ["ledger_entries.id"],
            name=op.f("fk_registrations_points_entry_id_ledger_entries"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_registrations_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_registrations")),
        sa.UniqueConstraint("event_id", "user_id", name=op.f("uq_registrations_event_id_user_id")),
        sa.UniqueConstraint("ticket_code", name=op.f("uq_registrations_ticket_code")),
    )
    op.create_index(
        "ix_registrations_event_id_status_joined_at",
        "registrations",
        ["event_id", "status", "joined_at"],
        unique=False,
    )
    op.create_index(
        "ix_registrations_hold_expires_at", "registrations", ["hold_expires_at"], unique=False
    )
    op.create_index(op.f("ix_registrations_user_id"), "registrations", ["user_id"], unique=False)
    op.create_table(
        "payments",
        sa.Column(
            "registration_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("user_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("event_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("provider", sa.String(length=20), nullable=True),
        sa.Column("provider_reference", sa.String(length=120), nullable=True),
        sa.Column("paid_at", stampbook.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column(
            "recorded_by", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("created_at", stampbook.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.ForeignKeyConstraint(
            ["event_id"], ["events.id"], name=op.f("fk_payments_event_id_events")
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by"], ["users.id"], name=op.f("fk_payments_recorded_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["registration_id"],
            ["registrations.id"],
            name=op.f("fk_payments_registration_id_registrations"),
        ),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_payments_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payments")),
        sa.UniqueConstraint(
            "provider", "provider_reference", name=op.f("uq_payments_provider_provider_reference")
        ),
    )
    op.create_index(
        "ix_payments_event_id_paid_at", "payments", ["event_id", "paid_at"], unique=False
    )
    op.create_index(
        op.f("ix_payments_registration_id"), "payments", ["registration_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_payments_registration_id"), table_name="payments")
    op.drop_index("ix_payments_event_id_paid_at", table_name="payments")
    op.drop_table("payments")
    op.drop_index(op.f("ix_registrations_user_id"), table_name="registrations")
    op.drop_index("ix_registrations_hold_expires_at", table_name="registrations")
    op.drop_index("ix_registrations_event_id_status_joined_at", table_name="registrations")
    op.drop_table("registrations")
    op.drop_index("ix_events_shop_id_starts_at", table_name="events")
    op.drop_index(op.f("ix_events_event_type"), table_name="events")
    op.drop_table("events")
    op.drop_index(op.f("ix_event_series_shop_id"), table_name="event_series")
    op.drop_table("event_series")
