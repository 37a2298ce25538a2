"""The template editor's live preview in a real browser (Chromium): typing re-renders the
sample through the server's sandbox, with no inline script (the pages' CSP); the
notification pages fit a 375 px screen."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask

from tests.browsing import TIMEOUT_MS, fits_375, log_in, require_browser, seed_cafe

sync_api = require_browser()


@pytest.fixture
def tab(browser: Any, base_url: str) -> Iterator[Any]:
    context = browser.new_context(base_url=base_url, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(TIMEOUT_MS)
    errors: list[str] = []
    page = context.new_page()
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    yield page
    context.close()
    assert errors == []  # no CSP refusal, no script error


def test_the_preview_follows_the_typing(committed: Flask, tab: Any) -> None:
    expect = sync_api.expect
    ids = seed_cafe(committed)
    log_in(tab, "olga@example.com")
    tab.goto(f"/shops/{ids['shop']}/notification-templates/redemption_receipt/email/en")
    preview = tab.locator("#template-preview")
    expect(preview).to_contain_text("Your receipt for Free coffee at Café Luna")
    tab.get_by_label("Subject").fill("Enjoy {{ reward_name }}, {{ user_name }}!")
    expect(preview).to_contain_text("Enjoy Free coffee, Ada!")
    tab.get_by_label("Body").fill("{{ ''.__class__.__mro__ }}")
    expect(preview).to_contain_text("may not use")
    assert fits_375(tab)
    tab.goto("/notifications")
    assert fits_375(tab)
    tab.goto("/account/notifications")
    assert fits_375(tab)
