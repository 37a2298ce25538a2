"""Self check-in in a real browser (Chromium): the team's door screen shows a code that its
script renews (under the CSP, no console error); the member, sent to sign in first by the
QR code's link, comes back to it and is checked in at once."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask

from stampbook.events.models import Event, Registration
from tests.browsing import TIMEOUT_MS, log_in, require_browser
from tests.concurrency import committed_session
from tests.factories.accounts import PASSWORD
from tests.factories.shops import make_team

sync_api = require_browser()


def _page(browser: Any, base_url: str, errors: list[str]) -> Any:
    context = browser.new_context(base_url=base_url)
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    return page


@pytest.fixture
def errors() -> Iterator[list[str]]:
    found: list[str] = []
    yield found
    assert found == []  # no CSP refusal, no script error


def test_a_member_scans_the_door_screen_and_is_checked_in(
    committed: Flask, browser: Any, base_url: str, errors: list[str]
) -> None:
    with committed_session(committed) as session:
        team = make_team(session)
        soon = datetime.now(UTC) + timedelta(days=1)
        event = Event(
            shop_id=team.shop.id,
            title="Trivia",
            starts_at=soon,
            ends_at=soon + timedelta(hours=2),
            self_check_in=True,
        )
        session.add(event)
        session.flush()
        session.add(
            Registration(
                event_id=event.id,
                user_id=team.member.id,
                status="registered",
                ticket_code="DOORBROWSERDOORBROWSERDOORBROWSE",
            )
        )
        event.registered = 1
        event_id, assistant, member = event.id, team.assistant.email, team.member.email
    expect = sync_api.expect
    screen = _page(browser, base_url, errors)
    log_in(screen, assistant)
    screen.goto(f"/events/{event_id}/door")
    typed = screen.locator("#door-typed")
    first = typed.get_attribute("data-code")
    assert first and re.fullmatch(r"[0-9]+\.[A-Z2-7]{16}", first)
    # The script renews the code when its 10-second step ends.
    screen.wait_for_function(
        "code => document.getElementById('door-typed').dataset.code !== code",
        arg=first,
        timeout=15_000,
    )
    code = typed.get_attribute("data-code")
    expect(screen.locator("#door-qr")).to_be_visible()

    phone = _page(browser, base_url, errors)
    phone.goto(f"/events/{event_id}/self-check-in?c={code}")
    phone.get_by_role("link", name="Log in to check yourself in").click()
    phone.get_by_label("Email").fill(member)
    phone.get_by_label("Password").fill(PASSWORD)
    phone.get_by_role("button", name="Log in").click()
    # Back on the link, the page sends itself: checked in.
    expect(phone.get_by_text("You are checked in. Enjoy the event!")).to_be_visible()
    expect(phone.locator("#self-checked-in")).to_be_visible()
