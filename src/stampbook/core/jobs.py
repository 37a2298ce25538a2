"""Background jobs (Huey): SQLite storage by default, Redis when REDIS_URL is set.

A domain declares its jobs in its ``jobs.py`` with :func:`job` (queued by ``enqueue``) or
:func:`periodic`; each runs in its own app
context and unit of work. Tests run jobs immediately (``JOBS_IMMEDIATE=1``). A worker is
started with ``huey_consumer stampbook.worker.huey``, which loads every domain's jobs;
``stampbook serve`` starts one beside the app (README, "Deploying and scaling").
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any, Generic, ParamSpec, TypeVar

from flask import Flask, current_app, has_app_context
from huey import Huey, RedisHuey, crontab
from huey.storage import SqliteStorage

from stampbook.core import idempotency, unit_of_work

Work = TypeVar("Work", bound=Callable[[], Any])
P = ParamSpec("P")
R = TypeVar("R")


class _SqliteQueue(SqliteStorage):  # type: ignore[misc]  # huey has no type hints
    """The SQLite queue, synced as WAL's NORMAL level: a commit survives the process dying,
    and only an operating-system crash may lose the last few. Every job that matters is
    recorded in the database first (occurrences, deliveries, messages) and swept from there,
    so the queue need not pay an fsync on each enqueue (about 3 ms of every stamp's request)."""

    def _create_connection(self) -> sqlite3.Connection:
        connection: sqlite3.Connection = super()._create_connection()
        connection.execute("pragma synchronous=1")
        return connection


def _make_huey() -> Huey:
    immediate = os.environ.get("JOBS_IMMEDIATE") == "1"
    redis_url = os.environ.get("REDIS_URL")
    # No results: nothing reads a job's return value, and stored ones would pile up forever.
    if redis_url and not immediate:
        return RedisHuey("stampbook", url=redis_url, results=False)
    instance = Path(os.environ.get("STAMPBOOK_INSTANCE") or Path.cwd() / "instance")
    instance.mkdir(parents=True, exist_ok=True)
    return Huey(
        "stampbook",
        results=False,
        immediate=immediate,
        storage_class=_SqliteQueue,
        filename=str(instance / "jobs.db"),
    )


huey = _make_huey()


def queue_name() -> str:
    """Where the queue lives, said for people: the SQLite file, or Redis."""
    if huey.immediate:
        return "none (JOBS_IMMEDIATE=1: jobs run inline)"
    if isinstance(huey, RedisHuey):
        return "Redis"
    return f"SQLite {huey.storage.filename}"


_app_factory: list[Callable[[], Flask]] = []


def use_app_factory(factory: Callable[[], Flask]) -> None:
    """The worker's app, made once per process on the first job (``stampbook.worker``)."""
    _app_factory[:] = [factory]


@cache
def _worker_app() -> Flask:
    if not _app_factory:
        raise RuntimeError("jobs run in an app context or in a worker (stampbook.worker)")
    return _app_factory[0]()


def run_in_app(work: Callable[[], Any]) -> Any:
    """Run ``work`` in one unit of work, in the current app or else the worker's."""
    app = current_app._get_current_object() if has_app_context() else _worker_app()  # type: ignore[attr-defined]
    with app.app_context():
        return unit_of_work.run(work)


class Job(Generic[P, R]):
    """A job: called, it runs here and now; ``enqueue(*args)`` queues it for a worker, which
    runs it in one unit of work. Arguments are JSON-able (ids, not objects); enqueue after
    commit (``unit_of_work.after_commit``), so the job reads what the request wrote."""

    def __init__(self, work: Callable[P, R]) -> None:
        self.work = work
        self.__doc__ = work.__doc__
        self._task = huey.task(name=work.__name__)(_named_after(work, self._run))

    def _run(self, *args: Any) -> Any:
        return run_in_app(lambda: self.work(*args))  # type: ignore[call-arg]

    def __call__(self, *args: P.args, **kwargs: P.kwargs) -> R:
        return self.work(*args, **kwargs)

    def enqueue(self, *args: Any) -> None:
        self._task(*args)

    def enqueue_in(self, seconds: float, *args: Any) -> None:
        """Queue it to run in ``seconds`` at the earliest (never, with JOBS_IMMEDIATE: what
        must happen is in the database, and tests drive it with a pinned clock)."""
        self._task.schedule(args=args, delay=seconds)


def _named_after(work: Callable[..., Any], run: Callable[..., Any]) -> Callable[..., Any]:
    """``run`` as huey should know it: huey names a task by its function's module and the
    name given, so the queue and the logs say ``stampbook.webhooks.jobs.send_due_webhooks``,
    not this module's name before it."""

    def task(*args: Any) -> Any:
        return run(*args)

    task.__module__ = work.__module__
    task.__doc__ = work.__doc__
    return task


def job(work: Callable[P, R]) -> Job[P, R]:
    """Declare ``work`` a job (see :class:`Job`)."""
    return Job(work)


def periodic(schedule: crontab) -> Callable[[Work], Work]:
    """Register ``work`` (no arguments) to run on ``schedule``; it stays callable as it is."""

    def register(work: Work) -> Work:
        def job() -> None:
            run_in_app(work)

        huey.periodic_task(schedule, name=work.__name__)(_named_after(work, job))
        return work

    return register


@job
def purge_idempotency_keys() -> int:
    """Forget idempotency keys past their lifetime (24 hours); returns how many went.

    Hourly (below); queued (``enqueue()``) it runs on a consumer at once, which is how the
    consumer tests (tests/core/test_jobs_consumer.py) see a real consumer at work."""
    return idempotency.purge_expired(current_app.config["IDEMPOTENCY_KEY_HOURS"])


@periodic(crontab(minute="17"))
def purge_expired_idempotency_keys() -> int:
    """Forget idempotency keys past their lifetime (24 hours); returns how many went."""
    return purge_idempotency_keys()
