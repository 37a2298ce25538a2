"""Migration 0005: existing names get their accent-free search keys, and the triggers copy them."""

from __future__ import annotations

from alembic import command
from sqlalchemy import create_engine, text

from stampbook.migrations import alembic_config
from tests.test_cli import cli_db  # noqa: F401 (fixture)
from tests.test_migrations import insert_program, insert_row


def test_existing_accented_names_are_folded_for_search(cli_db: str) -> None:  # noqa: F811
    config = alembic_config(cli_db)
    command.upgrade(config, "0004")
    engine = create_engine(cli_db)
    with engine.begin() as connection:
        insert_program(connection, email="zoe@example.com", name="Zoé Ñúñez")
        connection.execute(text("UPDATE shops SET name = 'Café Luna' WHERE id = 1"))
        insert_row(connection, "memberships", id=1, program_id=1, user_id=1)
    command.upgrade(config, "head")
    with engine.begin() as connection:
        member = connection.execute(text("SELECT search_name FROM memberships")).scalar()
        shop = connection.execute(text("SELECT search_name FROM shops")).scalar()
        connection.execute(text("UPDATE users SET search_name = 'zoe king' WHERE id = 1"))
        renamed = connection.execute(text("SELECT search_name FROM memberships")).scalar()
    command.downgrade(config, "0004")
    with engine.connect() as connection:
        lowered = connection.execute(text("SELECT search_name FROM memberships")).scalar()
    engine.dispose()
    assert (member, shop, renamed) == ("zoe nunez", "cafe luna", "zoe king")
    assert lowered is not None and lowered.startswith("zo")
