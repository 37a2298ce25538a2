"""Jobs: called, they run at once; enqueued, a worker runs them in a unit of work (inline in
tests, ``JOBS_IMMEDIATE=1``)."""

from __future__ import annotations

from flask import Flask, has_app_context

from stampbook.core import jobs

ran: list[tuple[int, bool]] = []


@jobs.job
def add_up(a: int, b: int) -> int:
    """A job that notes its sum and whether it ran in an app context."""
    ran.append((a + b, has_app_context()))
    return a + b


def test_a_job_called_runs_here_and_enqueued_runs_in_the_app(app: Flask) -> None:
    ran.clear()
    assert add_up(1, 2) == 3
    with app.app_context():
        add_up.enqueue(3, 4)
    assert ran == [(3, False), (7, True)]
    assert add_up.__doc__ and "notes its sum" in add_up.__doc__
