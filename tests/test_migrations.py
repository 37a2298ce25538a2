"""The Alembic migrations build exactly the schema the models describe."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine

from stampbook.cli import alembic_config
from stampbook.models import Base
from tests.test_cli import cli_db  # noqa: F401 (fixture)


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
