"""What the webhook tests share: a receiver on loopback that the app may call, and a clock
the tests move."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

import pytest
from flask import Flask

from stampbook.core.db import utcnow
from tests.webhooks.receiver import Receiver, receiving


@pytest.fixture
def receiver(app: Flask, monkeypatch: pytest.MonkeyPatch) -> Iterator[Receiver]:
    """A receiver on 127.0.0.1; private targets allowed, as on-premise and in tests."""
    monkeypatch.setitem(app.config, "WEBHOOKS_ALLOW_PRIVATE_TARGETS", True)
    monkeypatch.setitem(app.config, "WEBHOOKS_TIMEOUT_SECONDS", 2)
    with receiving() as found:
        yield found


@dataclass
class Clock:
    moment: datetime

    def now(self) -> datetime:
        return self.moment

    def advance(self, by: timedelta) -> None:
        self.moment += by

    def set(self, moment: datetime) -> None:
        self.moment = moment


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    """``core.clock`` pinned to now, moved by the test."""
    pinned = Clock(utcnow())
    monkeypatch.setattr("stampbook.core.clock.now", pinned.now)
    return pinned
