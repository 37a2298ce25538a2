"""payment deliveries: the online payments provider's webhook events, once per provider
and event id (Stripe's ``evt_...``)

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-06 06:05:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import stampbook.core.db

revision: str = "0023"
down_revision: str | None = "0022"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "payment_deliveries",
        sa.Column("provider", sa.String(length=20), nullable=False),
        sa.Column("delivery_id", sa.String(length=120), nullable=False),
        sa.Column("event_type", sa.String(length=100), nullable=False),
        sa.Column(
            "registration_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("outcome", sa.String(length=30), nullable=False),
        sa.Column("received_at", stampbook.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.ForeignKeyConstraint(
            ["registration_id"],
            ["registrations.id"],
            name=op.f("fk_payment_deliveries_registration_id_registrations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payment_deliveries")),
        sa.UniqueConstraint(
            "provider", "delivery_id", name=op.f("uq_payment_deliveries_provider_delivery_id")
        ),
    )
    op.create_index(
        op.f("ix_payment_deliveries_registration_id"),
        "payment_deliveries",
        ["registration_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_payment_deliveries_registration_id"), table_name="payment_deliveries")
    op.drop_table("payment_deliveries")
