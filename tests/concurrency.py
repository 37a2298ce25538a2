"""Real parallel clients for concurrency tests: threads released together by a barrier.

Each thread drives the app through its own test client, so each request has its own app
context, session and pooled database connection: on PostgreSQL they truly run at once.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import TypeVar

from flask import Flask
from sqlalchemy.orm import Session

from stampbook.core.db import db

T = TypeVar("T")


def run_parallel(count: int, work: Callable[[int], T], timeout: float = 120) -> list[T]:
    """Run ``work(0..count-1)`` in ``count`` threads that start at the same moment."""
    barrier = threading.Barrier(count)

    def start(index: int) -> T:
        barrier.wait(timeout)
        return work(index)

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(start, range(count), timeout=timeout))


@contextmanager
def committed_session(app: Flask) -> Iterator[Session]:
    """A session whose work is committed on exit (for setting up concurrency tests)."""
    with app.app_context():
        session = db.session
        yield session
        session.commit()
