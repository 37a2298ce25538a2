"""The one place that commits: a request, a command or a job runs its work through ``run``.

It begins the transaction the right way for the backend (SQLite takes the write lock at
BEGIN for writes; PostgreSQL reads run without BEGIN and ROLLBACK, two round trips a request
does not need), commits once, retries serialization failures, deadlocks and connections found
dead before the commit a bounded number of times (the work has no outside effects before
commit, so running it again is safe), and only then runs the side effects queued with
``after_commit``. A connection lost *during* the commit is not retried: whether the commit
happened is unknown, and the client's ``Idempotency-Key`` is what makes its retry safe.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from typing import TypeVar

from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from stampbook.core import due
from stampbook.core.db import db, write_intent

logger = logging.getLogger(__name__)

T = TypeVar("T")

MAX_RETRIES = 4
# SQLSTATEs that mean "nothing happened, run the transaction again".
RETRYABLE_SQLSTATES = {"40001", "40P01"}


class RetryTransaction(Exception):
    """Raised by work that lost a race it can win by running again (e.g. a unique insert)."""


def _retryable(error: BaseException, *, committing: bool) -> bool:
    if isinstance(error, RetryTransaction):
        return True
    if not isinstance(error, DBAPIError):
        return False
    if error.connection_invalidated:
        # A pooled connection that died (a database restart) before the commit: nothing of
        # this transaction was kept, and the pool has dropped every connection as old as it.
        return not committing
    sqlstate = getattr(error.orig, "sqlstate", None)
    if sqlstate in RETRYABLE_SQLSTATES:
        return True
    # SQLite answers "database is locked" once its busy timeout has run out.
    return "database is locked" in str(error.orig)


def after_commit(callback: Callable[[], None]) -> None:
    """Run ``callback`` once the current transaction has committed (never if it rolls back)."""
    db.session.info.setdefault("after_commit", []).append(callback)


def _read_without_transaction(session: Session) -> None:
    """PostgreSQL reads in autocommit: each statement sees committed data, with no BEGIN and
    ROLLBACK around them. (Not when tests bind the session to a connection of their own.)"""
    if isinstance(session.bind, Engine) and session.bind.dialect.name == "postgresql":
        session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})


def run(work: Callable[[], T], *, write: bool = True) -> T:
    session = db.session
    for attempt in range(MAX_RETRIES + 1):
        # Start from a fresh transaction so that it begins with the right lock.
        if session.in_transaction():
            session.rollback()
        token = write_intent.set(write)
        reading = due.reading.set(not write)
        committing = False
        try:
            if not write:
                _read_without_transaction(session)
            result = work()
            if write:
                committing = True
                session.commit()
        except due.Due as found:
            # The read found work a clock made due: do it in a write of its own, read again.
            session.rollback()
            if attempt == MAX_RETRIES:
                raise
            run(lambda found=found: due.refresh(found.kind, found.ids))  # type: ignore[misc]
            continue
        except BaseException as error:
            session.rollback()
            session.info.pop("after_commit", None)
            if attempt < MAX_RETRIES and _retryable(error, committing=committing):
                logger.info("retrying transaction after %s", type(error).__name__)
                time.sleep(random.uniform(0, 0.01 * 2**attempt))
                continue
            raise
        finally:
            write_intent.reset(token)
            due.reading.reset(reading)
        for callback in session.info.pop("after_commit", []):
            try:
                callback()
            except Exception:
                # The data is committed; a failed side effect must not turn it into an error.
                logger.exception("after-commit callback failed")
        return result
    raise AssertionError("unreachable")
