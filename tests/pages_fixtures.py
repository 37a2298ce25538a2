"""Fixtures of the page tests."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from sqlalchemy.orm import Session
from werkzeug.serving import make_server

from stampbook.core.db import db
from tests.browsing import ARGS, CHROMIUM, TIMEOUT_MS, require_browser
from tests.conftest import make_test_app
from tests.pages import Cafe, make_cafe


@pytest.fixture
def cafe(session: Session) -> Cafe:
    return make_cafe(session)


# --- The browser tests (``browsing.py``) ----------------------------------------------------


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    sync_api = require_browser()
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def live_app(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    # Its own app: the shared one pins SERVER_NAME to "localhost" for url_for in tests.
    app = make_test_app(database_url, tmp_path_factory.mktemp("browser"), SERVER_NAME=None)
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def base_url(committed: Flask, live_app: Flask) -> Iterator[str]:
    server = make_server("127.0.0.1", 0, live_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join()
    with live_app.app_context():
        db.engine.dispose()  # before `committed` wipes the tables


@pytest.fixture
def page(browser: Any, base_url: str) -> Iterator[Any]:
    context = browser.new_context(base_url=base_url, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    yield page
    context.close()
