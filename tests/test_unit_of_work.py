"""The unit of work: one commit, bounded retries of serialization failures, side effects after."""

from __future__ import annotations

import pytest
from sqlalchemy.exc import DBAPIError, IntegrityError

from stampbook import unit_of_work


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
