"""What the browser tests share: Debian's Chromium driven by Playwright, a café to browse,
signing in through the login page, and screenshots for the README.

A browser test module starts with ``sync_api = require_browser()``: it is skipped, with a
message saying why, where Chromium or Playwright is absent. The fixtures (``browser``,
``live_app``, ``base_url``, ``page``) are in ``conftest.py``.
"""

from __future__ import annotations

import re
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from flask import Flask

from tests.concurrency import committed_session
from tests.factories.accounts import PASSWORD, make_user
from tests.factories.programs import make_membership, make_program
from tests.factories.rewards import make_reward
from tests.factories.shops import make_shop
from tests.factories.tasks import make_task

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
TIMEOUT_MS = 10_000


def require_browser() -> ModuleType:
    """Playwright's sync API; skips the calling module where the browser cannot run."""
    if not CHROMIUM.exists():
        pytest.skip(
            "browser tests need Debian's Chromium at /usr/bin/chromium (apt-get install chromium)",
            allow_module_level=True,
        )
    return pytest.importorskip(
        "playwright.sync_api", reason="browser tests need Playwright (pip install playwright)"
    )


def seed_cafe(app: Flask) -> dict[str, int]:
    with committed_session(app) as session:
        owner = make_user(session, email="olga@example.com", name="Olga Owner")
        shop = make_shop(session, owner, name="Corner Café", summary="Coffee, cake, stamps.")
        program = make_program(session, shop, name="Coffee card", summary="A stamp per coffee.")
        make_membership(session, program, owner, role_type="manager")
        make_task(
            session,
            program,
            name="Buy a coffee",
            summary="Any size, any milk.",
            point_value=10,
            frequency_settings={"quantity": 2, "time_unit_quantity": 3, "time_unit": "day"},
            bonus_values={"first_time_only": 5},
        )
        make_reward(session, shop, name="Free coffee", summary="Any size", cost=12, quantity=20)
        make_reward(session, shop, name="Whole cake", cost=500)
        return {"shop": shop.id, "program": program.id}


def log_in(page: Any, email: str) -> None:
    page.goto("/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(re.compile(r"/$"))


def shot(page: Any, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def fits_375(page: Any) -> bool:
    page.wait_for_load_state()  # a page still being replaced has no document to measure yet
    page.set_viewport_size({"width": 375, "height": 800})
    width = page.evaluate("document.documentElement.scrollWidth")
    page.set_viewport_size({"width": 1280, "height": 900})
    return bool(width <= 375)
