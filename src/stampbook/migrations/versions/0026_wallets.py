"""wallets: shops' wallet settings, members' passes and the devices registered for them

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-06 08:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import stampbook.core.db

revision: str = "0026"
down_revision: str | None = "0025"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_MOMENT = stampbook.core.db.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "wallet_settings",
        sa.Column("shop_id", _ID, nullable=False),
        sa.Column("apple_pass_type_id", sa.String(length=255), nullable=True),
        sa.Column("apple_team_id", sa.String(length=20), nullable=True),
        sa.Column("apple_certificate", sa.Text(), nullable=True),
        sa.Column("apple_private_key", sa.Text(), nullable=True),
        sa.Column("apple_wwdr_certificate", sa.Text(), nullable=True),
        sa.Column("google_issuer_id", sa.String(length=40), nullable=True),
        sa.Column("google_service_account", sa.Text(), nullable=True),
        sa.Column("id", _ID, nullable=False),
        sa.Column("created_at", _MOMENT, nullable=False),
        sa.Column("edited_at", _MOMENT, nullable=True),
        sa.ForeignKeyConstraint(
            ["shop_id"], ["shops.id"], name=op.f("fk_wallet_settings_shop_id_shops")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_wallet_settings")),
        sa.UniqueConstraint("shop_id", name=op.f("uq_wallet_settings_shop_id")),
    )
    op.create_table(
        "wallet_passes",
        sa.Column("membership_id", _ID, nullable=False),
        sa.Column("serial_number", sa.String(length=64), nullable=False),
        sa.Column("authentication_token", sa.String(length=64), nullable=False),
        sa.Column("update_tag", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", _MOMENT, nullable=False),
        sa.Column("google_saved_at", _MOMENT, nullable=True),
        sa.Column("id", _ID, nullable=False),
        sa.Column("created_at", _MOMENT, nullable=False),
        sa.Column("edited_at", _MOMENT, nullable=True),
        sa.ForeignKeyConstraint(
            ["membership_id"],
            ["memberships.id"],
            name=op.f("fk_wallet_passes_membership_id_memberships"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_wallet_passes")),
        sa.UniqueConstraint("membership_id", name=op.f("uq_wallet_passes_membership_id")),
        sa.UniqueConstraint("serial_number", name=op.f("uq_wallet_passes_serial_number")),
    )
    op.create_table(
        "wallet_devices",
        sa.Column("device_library_id", sa.String(length=128), nullable=False),
        sa.Column("pass_id", _ID, nullable=False),
        sa.Column("push_token", sa.String(length=200), nullable=False),
        sa.Column("registered_at", _MOMENT, nullable=False),
        sa.Column("id", _ID, nullable=False),
        sa.ForeignKeyConstraint(
            ["pass_id"],
            ["wallet_passes.id"],
            name=op.f("fk_wallet_devices_pass_id_wallet_passes"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_wallet_devices")),
        sa.UniqueConstraint(
            "device_library_id",
            "pass_id",
            name=op.f("uq_wallet_devices_device_library_id_pass_id"),
        ),
    )
    op.create_index("ix_wallet_devices_pass_id", "wallet_devices", ["pass_id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_wallet_devices_pass_id", table_name="wallet_devices")
    op.drop_table("wallet_devices")
    op.drop_table("wallet_passes")
    op.drop_table("wallet_settings")
