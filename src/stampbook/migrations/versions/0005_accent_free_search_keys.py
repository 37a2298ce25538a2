"""search keys ignore accents: users and shops keep their folded name, member search copies it

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-05 17:40:00
"""

import unicodedata
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def search_key(text: str | None) -> str | None:
    """``stampbook.core.folding.search_key`` as of this revision."""
    if text is None or text.isascii():
        return None
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))[:254]


DROP_SQLITE = [
    "DROP TRIGGER IF EXISTS memberships_search_keys_insert",
    "DROP TRIGGER IF EXISTS memberships_search_keys_update",
    "DROP TRIGGER IF EXISTS users_search_keys",
]

# The name's key: the user's folded search_name, else (plain ASCII) the name in lower case.
FOLLOW_USER = (
    "BEGIN UPDATE memberships SET "
    "search_name = (SELECT coalesce(search_name, lower(name)) FROM users WHERE id = NEW.user_id), "
    "search_email = lower(coalesce((SELECT email FROM users WHERE id = NEW.user_id), "
    "NEW.email)) WHERE id = NEW.id; END"
)
FOLDED = {
    "sqlite": [
        *DROP_SQLITE,
        "CREATE TRIGGER memberships_search_keys_insert AFTER INSERT ON memberships " + FOLLOW_USER,
        "CREATE TRIGGER memberships_search_keys_update AFTER UPDATE OF user_id, email "
        "ON memberships " + FOLLOW_USER,
        "CREATE TRIGGER users_search_keys AFTER UPDATE OF name, search_name, email ON users "
        "BEGIN UPDATE memberships SET search_name = coalesce(NEW.search_name, lower(NEW.name)), "
        "search_email = lower(coalesce(NEW.email, email)) WHERE user_id = NEW.id; END",
    ],
    "postgresql": [
        "CREATE OR REPLACE FUNCTION memberships_search_keys() RETURNS trigger "
        "LANGUAGE plpgsql AS $$ BEGIN NEW.search_name := "
        "(SELECT coalesce(search_name, lower(name)) FROM users WHERE id = NEW.user_id); "
        "NEW.search_email := lower(coalesce((SELECT email FROM users WHERE id = NEW.user_id), "
        "NEW.email)); RETURN NEW; END $$",
        "CREATE OR REPLACE FUNCTION users_search_keys() RETURNS trigger "
        "LANGUAGE plpgsql AS $$ "
        "BEGIN UPDATE memberships SET search_name = coalesce(NEW.search_name, lower(NEW.name)), "
        "search_email = lower(coalesce(NEW.email, email)) WHERE user_id = NEW.id; "
        "RETURN NULL; END $$",
        "DROP TRIGGER IF EXISTS users_search_keys ON users",
        "CREATE TRIGGER users_search_keys AFTER UPDATE OF name, search_name, email ON users "
        "FOR EACH ROW EXECUTE FUNCTION users_search_keys()",
    ],
}

# Revision 0004's triggers, for the way down.
LOWER_FOLLOW_USER = (
    "BEGIN UPDATE memberships SET "
    "search_name = (SELECT lower(name) FROM users WHERE id = NEW.user_id), "
    "search_email = lower(coalesce((SELECT email FROM users WHERE id = NEW.user_id), "
    "NEW.email)) WHERE id = NEW.id; END"
)
LOWER = {
    "sqlite": [
        *DROP_SQLITE,
        "CREATE TRIGGER memberships_search_keys_insert AFTER INSERT ON memberships "
        + LOWER_FOLLOW_USER,
        "CREATE TRIGGER memberships_search_keys_update AFTER UPDATE OF user_id, email "
        "ON memberships " + LOWER_FOLLOW_USER,
        "CREATE TRIGGER users_search_keys AFTER UPDATE OF name, email ON users "
        "BEGIN UPDATE memberships SET search_name = lower(NEW.name), "
        "search_email = lower(coalesce(NEW.email, email)) WHERE user_id = NEW.id; END",
    ],
    "postgresql": [
        "CREATE OR REPLACE FUNCTION memberships_search_keys() RETURNS trigger "
        "LANGUAGE plpgsql AS $$ "
        "BEGIN NEW.search_name := (SELECT lower(name) FROM users WHERE id = NEW.user_id); "
        "NEW.search_email := lower(coalesce((SELECT email FROM users WHERE id = NEW.user_id), "
        "NEW.email)); RETURN NEW; END $$",
        "CREATE OR REPLACE FUNCTION users_search_keys() RETURNS trigger "
        "LANGUAGE plpgsql AS $$ "
        "BEGIN UPDATE memberships SET search_name = lower(NEW.name), "
        "search_email = lower(coalesce(NEW.email, email)) WHERE user_id = NEW.id; "
        "RETURN NULL; END $$",
        "DROP TRIGGER IF EXISTS users_search_keys ON users",
        "CREATE TRIGGER users_search_keys AFTER UPDATE OF name, email ON users "
        "FOR EACH ROW EXECUTE FUNCTION users_search_keys()",
    ],
}

BACKFILL_MEMBERS = """
UPDATE memberships
SET search_name = (SELECT coalesce(search_name, lower(name)) FROM users
                   WHERE users.id = memberships.user_id)
"""
LOWER_MEMBERS = """
UPDATE memberships
SET search_name = (SELECT lower(name) FROM users WHERE users.id = memberships.user_id)
"""


def _fill(table: str) -> None:
    """Each row's folded name, computed here as the models compute it (Python, not SQL)."""
    connection = op.get_bind()
    rows = connection.execute(sa.text(f"SELECT id, name FROM {table}")).all()  # noqa: S608
    update = sa.text(f"UPDATE {table} SET search_name = :key WHERE id = :id")  # noqa: S608
    keys = [{"id": row.id, "key": search_key(row.name)} for row in rows]
    filled = [key for key in keys if key["key"] is not None]
    if filled:
        connection.execute(update, filled)


def upgrade() -> None:
    op.add_column("users", sa.Column("search_name", sa.String(length=254), nullable=True))
    op.add_column("shops", sa.Column("search_name", sa.String(length=254), nullable=True))
    for statement in FOLDED.get(op.get_bind().dialect.name, []):
        op.execute(statement)
    _fill("users")
    _fill("shops")
    op.execute(BACKFILL_MEMBERS)


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    statements = LOWER.get(dialect, [])
    # SQLite rebuilds the tables to drop a column, and refuses while a trigger names it: the
    # triggers go first and come back after. PostgreSQL's trigger must let go of it first.
    later = [s for s in statements if s.startswith("CREATE")] if dialect == "sqlite" else []
    for statement in statements:
        if statement not in later:
            op.execute(statement)
    op.execute(LOWER_MEMBERS)
    with op.batch_alter_table("shops") as batch:
        batch.drop_column("search_name")
    with op.batch_alter_table("users") as batch:
        batch.drop_column("search_name")
    for statement in later:
        op.execute(statement)
