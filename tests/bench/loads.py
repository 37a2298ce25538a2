"""What the bench's tests share: a tiny size, the app on a database loaded as the bench
loads it, and a prepared request sent through the app as wrk sends it."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Connection, create_engine
from werkzeug.test import TestResponse

from stampbook.bench import dataset
from stampbook.bench.wrk import PreparedRequest
from tests.conftest import make_test_app

TINY = dataset.Size("tiny", shops=2, members_per_shop=30, entries_per_member=2, history_members=20)

Loader = Callable[[Connection, dataset.Size], None]


def loaded_app(url: str, tmp_path: Path, *loaders: Loader, **config: object) -> Flask:
    """The app on ``url``, its schema made and the bench's data loaded by ``loaders`` (after
    the dataset's) at the tiny size."""
    from stampbook.core.db import Base, db

    app = make_test_app(url, tmp_path, **config)
    with app.app_context():
        Base.metadata.create_all(db.engine)
    engine = create_engine(url)
    with engine.begin() as connection:
        for load in (dataset.load, *loaders):
            load(connection, TINY)
    engine.dispose()
    return app


def send(client: FlaskClient, request: PreparedRequest, key: str) -> TestResponse:
    """The request as wrk sends it: under an idempotency key of its own where it has a
    prefix for one."""
    headers = {"Authorization": f"Bearer {request.token}", "Content-Type": "application/json"}
    if request.idempotency_prefix:
        headers["Idempotency-Key"] = f"{request.idempotency_prefix}-{key}"
    return client.open(request.path, method=request.method, data=request.body, headers=headers)
