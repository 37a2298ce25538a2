"""tiers: a program's tier settings and tiers, members' standing, qualifying totals per
period bucket, the history of tier changes and the entry rewards granted; an order's
points from its member's tier multiplier

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-06 16:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import stampbook.core.db

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

WHEN = stampbook.core.db.UTCDateTime(timezone=True)
ID = stampbook.core.db.IdType


def upgrade() -> None:
    op.add_column(
        "orders",
        sa.Column("points_tier", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
    )
    op.create_table(
        "tier_settings",
        sa.Column("program_id", ID, nullable=False),
        sa.Column("basis", sa.String(length=6), nullable=False),
        sa.Column("period", sa.String(length=20), nullable=False),
        sa.Column("demote_on_refund", sa.Boolean(), nullable=False),
        sa.Column("retention_percent", sa.Integer(), nullable=False),
        sa.Column("created_at", WHEN, nullable=False),
        sa.Column("edited_at", WHEN, nullable=True),
        sa.CheckConstraint(
            "retention_percent >= 1 AND retention_percent <= 100",
            name=op.f("ck_tier_settings_retention_range"),
        ),
        sa.ForeignKeyConstraint(
            ["program_id"], ["programs.id"], name=op.f("fk_tier_settings_program_id_programs")
        ),
        sa.PrimaryKeyConstraint("program_id", name=op.f("pk_tier_settings")),
    )
    op.create_table(
        "tiers",
        sa.Column("program_id", ID, nullable=False),
        sa.Column("name", sa.String(length=60), nullable=False),
        sa.Column("threshold", sa.BigInteger(), nullable=False),
        sa.Column("multiplier_percent", sa.Integer(), nullable=False),
        sa.Column("perks", sa.JSON(), nullable=False),
        sa.Column("reward_id", ID, nullable=True),
        sa.Column("entry_points", sa.BigInteger(), nullable=False),
        sa.Column("deleted_at", WHEN, nullable=True),
        sa.Column("id", ID, nullable=False),
        sa.Column("created_at", WHEN, nullable=False),
        sa.Column("edited_at", WHEN, nullable=True),
        sa.CheckConstraint("entry_points >= 0", name=op.f("ck_tiers_entry_points_not_negative")),
        sa.CheckConstraint(
            "multiplier_percent > 0 AND multiplier_percent <= 10000",
            name=op.f("ck_tiers_multiplier_range"),
        ),
        sa.CheckConstraint("threshold > 0", name=op.f("ck_tiers_threshold_positive")),
        sa.ForeignKeyConstraint(
            ["program_id"], ["programs.id"], name=op.f("fk_tiers_program_id_programs")
        ),
        sa.ForeignKeyConstraint(
            ["reward_id"], ["rewards.id"], name=op.f("fk_tiers_reward_id_rewards")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tiers")),
    )
    op.create_index(
        "ix_tiers_program_id_threshold", "tiers", ["program_id", "threshold"], unique=False
    )
    op.create_table(
        "member_tiers",
        sa.Column("membership_id", ID, nullable=False),
        sa.Column("program_id", ID, nullable=False),
        sa.Column("tier_id", ID, nullable=True),
        sa.Column("since", WHEN, nullable=True),
        sa.Column("held_from", sa.Date(), nullable=True),
        sa.Column("floor_tier_id", ID, nullable=True),
        sa.Column("review_at", WHEN, nullable=True),
        sa.Column("floor_reason", sa.String(length=200), nullable=True),
        sa.Column("floor_by", ID, nullable=True),
        sa.Column("created_at", WHEN, nullable=False),
        sa.Column("edited_at", WHEN, nullable=True),
        sa.ForeignKeyConstraint(
            ["floor_by"], ["users.id"], name=op.f("fk_member_tiers_floor_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["floor_tier_id"], ["tiers.id"], name=op.f("fk_member_tiers_floor_tier_id_tiers")
        ),
        sa.ForeignKeyConstraint(
            ["membership_id"],
            ["memberships.id"],
            name=op.f("fk_member_tiers_membership_id_memberships"),
        ),
        sa.ForeignKeyConstraint(
            ["program_id"], ["programs.id"], name=op.f("fk_member_tiers_program_id_programs")
        ),
        sa.ForeignKeyConstraint(
            ["tier_id"], ["tiers.id"], name=op.f("fk_member_tiers_tier_id_tiers")
        ),
        sa.PrimaryKeyConstraint("membership_id", name=op.f("pk_member_tiers")),
    )
    op.create_index(
        op.f("ix_member_tiers_program_id"), "member_tiers", ["program_id"], unique=False
    )
    op.create_index(op.f("ix_member_tiers_review_at"), "member_tiers", ["review_at"], unique=False)
    op.create_table(
        "tier_changes",
        sa.Column("membership_id", ID, nullable=False),
        sa.Column("program_id", ID, nullable=False),
        sa.Column("from_tier_id", ID, nullable=True),
        sa.Column("to_tier_id", ID, nullable=True),
        sa.Column("cause", sa.String(length=10), nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=True),
        sa.Column("actor_id", ID, nullable=True),
        sa.Column("created_at", WHEN, nullable=False),
        sa.Column("id", ID, nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_id"], ["users.id"], name=op.f("fk_tier_changes_actor_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["from_tier_id"], ["tiers.id"], name=op.f("fk_tier_changes_from_tier_id_tiers")
        ),
        sa.ForeignKeyConstraint(
            ["membership_id"],
            ["memberships.id"],
            name=op.f("fk_tier_changes_membership_id_memberships"),
        ),
        sa.ForeignKeyConstraint(
            ["program_id"], ["programs.id"], name=op.f("fk_tier_changes_program_id_programs")
        ),
        sa.ForeignKeyConstraint(
            ["to_tier_id"], ["tiers.id"], name=op.f("fk_tier_changes_to_tier_id_tiers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tier_changes")),
    )
    op.create_index(
        "ix_tier_changes_membership_id_id", "tier_changes", ["membership_id", "id"], unique=False
    )
    op.create_table(
        "tier_totals",
        sa.Column("membership_id", ID, nullable=False),
        sa.Column("bucket", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["membership_id"],
            ["memberships.id"],
            name=op.f("fk_tier_totals_membership_id_memberships"),
        ),
        sa.PrimaryKeyConstraint("membership_id", "bucket", name=op.f("pk_tier_totals")),
    )
    op.create_table(
        "tier_entry_grants",
        sa.Column("membership_id", ID, nullable=False),
        sa.Column("tier_id", ID, nullable=False),
        sa.Column("period_key", sa.Integer(), nullable=False),
        sa.Column("entry_id", ID, nullable=True),
        sa.Column("redemption_id", ID, nullable=True),
        sa.Column("created_at", WHEN, nullable=False),
        sa.Column("id", ID, nullable=False),
        sa.ForeignKeyConstraint(
            ["entry_id"],
            ["ledger_entries.id"],
            name=op.f("fk_tier_entry_grants_entry_id_ledger_entries"),
        ),
        sa.ForeignKeyConstraint(
            ["redemption_id"],
            ["redemptions.id"],
            name=op.f("fk_tier_entry_grants_redemption_id_redemptions"),
        ),
        sa.ForeignKeyConstraint(
            ["membership_id"],
            ["memberships.id"],
            name=op.f("fk_tier_entry_grants_membership_id_memberships"),
        ),
        sa.ForeignKeyConstraint(
            ["tier_id"], ["tiers.id"], name=op.f("fk_tier_entry_grants_tier_id_tiers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tier_entry_grants")),
        sa.UniqueConstraint(
            "membership_id",
            "tier_id",
            "period_key",
            name=op.f("uq_tier_entry_grants_membership_id_tier_id_period_key"),
        ),
    )
    # Rewards given for free (a tier's entry reward, a referral's): one per cause.
    op.create_table(
        "reward_grants",
        sa.Column("cause_type", sa.String(length=30), nullable=False),
        sa.Column("cause_id", sa.BigInteger(), nullable=False),
        sa.Column("membership_id", ID, nullable=False),
        sa.Column("reward_id", ID, nullable=False),
        sa.Column("outcome", sa.String(length=12), nullable=False),
        sa.Column("redemption_id", ID, nullable=True),
        sa.Column("created_at", WHEN, nullable=False),
        sa.Column("settled_at", WHEN, nullable=True),
        sa.Column("id", ID, nullable=False),
        sa.ForeignKeyConstraint(
            ["membership_id"],
            ["memberships.id"],
            name=op.f("fk_reward_grants_membership_id_memberships"),
        ),
        sa.ForeignKeyConstraint(
            ["redemption_id"],
            ["redemptions.id"],
            name=op.f("fk_reward_grants_redemption_id_redemptions"),
        ),
        sa.ForeignKeyConstraint(
            ["reward_id"], ["rewards.id"], name=op.f("fk_reward_grants_reward_id_rewards")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reward_grants")),
        sa.UniqueConstraint(
            "cause_type", "cause_id", name=op.f("uq_reward_grants_cause_type_cause_id")
        ),
    )
    op.create_index(
        "ix_reward_grants_membership_id_outcome",
        "reward_grants",
        ["membership_id", "outcome"],
        unique=False,
    )


def downgrade() -> None:
    # In place on SQLite too (3.35+), as 0018 does.
    op.execute("ALTER TABLE orders DROP COLUMN points_tier")
    op.drop_index("ix_reward_grants_membership_id_outcome", table_name="reward_grants")
    op.drop_table("reward_grants")
    op.drop_table("tier_entry_grants")
    op.drop_table("tier_totals")
    op.drop_index("ix_tier_changes_membership_id_id", table_name="tier_changes")
    op.drop_table("tier_changes")
    op.drop_index(op.f("ix_member_tiers_review_at"), table_name="member_tiers")
    op.drop_index(op.f("ix_member_tiers_program_id"), table_name="member_tiers")
    op.drop_table("member_tiers")
    op.drop_index("ix_tiers_program_id_threshold", table_name="tiers")
    op.drop_table("tiers")
    op.drop_table("tier_settings")
