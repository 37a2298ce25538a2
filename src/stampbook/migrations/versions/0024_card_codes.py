"""card codes: each membership's card code (filled for the existing ones, then unique and
required), and the codes members replaced

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-06 08:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import stampbook.core.db
from stampbook.core.codes import new_code

revision: str = "0024"
down_revision: str | None = "0023"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Existing memberships get their codes in batches, so a large table is not read at once.
_BATCH = 1000

# SQLite makes a column required by copying the table: the search-key triggers that name
# memberships (revision 0005's) are dropped before the copy and made again after it, and the
# leaderboard's index, which the copy makes again without its DESC.
FOLLOW_USER = (
    "BEGIN UPDATE memberships SET "
    "search_name = (SELECT coalesce(search_name, lower(name)) FROM users WHERE id = NEW.user_id), "
    "search_email = lower(coalesce((SELECT email FROM users WHERE id = NEW.user_id), "
    "NEW.email)) WHERE id = NEW.id; END"
)
SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS memberships_search_keys_insert",
    "DROP TRIGGER IF EXISTS memberships_search_keys_update",
    "DROP TRIGGER IF EXISTS users_search_keys",
]
SQLITE_CREATE = [
    "CREATE TRIGGER memberships_search_keys_insert AFTER INSERT ON memberships " + FOLLOW_USER,
    "CREATE TRIGGER memberships_search_keys_update AFTER UPDATE OF user_id, email "
    "ON memberships " + FOLLOW_USER,
    "CREATE TRIGGER users_search_keys AFTER UPDATE OF name, search_name, email ON users "
    "BEGIN UPDATE memberships SET search_name = coalesce(NEW.search_name, lower(NEW.name)), "
    "search_email = lower(coalesce(NEW.email, email)) WHERE user_id = NEW.id; END",
    "DROP INDEX IF EXISTS ix_memberships_leaderboard",
    "CREATE INDEX ix_memberships_leaderboard ON memberships (program_id, balance DESC, id)",
]


def _on_sqlite(statements: list[str]) -> None:
    if op.get_bind().dialect.name == "sqlite":
        for statement in statements:
            op.execute(statement)


def upgrade() -> None:
    with op.batch_alter_table("memberships", schema=None) as batch_op:
        batch_op.add_column(sa.Column("card_code", sa.String(length=32), nullable=True))
    connection = op.get_bind()
    memberships = sa.table("memberships", sa.column("id"), sa.column("card_code"))
    while True:
        ids = (
            connection.execute(
                sa.select(memberships.c.id).where(memberships.c.card_code.is_(None)).limit(_BATCH)
            )
            .scalars()
            .all()
        )
        if not ids:
            break
        connection.execute(
            memberships.update().where(memberships.c.id == sa.bindparam("member")),
            [{"member": member, "card_code": new_code()} for member in ids],
        )
    _on_sqlite(SQLITE_DROP)
    with op.batch_alter_table("memberships", schema=None) as batch_op:
        batch_op.alter_column("card_code", existing_type=sa.String(length=32), nullable=False)
        batch_op.create_index(batch_op.f("ix_memberships_card_code"), ["card_code"], unique=True)
    _on_sqlite(SQLITE_CREATE)
    op.create_table(
        "retired_card_codes",
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column(
            "membership_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("retired_at", stampbook.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.ForeignKeyConstraint(
            ["membership_id"],
            ["memberships.id"],
            name=op.f("fk_retired_card_codes_membership_id_memberships"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_retired_card_codes")),
        sa.UniqueConstraint("code", name=op.f("uq_retired_card_codes_code")),
    )
    op.create_index(
        op.f("ix_retired_card_codes_membership_id"),
        "retired_card_codes",
        ["membership_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_retired_card_codes_membership_id"), table_name="retired_card_codes")
    op.drop_table("retired_card_codes")
    _on_sqlite(SQLITE_DROP)
    with op.batch_alter_table("memberships", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_memberships_card_code"))
        batch_op.drop_column("card_code")
    _on_sqlite(SQLITE_CREATE)
