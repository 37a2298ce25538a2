"""A PostgreSQL database of its own for a test that loads data outside the test's savepoint
(the bench's bulk loads, a killed consumer), dropped afterwards."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import create_engine, make_url, text


@contextmanager
def fresh_postgres_database(prefix: str) -> Iterator[str]:
    """The URL of a new, empty database on the server DATABASE_URL names."""
    configured = os.environ.get("DATABASE_URL", "")
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    admin = create_engine(
        make_url(configured).set(database="postgres"), isolation_level="AUTOCOMMIT"
    )
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(configured).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
