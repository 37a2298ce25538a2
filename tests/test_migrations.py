"""The Alembic migrations build exactly the schema the models describe."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import JSON, Boolean, Connection, DateTime, Integer, create_engine, inspect, text
from sqlalchemy.types import TypeEngine

from stampbook.core.db import Base
from stampbook.migrations import alembic_config
from tests.test_cli import cli_db  # noqa: F401 (fixture)

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


def test_migrations_match_the_models(cli_db: str, tmp_path: Path) -> None:  # noqa: F811
    command.upgrade(alembic_config(cli_db), "head")
    engine = create_engine(cli_db)
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": False})
        differences = compare_metadata(context, Base.metadata)
    engine.dispose()
    assert differences == []


def test_downgrade_to_base_and_up_again(cli_db: str) -> None:  # noqa: F811
    config = alembic_config(cli_db)
    command.upgrade(config, "head")
    command.downgrade(config, "base")
    command.upgrade(config, "head")


def plain_value(kind: TypeEngine[object]) -> object:
    for family, value in ((Boolean, False), (Integer, 1), (DateTime, NOW), (JSON, "{}")):
        if isinstance(kind, family):
            return value
    return "x"


def insert_row(connection: Connection, table: str, **values: object) -> None:
    """Insert a row as the schema stands at this revision: columns that must have a value and
    have no default get a plain one of their type."""
    inspector = inspect(connection)
    primary = inspector.get_pk_constraint(table)["constrained_columns"]
    for column in inspector.get_columns(table):
        name = column["name"]
        if column["nullable"] or column["default"] is not None or name in primary:
            continue
        values.setdefault(name, plain_value(column["type"]))
    names = ", ".join(values)
    marks = ", ".join(f":{name}" for name in values)
    statement = f"INSERT INTO {table} ({names}) VALUES ({marks})"  # noqa: S608 (test names)
    connection.execute(text(statement), values)


def insert_program(connection: Connection, **user: object) -> None:
    """User 1, their shop 1 and its program 1."""
    insert_row(connection, "users", id=1, **user)
    insert_row(connection, "shops", id=1, created_by=1)
    insert_row(connection, "programs", id=1, shop_id=1, created_by=1)


def test_the_totals_of_existing_memberships_are_filled_from_their_entries(
    cli_db: str,  # noqa: F811
) -> None:
    config = alembic_config(cli_db)
    command.upgrade(config, "0002")
    engine = create_engine(cli_db)
    with engine.begin() as connection:
        insert_program(connection, email="a@example.com")
        insert_row(connection, "memberships", id=1, program_id=1, user_id=1, balance=25)
        for amount, after in ((40, 40), (-20, 20), (5, 25)):
            insert_row(
                connection, "ledger_entries", membership_id=1, amount=amount, balance_after=after
            )
    command.upgrade(config, "head")
    with engine.connect() as connection:
        totals = connection.execute(
            text("SELECT points_earned, points_spent FROM memberships WHERE id = 1")
        ).one()
    engine.dispose()
    assert tuple(totals) == (45, 20)


def test_the_search_keys_are_filled_and_then_kept_by_the_migrated_triggers(
    cli_db: str,  # noqa: F811
) -> None:
    config = alembic_config(cli_db)
    command.upgrade(config, "0003")
    engine = create_engine(cli_db)
    with engine.begin() as connection:
        insert_program(connection, email="ada@example.com", name="Ada Lovelace")
        insert_row(connection, "memberships", id=1, program_id=1, user_id=1)
        insert_row(connection, "memberships", id=2, program_id=1, email="Walk@Example.com")
    command.upgrade(config, "head")
    keys = "SELECT search_name, search_email FROM memberships ORDER BY id"
    with engine.begin() as connection:
        filled = [tuple(row) for row in connection.execute(text(keys))]
        connection.execute(text("UPDATE users SET name = 'Ada King' WHERE id = 1"))
        insert_row(connection, "programs", id=2, shop_id=1, created_by=1)
        insert_row(connection, "memberships", id=3, program_id=2, user_id=1)
        kept = [tuple(row) for row in connection.execute(text(keys))]
    engine.dispose()
    assert filled == [("ada lovelace", "ada@example.com"), (None, "walk@example.com")]
    assert kept == [
        ("ada king", "ada@example.com"),
        (None, "walk@example.com"),
        ("ada king", "ada@example.com"),
    ]
