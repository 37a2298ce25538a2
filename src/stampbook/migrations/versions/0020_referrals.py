"""referrals: a program's referral settings, members' codes, referrals (a friend held by one
live referral per program: partial unique indexes) and invitations sent by email

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-06 04:46:21
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import stampbook.core.db

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "referral_settings",
        sa.Column(
            "program_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("completes", sa.String(length=20), nullable=False),
        sa.Column("minimum_amount", sa.BigInteger(), nullable=False),
        sa.Column("advocate_points", sa.BigInteger(), nullable=False),
        sa.Column(
            "advocate_reward_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            nullable=True,
        ),
        sa.Column("friend_points", sa.BigInteger(), nullable=False),
        sa.Column(
            "friend_reward_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("escalation", sa.JSON(), nullable=False),
        sa.Column("expiry_days", sa.Integer(), nullable=False),
        sa.Column("cap_count", sa.Integer(), nullable=True),
        sa.Column("cap_period", sa.String(length=5), nullable=False),
        sa.Column("email_sharing", sa.Boolean(), nullable=False),
        sa.Column("created_at", stampbook.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("edited_at", stampbook.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "advocate_points >= 0 AND friend_points >= 0",
            name=op.f("ck_referral_settings_points_not_negative"),
        ),
        sa.CheckConstraint(
            "expiry_days >= 1", name=op.f("ck_referral_settings_expiry_days_positive")
        ),
        sa.CheckConstraint(
            "minimum_amount >= 0", name=op.f("ck_referral_settings_minimum_not_negative")
        ),
        sa.ForeignKeyConstraint(
            ["advocate_reward_id"],
            ["rewards.id"],
            name=op.f("fk_referral_settings_advocate_reward_id_rewards"),
        ),
        sa.ForeignKeyConstraint(
            ["friend_reward_id"],
            ["rewards.id"],
            name=op.f("fk_referral_settings_friend_reward_id_rewards"),
        ),
        sa.ForeignKeyConstraint(
            ["program_id"], ["programs.id"], name=op.f("fk_referral_settings_program_id_programs")
        ),
        sa.PrimaryKeyConstraint("program_id", name=op.f("pk_referral_settings")),
    )
    op.create_table(
        "referral_codes",
        sa.Column(
            "membership_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "program_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("code", sa.String(length=16), nullable=False),
        sa.Column("created_at", stampbook.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["membership_id"],
            ["memberships.id"],
            name=op.f("fk_referral_codes_membership_id_memberships"),
        ),
        sa.ForeignKeyConstraint(
            ["program_id"], ["programs.id"], name=op.f("fk_referral_codes_program_id_programs")
        ),
        sa.PrimaryKeyConstraint("membership_id", name=op.f("pk_referral_codes")),
        sa.UniqueConstraint("code", name=op.f("uq_referral_codes_code")),
    )
    op.create_table(
        "referral_invitations",
        sa.Column(
            "program_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "advocate_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("created_at", stampbook.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("sent_at", stampbook.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.ForeignKeyConstraint(
            ["advocate_id"],
            ["memberships.id"],
            name=op.f("fk_referral_invitations_advocate_id_memberships"),
        ),
        sa.ForeignKeyConstraint(
            ["program_id"],
            ["programs.id"],
            name=op.f("fk_referral_invitations_program_id_programs"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_referral_invitations")),
    )
    with op.batch_alter_table("referral_invitations", schema=None) as batch_op:
        batch_op.create_index(
            "ix_referral_invitations_advocate_id", ["advocate_id", "created_at"], unique=False
        )

    op.create_table(
        "referrals",
        sa.Column(
            "program_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "advocate_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("friend_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("friend_email", sa.String(length=254), nullable=True),
        sa.Column("code", sa.String(length=16), nullable=False),
        sa.Column("method", sa.String(length=10), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("reason", sa.String(length=30), nullable=True),
        sa.Column("held", sa.Boolean(), nullable=False),
        sa.Column("network", sa.String(length=45), nullable=True),
        sa.Column("order_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("qualified_at", stampbook.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", stampbook.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", stampbook.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("completed_at", stampbook.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("decided_at", stampbook.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column(
            "decided_by", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("ordinal", sa.Integer(), nullable=True),
        sa.Column("conversion_seconds", sa.BigInteger(), nullable=True),
        sa.Column("advocate_points", sa.BigInteger(), nullable=False),
        sa.Column("friend_points", sa.BigInteger(), nullable=False),
        sa.Column(
            "advocate_reward_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            nullable=True,
        ),
        sa.Column(
            "friend_reward_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column(
            "advocate_entry_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column(
            "friend_entry_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.ForeignKeyConstraint(
            ["advocate_entry_id"],
            ["ledger_entries.id"],
            name=op.f("fk_referrals_advocate_entry_id_ledger_entries"),
        ),
        sa.ForeignKeyConstraint(
            ["advocate_id"], ["memberships.id"], name=op.f("fk_referrals_advocate_id_memberships")
        ),
        sa.ForeignKeyConstraint(
            ["advocate_reward_id"],
            ["rewards.id"],
            name=op.f("fk_referrals_advocate_reward_id_rewards"),
        ),
        sa.ForeignKeyConstraint(
            ["decided_by"], ["users.id"], name=op.f("fk_referrals_decided_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["friend_entry_id"],
            ["ledger_entries.id"],
            name=op.f("fk_referrals_friend_entry_id_ledger_entries"),
        ),
        sa.ForeignKeyConstraint(
            ["friend_id"], ["memberships.id"], name=op.f("fk_referrals_friend_id_memberships")
        ),
        sa.ForeignKeyConstraint(
            ["friend_reward_id"], ["rewards.id"], name=op.f("fk_referrals_friend_reward_id_rewards")
        ),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_referrals_order_id_orders")
        ),
        sa.ForeignKeyConstraint(
            ["program_id"], ["programs.id"], name=op.f("fk_referrals_program_id_programs")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_referrals")),
    )
    with op.batch_alter_table("referrals", schema=None) as batch_op:
        batch_op.create_index(
            "ix_referrals_advocate_id_status", ["advocate_id", "status"], unique=False
        )
        batch_op.create_index(
            "ix_referrals_pending_expires_at",
            ["expires_at"],
            unique=False,
            sqlite_where=sa.text("status = 'pending'"),
            postgresql_where=sa.text("status = 'pending'"),
        )
        batch_op.create_index("ix_referrals_program_id_id", ["program_id", "id"], unique=False)
        batch_op.create_index(
            "ix_referrals_program_id_network", ["program_id", "network", "created_at"], unique=False
        )
        batch_op.create_index(
            "uq_referrals_friend",
            ["program_id", "friend_id"],
            unique=True,
            sqlite_where=sa.text("status IN ('pending', 'completed')"),
            postgresql_where=sa.text("status IN ('pending', 'completed')"),
        )
        batch_op.create_index(
            "uq_referrals_friend_email",
            ["program_id", "friend_email"],
            unique=True,
            sqlite_where=sa.text("status IN ('pending', 'completed')"),
            postgresql_where=sa.text("status IN ('pending', 'completed')"),
        )


def downgrade() -> None:
    with op.batch_alter_table("referrals", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_referrals_friend_email",
            sqlite_where=sa.text("status IN ('pending', 'completed')"),
            postgresql_where=sa.text("status IN ('pending', 'completed')"),
        )
        batch_op.drop_index(
            "uq_referrals_friend",
            sqlite_where=sa.text("status IN ('pending', 'completed')"),
            postgresql_where=sa.text("status IN ('pending', 'completed')"),
        )
        batch_op.drop_index("ix_referrals_program_id_network")
        batch_op.drop_index("ix_referrals_program_id_id")
        batch_op.drop_index(
            "ix_referrals_pending_expires_at",
            sqlite_where=sa.text("status = 'pending'"),
            postgresql_where=sa.text("status = 'pending'"),
        )
        batch_op.drop_index("ix_referrals_advocate_id_status")

    op.drop_table("referrals")
    with op.batch_alter_table("referral_invitations", schema=None) as batch_op:
        batch_op.drop_index("ix_referral_invitations_advocate_id")

    op.drop_table("referral_invitations")
    op.drop_table("referral_codes")
    op.drop_table("referral_settings")
