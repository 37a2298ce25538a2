"""The unit of work: one commit, bounded retries of serialization failures, side effects after."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, text
from sqlalchemy.exc import DBAPIError, IntegrityError

from stampbook.core import unit_of_work
from stampbook.core.db import db
from tests.conftest import make_test_app


class FakeDriverError(Exception):
    def __init__(self, sqlstate: str) -> None:
        super().__init__(f"sqlstate {sqlstate}")
        self.sqlstate = sqlstate


def failing(times: int, sqlstate: str, calls: list[str]):
    def work() -> str:
        calls.append("work")
        if len(calls) <= times:
            raise DBAPIError("UPDATE ...", {}, FakeDriverError(sqlstate))
        unit_of_work.after_commit(lambda: calls.append("side effect"))
        return "done"

    return work


@pytest.mark.parametrize("sqlstate", ["40001", "40P01"])
def test_serialization_failures_and_deadlocks_are_retried(app_context: None, sqlstate: str) -> None:
    calls: list[str] = []
    assert unit_of_work.run(failing(2, sqlstate, calls)) == "done"
    assert calls == ["work", "work", "work", "side effect"]


def test_retries_are_bounded(app_context: None) -> None:
    calls: list[str] = []
    with pytest.raises(DBAPIError):
        unit_of_work.run(failing(100, "40001", calls))
    assert calls.count("work") == unit_of_work.MAX_RETRIES + 1
    assert "side effect" not in calls


def test_other_errors_are_not_retried_and_skip_side_effects(app_context: None) -> None:
    calls: list[str] = []

    def work() -> None:
        calls.append("work")
        unit_of_work.after_commit(lambda: calls.append("side effect"))
        raise IntegrityError("INSERT ...", {}, FakeDriverError("23505"))

    with pytest.raises(IntegrityError):
        unit_of_work.run(work)
    assert calls == ["work"]


def test_a_failing_side_effect_does_not_undo_the_commit(app_context: None) -> None:
    def work() -> str:
        unit_of_work.after_commit(lambda: 1 / 0)  # type: ignore[func-returns-value]
        return "committed"

    assert unit_of_work.run(work) == "committed"


def lost_connection() -> DBAPIError:
    return DBAPIError("SELECT ...", {}, FakeDriverError("08006"), connection_invalidated=True)


def test_a_connection_found_dead_before_the_commit_is_retried(app_context: None) -> None:
    # A database restart leaves dead connections in the pool: nothing of the transaction was
    # kept, so the work runs again on a fresh one.
    calls: list[str] = []

    def work() -> str:
        calls.append("work")
        if len(calls) == 1:
            raise lost_connection()
        return "done"

    assert unit_of_work.run(work) == "done"
    assert calls == ["work", "work"]


def test_a_connection_lost_during_the_commit_is_not_retried(
    app_context: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Whether that commit happened is unknown: running the work again could do it twice.
    calls: list[str] = []

    def commit_fails(*_: object) -> None:
        raise lost_connection()

    monkeypatch.setattr(db.session, "commit", commit_fails)
    with pytest.raises(DBAPIError):
        unit_of_work.run(lambda: calls.append("work"))
    assert calls == ["work"]


@pytest.mark.postgres
def test_postgresql_reads_run_without_a_transaction_and_writes_within_one(
    database_url: str, tmp_path: Path
) -> None:
    # Each statement of a read runs in autocommit, so the driver sends no BEGIN and ROLLBACK.
    app = make_test_app(database_url, tmp_path)
    with app.app_context():
        engine = db.engine
    autocommit: list[bool] = []

    @event.listens_for(engine, "before_cursor_execute")
    def _seen(connection: Any, *_: Any) -> None:
        autocommit.append(connection.connection.dbapi_connection.autocommit)

    client = app.test_client()
    assert client.get("/api/v1/shops").status_code == 200
    assert autocommit and all(autocommit)
    autocommit.clear()
    body = {"email": "reads@example.com", "name": "Reads", "password": "a long password"}
    assert client.post("/api/v1/users", json=body).status_code == 201
    assert autocommit and not any(autocommit)
    with engine.begin() as connection:  # the test database is shared: leave it as it was
        connection.execute(text("DELETE FROM users WHERE email = 'reads@example.com'"))
    engine.dispose()
