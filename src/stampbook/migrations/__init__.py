"""Alembic migrations; :func:`alembic_config` points Alembic at them and at a database."""

from __future__ import annotations

from pathlib import Path

from alembic.config import Config as AlembicConfig

MIGRATIONS = Path(__file__).parent


def alembic_config(url: str) -> AlembicConfig:
    config = AlembicConfig()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config
