"""A pinned clock for the tests of time rules: ``stampbook.core.clock.now`` reads it, and a
test moves it by hand (``clock.now = ...`` or ``clock.advance(days=1)``)."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest


class Clock:
    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


def pin_clock(monkeypatch: pytest.MonkeyPatch, start: datetime) -> Clock:
    """Pin the app's clock at ``start`` for the test (undone after it)."""
    pinned = Clock(start)
    monkeypatch.setattr("stampbook.core.clock.now", pinned)
    return pinned
