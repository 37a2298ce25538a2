"""The application's clock, in one place so that tests can pin it.

Services take an optional ``now``; when it is not given they ask :func:`now`, which tests
replace with ``monkeypatch.setattr("stampbook.core.clock.now", lambda: fixed)``. Call it as
``clock.now()`` (never ``from stampbook.core.clock import now``) so the replacement is seen.
"""

from __future__ import annotations

from datetime import datetime

from stampbook.core.db import utcnow


def now() -> datetime:
    """The current time, aware UTC."""
    return utcnow()
