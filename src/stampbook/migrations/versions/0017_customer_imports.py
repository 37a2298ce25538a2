"""customer imports: the import log, the files waiting for their job, each failed row, the
row identifiers applied (once per program), and the customers' names

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-06 14:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import stampbook.core.db

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

WHEN = stampbook.core.db.UTCDateTime(timezone=True)
ID = stampbook.core.db.IdType


def upgrade() -> None:
    op.create_table(
        "customer_imports",
        sa.Column("program_id", ID, nullable=False),
        sa.Column("created_by", ID, nullable=False),
        sa.Column("file_name", sa.String(length=255), nullable=False),
        sa.Column("format", sa.String(length=4), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("rows_total", sa.Integer(), nullable=False),
        sa.Column("rows_done", sa.Integer(), nullable=False),
        sa.Column("rows_applied", sa.Integer(), nullable=False),
        sa.Column("rows_skipped", sa.Integer(), nullable=False),
        sa.Column("rows_failed", sa.Integer(), nullable=False),
        sa.Column("customers_added", sa.Integer(), nullable=False),
        sa.Column("points_credited", sa.BigInteger(), nullable=False),
        sa.Column("points_debited", sa.BigInteger(), nullable=False),
        sa.Column("error_code", sa.String(length=64), nullable=True),
        sa.Column("created_at", WHEN, nullable=False),
        sa.Column("started_at", WHEN, nullable=True),
        sa.Column("heartbeat_at", WHEN, nullable=True),
        sa.Column("finished_at", WHEN, nullable=True),
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name=op.f("fk_customer_imports_created_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["program_id"], ["programs.id"], name=op.f("fk_customer_imports_program_id_programs")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customer_imports")),
    )
    op.create_index(
        "ix_customer_imports_program_id_id", "customer_imports", ["program_id", "id"], unique=False
    )
    op.create_index(
        "ix_customer_imports_status_heartbeat",
        "customer_imports",
        ["status", "heartbeat_at"],
        unique=False,
    )
    op.create_table(
        "customer_import_chunks",
        sa.Column("import_id", ID, nullable=False),
        sa.Column("seq", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["import_id"],
            ["customer_imports.id"],
            name=op.f("fk_customer_import_chunks_import_id_customer_imports"),
        ),
        sa.PrimaryKeyConstraint("import_id", "seq", name=op.f("pk_customer_import_chunks")),
    )
    op.create_table(
        "customer_import_failures",
        sa.Column("import_id", ID, nullable=False),
        sa.Column("row", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("identifier", sa.String(length=100), nullable=True),
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.ForeignKeyConstraint(
            ["import_id"],
            ["customer_imports.id"],
            name=op.f("fk_customer_import_failures_import_id_customer_imports"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customer_import_failures")),
        sa.UniqueConstraint(
            "import_id", "row", name=op.f("uq_customer_import_failures_import_id_row")
        ),
    )
    op.create_table(
        "customer_import_rows",
        sa.Column("program_id", ID, nullable=False),
        sa.Column("identifier", sa.String(length=100), nullable=False),
        sa.Column("import_id", ID, nullable=False),
        sa.Column("row", sa.Integer(), nullable=False),
        sa.Column("membership_id", ID, nullable=False),
        sa.Column("applied_at", WHEN, nullable=False),
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.ForeignKeyConstraint(
            ["import_id"],
            ["customer_imports.id"],
            name=op.f("fk_customer_import_rows_import_id_customer_imports"),
        ),
        sa.ForeignKeyConstraint(
            ["membership_id"],
            ["memberships.id"],
            name=op.f("fk_customer_import_rows_membership_id_memberships"),
        ),
        sa.ForeignKeyConstraint(
            ["program_id"],
            ["programs.id"],
            name=op.f("fk_customer_import_rows_program_id_programs"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customer_import_rows")),
        sa.UniqueConstraint(
            "program_id", "identifier", name=op.f("uq_customer_import_rows_program_id_identifier")
        ),
    )
    op.create_index(
        op.f("ix_customer_import_rows_import_id"),
        "customer_import_rows",
        ["import_id"],
        unique=False,
    )
    op.create_table(
        "customer_profiles",
        sa.Column("membership_id", ID, nullable=False),
        sa.Column("first_name", sa.String(length=100), nullable=True),
        sa.Column("last_name", sa.String(length=100), nullable=True),
        sa.Column("search_name", sa.String(length=254), nullable=True),
        sa.Column("updated_at", WHEN, nullable=False),
        sa.ForeignKeyConstraint(
            ["membership_id"],
            ["memberships.id"],
            name=op.f("fk_customer_profiles_membership_id_memberships"),
        ),
        sa.PrimaryKeyConstraint("membership_id", name=op.f("pk_customer_profiles")),
    )


def downgrade() -> None:
    op.drop_table("customer_profiles")
    op.drop_index(op.f("ix_customer_import_rows_import_id"), table_name="customer_import_rows")
    op.drop_table("customer_import_rows")
    op.drop_table("customer_import_failures")
    op.drop_table("customer_import_chunks")
    op.drop_index("ix_customer_imports_status_heartbeat", table_name="customer_imports")
    op.drop_index("ix_customer_imports_program_id_id", table_name="customer_imports")
    op.drop_table("customer_imports")
