"""Background jobs (Huey): SQLite storage by default, Redis when REDIS_URL is set.

A domain declares its jobs in its ``jobs.py`` with :func:`job` (queued by ``enqueue``) or
:func:`periodic`; each runs in its own app
context and unit of work. Tests run jobs immediately (``JOBS_IMMEDIATE=1``). A worker is
started with ``huey_consumer stampbook.worker.huey``, which loads every domain's jobs;
``stampbook serve`` starts one beside the app (README, "Deploying and scaling").
"""

from __future__ import annotations

import os
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any, Generic, ParamSpec, TypeVar

from flask import Flask, current_app, has_app_context
from huey import Huey, RedisHuey, SqliteHuey, crontab

from stampbook.core import idempotency, unit_of_work

Work = TypeVar("Work", bound=Callable[[], Any])
P = ParamSpec("P")
R = TypeVar("R")


def _make_huey() -> Huey:
    immediate = os.environ.get("JOBS_IMMEDIATE") == "1"
    redis_url = os.environ.get("REDIS_URL")
    if redis_url and not immediate:
        return RedisHuey("stampbook", url=redis_url)
    instance = Path(os.environ.get("STAMPBOOK_INSTANCE") or Path.cwd() / "instance")
    instance.mkdir(parents=True, exist_ok=True)
    return SqliteHuey("stampbook", filename=str(instance / "jobs.db"), immediate=immediate)


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
        self._task = huey.task(name=f"{work.__module__}.{work.__name__}")(self._run)

    def _run(self, *args: Any) -> Any:
        return run_in_app(lambda: self.work(*args))  # type: ignore[call-arg]

    def __call__(self, *args: P.args, **kwargs: P.kwargs) -> R:
        return self.work(*args, **kwargs)

    def enqueue(self, *args: Any) -> None:
        self._task(*args)


def job(work: Callable[P, R]) -> Job[P, R]:
    """Declare ``work`` a job (see :class:`Job`)."""
    return Job(work)


def periodic(schedule: crontab) -> Callable[[Work], Work]:
    """Register ``work`` (no arguments) to run on ``schedule``; it stays callable as it is."""

    def register(work: Work) -> Work:
        def job() -> None:
            run_in_app(work)

        job.__doc__ = work.__doc__
        huey.periodic_task(schedule, name=f"{work.__module__}.{work.__name__}")(job)
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
