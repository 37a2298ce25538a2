"""store integrations: a shop's Shopify store connections and their webhook delivery log

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06 12:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import stampbook.core.db

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

WHEN = stampbook.core.db.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "integrations",
        sa.Column("shop_id", stampbook.core.db.IdType, nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("shop_domain", sa.String(length=255), nullable=False),
        sa.Column("secret", sa.String(length=255), nullable=False),
        sa.Column("program_id", stampbook.core.db.IdType, nullable=False),
        sa.Column("created_by", stampbook.core.db.IdType, nullable=False),
        sa.Column("created_at", WHEN, nullable=False),
        sa.Column("disabled_at", WHEN, nullable=True),
        sa.Column("id", stampbook.core.db.IdType, autoincrement=True, nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name=op.f("fk_integrations_created_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["program_id"], ["programs.id"], name=op.f("fk_integrations_program_id_programs")
        ),
        sa.ForeignKeyConstraint(
            ["shop_id"], ["shops.id"], name=op.f("fk_integrations_shop_id_shops")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_integrations")),
    )
    op.create_index(op.f("ix_integrations_shop_id"), "integrations", ["shop_id"], unique=False)
    # A store's domain belongs to one live connection at a time.
    op.create_index(
        "uq_integrations_live_shop_domain",
        "integrations",
        ["shop_domain"],
        unique=True,
        sqlite_where=sa.text("disabled_at IS NULL"),
        postgresql_where=sa.text("disabled_at IS NULL"),
    )
    op.create_table(
        "integration_deliveries",
        sa.Column("integration_id", stampbook.core.db.IdType, nullable=False),
        sa.Column("topic", sa.String(length=64), nullable=False),
        sa.Column("resource_key", sa.String(length=100), nullable=False),
        sa.Column("webhook_id", sa.String(length=100), nullable=True),
        sa.Column("received_at", WHEN, nullable=False),
        sa.Column("processed_at", WHEN, nullable=True),
        sa.Column("outcome", sa.String(length=10), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=True),
        sa.Column("params", sa.JSON(), nullable=True),
        sa.Column("tries", sa.Integer(), nullable=False),
        sa.Column("payload", sa.Text(), nullable=True),
        sa.Column("id", stampbook.core.db.IdType, autoincrement=True, nullable=False),
        sa.ForeignKeyConstraint(
            ["integration_id"],
            ["integrations.id"],
            name=op.f("fk_integration_deliveries_integration_id_integrations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_integration_deliveries")),
        # One delivery per connection, topic and the signed body's id.
        sa.UniqueConstraint(
            "integration_id",
            "topic",
            "resource_key",
            name=op.f("uq_integration_deliveries_integration_id_topic_resource_key"),
        ),
    )
    op.create_index(
        "ix_integration_deliveries_pending",
        "integration_deliveries",
        ["processed_at", "received_at"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_integration_deliveries_pending", table_name="integration_deliveries")
    op.drop_table("integration_deliveries")
    op.drop_index("uq_integrations_live_shop_domain", table_name="integrations")
    op.drop_index(op.f("ix_integrations_shop_id"), table_name="integrations")
    op.drop_table("integrations")
