"""Fixtures shared by the shop and program tests."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import pytest
from flask import Flask, g
from sqlalchemy.orm import Session

from stampbook.ledger.queries import Discrepancy, find_discrepancies

T = TypeVar("T")


@pytest.fixture
def in_app(app: Flask, session: Session) -> Callable[..., Any]:
    """Run a function with ``db.session`` = the test's session, between API requests.

    (The ``app_context`` fixture cannot be combined with ``client``: requests would then
    share, and roll back, the test's own session.)
    """

    def call(function: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        with app.app_context():
            g._db_session = session
            try:
                return function(*args, **kwargs)
            finally:
                g.pop("_db_session")  # the session is the test's: not closed here

    return call


@pytest.fixture
def discrepancies(in_app: Callable[..., Any]) -> Callable[[], list[Discrepancy]]:
    """``find_discrepancies()`` on the test's session, callable between API requests."""
    return lambda: in_app(find_discrepancies)
