"""Background jobs (Huey): SQLite storage by default, Redis when REDIS_URL is set.

Jobs run in their own app context and unit of work; tests run them immediately
(``JOBS_IMMEDIATE=1``). Start a worker with ``huey_consumer stampbook.core.jobs.huey``.
"""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path

from flask import Flask
from huey import Huey, RedisHuey, SqliteHuey, crontab

from stampbook.core import unit_of_work


def _make_huey() -> Huey:
    immediate = os.environ.get("JOBS_IMMEDIATE") == "1"
    redis_url = os.environ.get("REDIS_URL")
    if redis_url and not immediate:
        return RedisHuey("stampbook", url=redis_url)
    instance = Path(os.environ.get("STAMPBOOK_INSTANCE") or Path.cwd() / "instance")
    instance.mkdir(parents=True, exist_ok=True)
    return SqliteHuey("stampbook", filename=str(instance / "jobs.db"), immediate=immediate)


huey = _make_huey()


@cache
def _app() -> Flask:
    from stampbook.app import create_app

    return create_app()


@huey.periodic_task(crontab(minute="17"))
def purge_expired() -> None:
    """Forget idempotency keys past their 24 hours and tokens past their expiry."""
    from stampbook import maintenance

    with _app().app_context():
        unit_of_work.run(maintenance.purge_expired)


@huey.periodic_task(crontab(minute="*/5"))
def refund_expired_group_rewards() -> None:
    """Give back the contributions to group rewards that expired before they were complete."""
    from stampbook.rewards import services

    with _app().app_context():
        unit_of_work.run(services.refund_expired_group_rewards)
