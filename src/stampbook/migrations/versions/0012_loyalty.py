"""merchant loyalty: program currency, earning rules, credits, campaigns, orders, refunds
and birthdays

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-05 23:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import stampbook.core.db

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

WHEN = stampbook.core.db.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "earning_rules",
        sa.Column("program_id", stampbook.core.db.IdType, nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("activity", sa.String(length=64), nullable=True),
        sa.Column("points", sa.BigInteger(), nullable=False),
        sa.Column("per_amount", sa.BigInteger(), nullable=True),
        sa.Column("minimum_amount", sa.BigInteger(), nullable=True),
        sa.Column("include_shipping", sa.Boolean(), nullable=False),
        sa.Column("include_taxes", sa.Boolean(), nullable=False),
        sa.Column("starts_at", WHEN, nullable=True),
        sa.Column("ends_at", WHEN, nullable=True),
        sa.Column("limit_count", sa.Integer(), nullable=True),
        sa.Column("limit_period", sa.String(length=5), nullable=True),
        sa.Column("deleted_at", WHEN, nullable=True),
        sa.Column("id", stampbook.core.db.IdType, nullable=False),
        sa.Column("created_at", WHEN, nullable=False),
        sa.Column("edited_at", WHEN, nullable=True),
        sa.CheckConstraint("points > 0", name=op.f("ck_earning_rules_points_positive")),
        sa.ForeignKeyConstraint(
            ["program_id"], ["programs.id"], name=op.f("fk_earning_rules_program_id_programs")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_earning_rules")),
    )
    op.create_index(
        "ix_earning_rules_program_id_kind", "earning_rules", ["program_id", "kind"], unique=False
    )
    op.create_table(
        "order_refunds",
        sa.Column("program_id", stampbook.core.db.IdType, nullable=False),
        sa.Column("refund_id", sa.String(length=100), nullable=False),
        sa.Column("order_id", sa.String(length=100), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("points_clawed_back", sa.BigInteger(), nullable=False),
        sa.Column("shortfall", sa.BigInteger(), nullable=False),
        sa.Column("created_at", WHEN, nullable=False),
        sa.Column("applied_at", WHEN, nullable=True),
        sa.Column("id", stampbook.core.db.IdType, nullable=False),
        sa.ForeignKeyConstraint(
            ["program_id"], ["programs.id"], name=op.f("fk_order_refunds_program_id_programs")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_order_refunds")),
        sa.UniqueConstraint(
            "program_id", "refund_id", name=op.f("uq_order_refunds_program_id_refund_id")
        ),
    )
    op.create_index(
        "ix_order_refunds_program_order", "order_refunds", ["program_id", "order_id"], unique=False
    )
    op.create_table(
        "orders",
        sa.Column("program_id", stampbook.core.db.IdType, nullable=False),
        sa.Column("membership_id", stampbook.core.db.IdType, nullable=True),
        sa.Column("order_id", sa.String(length=100), nullable=False),
        sa.Column("source", sa.String(length=10), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("subtotal", sa.BigInteger(), nullable=False),
        sa.Column("shipping", sa.BigInteger(), nullable=False),
        sa.Column("taxes", sa.BigInteger(), nullable=False),
        sa.Column("total", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("test", sa.Boolean(), nullable=False),
        sa.Column("eligible_amount", sa.BigInteger(), nullable=False),
        sa.Column("rule_id", stampbook.core.db.IdType, nullable=True),
        sa.Column("rate", sa.JSON(), nullable=True),
        sa.Column("points_base", sa.BigInteger(), nullable=False),
        sa.Column("points_campaign", sa.BigInteger(), nullable=False),
        sa.Column("points_earned", sa.BigInteger(), nullable=False),
        sa.Column("points_clawed_back", sa.BigInteger(), nullable=False),
        sa.Column("shortfall", sa.BigInteger(), nullable=False),
        sa.Column("refunded_amount", sa.BigInteger(), nullable=False),
        sa.Column("paid_at", WHEN, nullable=True),
        sa.Column("cancelled_at", WHEN, nullable=True),
        sa.Column("id", stampbook.core.db.IdType, nullable=False),
        sa.Column("created_at", WHEN, nullable=False),
        sa.Column("edited_at", WHEN, nullable=True),
        sa.CheckConstraint(
            "points_clawed_back <= points_earned", name=op.f("ck_orders_clawback_capped")
        ),
        sa.ForeignKeyConstraint(
            ["membership_id"], ["memberships.id"], name=op.f("fk_orders_membership_id_memberships")
        ),
        sa.ForeignKeyConstraint(
            ["program_id"], ["programs.id"], name=op.f("fk_orders_program_id_programs")
        ),
        sa.ForeignKeyConstraint(
            ["rule_id"], ["earning_rules.id"], name=op.f("fk_orders_rule_id_earning_rules")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_orders")),
        sa.UniqueConstraint("program_id", "order_id", name=op.f("uq_orders_program_id_order_id")),
    )
    op.create_index(op.f("ix_orders_membership_id"), "orders", ["membership_id"], unique=False)
    op.create_table(
        "earning_credits",
        sa.Column("rule_id", stampbook.core.db.IdType, nullable=False),
        sa.Column("membership_id", stampbook.core.db.IdType, nullable=False),
        sa.Column("reference", sa.String(length=100), nullable=True),
        sa.Column("points", sa.BigInteger(), nullable=False),
        sa.Column("entry_id", stampbook.core.db.IdType, nullable=True),
        sa.Column("credited_at", WHEN, nullable=False),
        sa.Column("id", stampbook.core.db.IdType, nullable=False),
        sa.ForeignKeyConstraint(
            ["entry_id"],
            ["ledger_entries.id"],
            name=op.f("fk_earning_credits_entry_id_ledger_entries"),
        ),
        sa.ForeignKeyConstraint(
            ["membership_id"],
            ["memberships.id"],
            name=op.f("fk_earning_credits_membership_id_memberships"),
        ),
        sa.ForeignKeyConstraint(
            ["rule_id"], ["earning_rules.id"], name=op.f("fk_earning_credits_rule_id_earning_rules")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_earning_credits")),
        sa.UniqueConstraint(
            "rule_id", "reference", name=op.f("uq_earning_credits_rule_id_reference")
        ),
    )
    op.create_index(
        "ix_earning_credits_membership_rule",
        "earning_credits",
        ["membership_id", "rule_id", "credited_at"],
        unique=False,
    )
    op.add_column(
        "programs", sa.Column("currency", sa.String(length=3), server_default="USD", nullable=False)
    )

    op.create_table(
        "campaigns",
        sa.Column("program_id", stampbook.core.db.IdType, nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("multiplier_percent", sa.Integer(), nullable=True),
        sa.Column("bonus_points", sa.BigInteger(), nullable=True),
        sa.Column("rule_kinds", sa.JSON(), nullable=False),
        sa.Column("starts_at", WHEN, nullable=False),
        sa.Column("ends_at", WHEN, nullable=False),
        sa.Column("deleted_at", WHEN, nullable=True),
        sa.Column("id", stampbook.core.db.IdType, nullable=False),
        sa.Column("created_at", WHEN, nullable=False),
        sa.Column("edited_at", WHEN, nullable=True),
        sa.CheckConstraint("ends_at > starts_at", name=op.f("ck_campaigns_window_ordered")),
        sa.ForeignKeyConstraint(
            ["program_id"], ["programs.id"], name=op.f("fk_campaigns_program_id_programs")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaigns")),
    )
    op.create_index(
        "ix_campaigns_program_window",
        "campaigns",
        ["program_id", "starts_at", "ends_at"],
        unique=False,
    )

    op.add_column("users", sa.Column("birthday", sa.String(length=5), nullable=True))
    op.add_column("users", sa.Column("birthday_set_at", WHEN, nullable=True))


def downgrade() -> None:
    # In place on SQLite too (3.35+): a batch copy of users would trip the memberships'
    # triggers that read it.
    op.execute("ALTER TABLE users DROP COLUMN birthday_set_at")
    op.execute("ALTER TABLE users DROP COLUMN birthday")
    op.drop_index("ix_campaigns_program_window", table_name="campaigns")
    op.drop_table("campaigns")
    # In place on SQLite too (3.35+), as 0011 does.
    op.execute("ALTER TABLE programs DROP COLUMN currency")
    op.drop_index("ix_earning_credits_membership_rule", table_name="earning_credits")
    op.drop_table("earning_credits")
    op.drop_index(op.f("ix_orders_membership_id"), table_name="orders")
    op.drop_table("orders")
    op.drop_index("ix_order_refunds_program_order", table_name="order_refunds")
    op.drop_table("order_refunds")
    op.drop_index("ix_earning_rules_program_id_kind", table_name="earning_rules")
    op.drop_table("earning_rules")
