"""The phone layout in a real browser: the header is one row with a "Menu" button that
unfolds the links (no script), and the points history's headings never break inside a word
("Sta/mp", "Balan/ce after"): the table scrolls sideways instead.

Debian's Chromium through Playwright (skipped with a message where it is absent).
"""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask

from stampbook.ledger.models import EntryKind
from stampbook.programs.models import Program
from tests.browsing import TIMEOUT_MS, log_in, require_browser, seed_cafe
from tests.concurrency import committed_session
from tests.factories.accounts import make_user
from tests.factories.ledger import give_points
from tests.factories.programs import make_membership

sync_api = require_browser()

PHONE = {"width": 375, "height": 800}
DESKTOP = {"width": 1200, "height": 800}

# For each header cell of the page's tables: the words whose letters the browser drew on
# more than one line (a word broken in two).
BROKEN_WORDS = """() => {
  const broken = [];
  for (const cell of document.querySelectorAll('main table th')) {
    const text = cell.firstChild && cell.firstChild.nodeType === Node.TEXT_NODE
      ? cell.firstChild : null;
    if (!text) continue;
    const re = /\\S+/g;
    let m;
    while ((m = re.exec(text.data)) !== null) {
      const range = document.createRange();
      range.setStart(text, m.index);
      range.setEnd(text, m.index + m[0].length);
      const tops = new Set([...range.getClientRects()].map(r => Math.round(r.top)));
      if (tops.size > 1) broken.push(m[0]);
    }
  }
  return broken;
}"""


def seed(app: Flask) -> dict[str, int]:
    """The café, and a member whose points moved in several ways (a long history row)."""
    ids = seed_cafe(app)
    with committed_session(app) as session:
        program = session.get(Program, ids["program"])
        assert program is not None
        ada = make_user(session, email="ada@example.com", name="Ada Member")
        membership = make_membership(session, program, ada)
        give_points(session, membership, 40, EntryKind.STAMP)
        give_points(session, membership, -12, EntryKind.REDEMPTION)
        give_points(session, membership, 5, EntryKind.ADJUSTMENT)
        return {**ids, "membership": membership.id}


@pytest.fixture
def phone(browser: Any, base_url: str) -> Any:
    context = browser.new_context(base_url=base_url, viewport=PHONE, locale="en-GB")
    context.set_default_timeout(TIMEOUT_MS)
    yield context.new_page()
    context.close()


def header_box(page: Any) -> dict[str, float]:
    box = page.locator("nav.site-nav > .container").bounding_box()
    assert box is not None
    return dict(box)


def test_on_a_phone_the_header_is_one_row_with_a_menu(committed: Flask, phone: Any) -> None:
    ids = seed(committed)
    log_in(phone, "ada@example.com")
    phone.goto(f"/shops/{ids['shop']}")
    brand = phone.locator("nav .navbar-brand").bounding_box()
    button = phone.locator("nav label.site-menu-button")
    sync_api.expect(button).to_be_visible()
    sync_api.expect(button).to_have_text("Menu")
    menu = button.bounding_box()
    assert brand is not None and menu is not None
    closed = header_box(phone)
    # One row: the brand and the button side by side, the header no taller than the two.
    assert abs((brand["y"] + brand["height"] / 2) - (menu["y"] + menu["height"] / 2)) < 4
    assert closed["height"] <= max(brand["height"], menu["height"]) + 4, closed
    sync_api.expect(phone.get_by_role("link", name="Explore")).to_be_hidden()
    button.click()  # a label and its checkbox: no script runs
    sync_api.expect(phone.get_by_role("link", name="Explore")).to_be_visible()
    sync_api.expect(phone.get_by_role("link", name="My shops")).to_be_visible()
    assert header_box(phone)["height"] > closed["height"]
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    # The keyboard opens it too: the checkbox takes the focus, Space ticks it.
    phone.reload()
    phone.locator("#site-menu").focus()
    phone.keyboard.press("Space")
    sync_api.expect(phone.get_by_role("link", name="Explore")).to_be_visible()


def test_on_a_wide_screen_the_links_show_without_a_menu(
    browser: Any, base_url: str, committed: Flask
) -> None:
    seed(committed)
    context = browser.new_context(base_url=base_url, viewport=DESKTOP, locale="en-GB")
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    log_in(page, "ada@example.com")
    sync_api.expect(page.locator("nav label.site-menu-button")).to_be_hidden()
    for name in ("Explore", "My shops", "Invitations", "Settings"):
        sync_api.expect(page.get_by_role("link", name=name)).to_be_visible()
    context.close()


def test_the_points_history_never_breaks_a_heading_inside_a_word(
    committed: Flask, phone: Any
) -> None:
    ids = seed(committed)
    log_in(phone, "ada@example.com")
    answer = phone.goto(f"/memberships/{ids['membership']}/history")
    assert answer is not None and answer.status == 200
    headings = phone.locator("main table th")
    assert headings.count() == 5
    assert phone.evaluate(BROKEN_WORDS) == []
    # Each heading on one line, and the page itself no wider than the phone.
    line = phone.evaluate(
        "() => [...document.querySelectorAll('main table th')].map(th => "
        "th.getClientRects()[0].height)"
    )
    assert max(line) < 2 * min(line), line
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
