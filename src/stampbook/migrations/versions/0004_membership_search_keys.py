"""memberships keep their member's name and email in lower case for member search

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01 01:45:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FOLLOW_USER = (
    "BEGIN UPDATE memberships SET "
    "search_name = (SELECT lower(name) FROM users WHERE id = NEW.user_id), "
    "search_email = lower(coalesce((SELECT email FROM users WHERE id = NEW.user_id), "
    "NEW.email)) WHERE id = NEW.id; END"
)
TRIGGERS = {
    "sqlite": [
        "CREATE TRIGGER memberships_search_keys_insert AFTER INSERT ON memberships " + FOLLOW_USER,
        "CREATE TRIGGER memberships_search_keys_update AFTER UPDATE OF user_id, email "
        "ON memberships " + FOLLOW_USER,
        "CREATE TRIGGER users_search_keys AFTER UPDATE OF name, email ON users "
        "BEGIN UPDATE memberships SET search_name = lower(NEW.name), "
        "search_email = lower(coalesce(NEW.email, email)) WHERE user_id = NEW.id; END",
    ],
    "postgresql": [
        "CREATE FUNCTION memberships_search_keys() RETURNS trigger LANGUAGE plpgsql AS $$ "
        "BEGIN NEW.search_name := (SELECT lower(name) FROM users WHERE id = NEW.user_id); "
        "NEW.search_email := lower(coalesce((SELECT email FROM users WHERE id = NEW.user_id), "
        "NEW.email)); RETURN NEW; END $$",
        "CREATE TRIGGER memberships_search_keys BEFORE INSERT OR UPDATE OF user_id, email "
        "ON memberships FOR EACH ROW EXECUTE FUNCTION memberships_search_keys()",
        "CREATE FUNCTION users_search_keys() RETURNS trigger LANGUAGE plpgsql AS $$ "
        "BEGIN UPDATE memberships SET search_name = lower(NEW.name), "
        "search_email = lower(coalesce(NEW.email, email)) WHERE user_id = NEW.id; "
        "RETURN NULL; END $$",
        "CREATE TRIGGER users_search_keys AFTER UPDATE OF name, email ON users "
        "FOR EACH ROW EXECUTE FUNCTION users_search_keys()",
    ],
}
DROP = {
    "sqlite": [
        "DROP TRIGGER IF EXISTS memberships_search_keys_insert",
        "DROP TRIGGER IF EXISTS memberships_search_keys_update",
        "DROP TRIGGER IF EXISTS users_search_keys",
    ],
    "postgresql": [
        "DROP TRIGGER IF EXISTS memberships_search_keys ON memberships",
        "DROP FUNCTION IF EXISTS memberships_search_keys()",
        "DROP TRIGGER IF EXISTS users_search_keys ON users",
        "DROP FUNCTION IF EXISTS users_search_keys()",
    ],
}
BACKFILL = """
UPDATE memberships
SET search_name = (SELECT lower(name) FROM users WHERE users.id = memberships.user_id),
    search_email = lower(coalesce(
        (SELECT email FROM users WHERE users.id = memberships.user_id), memberships.email))
"""


def upgrade() -> None:
    with op.batch_alter_table("memberships") as batch:
        batch.add_column(sa.Column("search_name", sa.String(length=254), nullable=True))
        batch.add_column(sa.Column("search_email", sa.String(length=254), nullable=True))
    op.execute(BACKFILL)
    for statement in TRIGGERS.get(op.get_bind().dialect.name, []):
        op.execute(statement)


def downgrade() -> None:
    for statement in DROP.get(op.get_bind().dialect.name, []):
        op.execute(statement)
    with op.batch_alter_table("memberships") as batch:
        batch.drop_column("search_email")
        batch.drop_column("search_name")
