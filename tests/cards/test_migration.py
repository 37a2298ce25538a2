"""Migration 0024 gives every existing membership a card code of its own, then makes the
column required and unique; the members' search keys still follow their users after SQLite
copied the table."""

from __future__ import annotations

from alembic import command
from sqlalchemy import create_engine, text

from stampbook.core.codes import ALPHABET, LENGTH
from stampbook.migrations import alembic_config
from tests.test_cli import cli_db  # noqa: F401 (fixture)
from tests.test_migrations import insert_program, insert_row


def test_existing_memberships_get_their_own_card_codes(cli_db: str) -> None:  # noqa: F811
    config = alembic_config(cli_db)
    command.upgrade(config, "0023")
    engine = create_engine(cli_db)
    with engine.begin() as connection:
        insert_program(connection, email="a@example.com", name="Ana")
        insert_row(connection, "memberships", id=1, program_id=1, user_id=1)
        insert_row(connection, "memberships", id=2, program_id=1, email="b@example.com")
    command.upgrade(config, "0024")
    with engine.begin() as connection:
        codes = connection.execute(text("SELECT card_code FROM memberships")).scalars().all()
        assert len(set(codes)) == 2
        assert all(len(c) == LENGTH and set(c) <= set(ALPHABET) for c in codes)
        connection.execute(text("UPDATE users SET name = 'Bea' WHERE id = 1"))
        name = connection.execute(text("SELECT search_name FROM memberships WHERE id = 1"))
        assert name.scalar() == "bea"
    command.downgrade(config, "0023")
    engine.dispose()
