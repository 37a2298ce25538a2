"""Test fixtures: one database per test run (per xdist worker), a savepoint per test.

DATABASE_URL picks the backend: unset means a SQLite file; a PostgreSQL URL gets a fresh
database created for the run and dropped after it.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask, g
from flask.testing import FlaskClient
from sqlalchemy import Engine, create_engine, make_url, text
from sqlalchemy.orm import Session, sessionmaker

# Before stampbook is imported: the job queue is made on import (core.jobs, which the outbox
# and so the app import), and tests run jobs inline.
os.environ.setdefault("JOBS_IMMEDIATE", "1")

from stampbook import create_app
from stampbook.core.db import Base, db

# The page tests' fixtures (a café, a browser, a live server), for every domain's folder.
pytest_plugins = ["tests.pages_fixtures"]


def _create_postgres_database(url: str) -> tuple[str, str]:
    parsed = make_url(url)
    name = f"stampbook_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return parsed.set(database=name).render_as_string(hide_password=False), name


def _drop_postgres_database(url: str, name: str) -> None:
    admin = create_engine(make_url(url).set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    configured = os.environ.get("DATABASE_URL", "")
    if configured.startswith("postgresql"):
        url, name = _create_postgres_database(configured)
        yield url
        _drop_postgres_database(configured, name)
    else:
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"


def make_test_app(database_url: str, instance: Path, **overrides: Any) -> Flask:
    os.environ["STAMPBOOK_INSTANCE"] = str(instance)
    config = {
        "TESTING": True,
        "DATABASE_URL": database_url,
        "RATELIMIT_ENABLED": False,
        "SERVER_NAME": "localhost",
        # No real Shopify store in tests: a loopback address the egress checks refuse, unless
        # a test points it at the fake store (tests/loyalty/fake_shopify_admin.py).
        "SHOPIFY_ADMIN_URL": "http://127.0.0.1:9/{shop}/admin/api/2025-01/graphql.json",
        **overrides,
    }
    return create_app(config)


@pytest.fixture(scope="session")
def app(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Flask:
    app = make_test_app(database_url, tmp_path_factory.mktemp("instance"))
    with app.app_context():
        Base.metadata.create_all(db.engine)
    return app


@pytest.fixture(scope="session")
def engine(app: Flask) -> Engine:
    with app.app_context():
        return db.engine


@pytest.fixture
def session(app: Flask, engine: Engine) -> Iterator[Session]:
    """A session inside a transaction that is rolled back after the test.

    Every session the app makes during the test joins the same connection and works in
    savepoints, so the app's commits are real commits to the test and vanish afterwards.
    """
    connection = engine.connect()
    outer = connection.begin()
    factory = sessionmaker(
        bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False
    )
    with app.app_context():
        original = app.extensions["stampbook.core.db"].session_factory
        db.bind_session_factory(factory)
    test_session = factory()
    try:
        yield test_session
    finally:
        test_session.close()
        with app.app_context():
            db.bind_session_factory(original)
        outer.rollback()
        connection.close()


@pytest.fixture
def app_context(app: Flask, session: Session) -> Iterator[None]:
    """For service tests: ``db.session`` is the test's session."""
    with app.app_context():
        g._db_session = session
        yield


@pytest.fixture
def client(app: Flask, session: Session) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def committed(app: Flask, engine: Engine) -> Iterator[Flask]:
    """For concurrency tests: real commits on real parallel connections, wiped afterwards."""
    yield app
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
            connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    if engine.dialect.name != "postgresql":
        Base.metadata.drop_all(engine)
        Base.metadata.create_all(engine)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    on_postgres = os.environ.get("DATABASE_URL", "").startswith("postgresql")
    skip = pytest.mark.skip(reason="needs PostgreSQL: set DATABASE_URL=postgresql+psycopg://...")
    for item in items:
        if "postgres" in item.keywords and not on_postgres:
            item.add_marker(skip)
