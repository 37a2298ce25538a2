"""Fixtures of the notifications tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask

from tests.notifications.fake_twilio import serve_twilio
from tests.webhooks.receiver import Receiver, receiving


@pytest.fixture
def twilio(app: Flask, monkeypatch: pytest.MonkeyPatch) -> Iterator[Receiver]:
    """A Twilio-shaped Messages resource on 127.0.0.1 (private targets allowed, as in tests)."""
    yield from serve_twilio(app, monkeypatch)


@pytest.fixture
def chat_server(app: Flask, monkeypatch: pytest.MonkeyPatch) -> Iterator[Receiver]:
    """An incoming-webhook receiver on 127.0.0.1 (private targets allowed, as in tests)."""
    monkeypatch.setitem(app.config, "WEBHOOKS_ALLOW_PRIVATE_TARGETS", True)
    with receiving() as receiver:
        yield receiver
