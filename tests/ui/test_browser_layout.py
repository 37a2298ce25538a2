"""Every main page in a real browser: it fits a 375 px phone, each control has a label, the
keyboard reaches and shows what has focus, and the pages speak Spanish when asked.

Debian's Chromium through Playwright (skipped with a message where it is absent); leaves
screenshots of a few more pages in ``docs/screenshots``.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask

from stampbook.programs.models import Program
from stampbook.rewards.models import Reward
from stampbook.tasks.models import Task
from tests.browsing import TIMEOUT_MS, log_in, require_browser, seed_cafe, shot
from tests.concurrency import committed_session
from tests.factories.accounts import PASSWORD, make_user
from tests.factories.ledger import give_points
from tests.factories.people import make_buddies, make_message, make_post
from tests.factories.programs import make_membership

sync_api = require_browser()

PHONE = {"width": 375, "height": 800}

# Controls without a label of their own: what the script reports (tag, name, type).
UNLABELLED = """() => [...document.querySelectorAll('input, select, textarea, button')]
  .filter(e => e.type !== 'hidden' && e.offsetParent !== null)
  .filter(e => {
    if (e.tagName === 'BUTTON' || ['submit', 'button'].includes(e.type))
      return !(e.textContent.trim() || e.getAttribute('aria-label') || e.value);
    return !(e.labels && e.labels.length) && !e.getAttribute('aria-label')
      && !e.getAttribute('aria-labelledby');
  })
  .map(e => `${e.tagName.toLowerCase()} name=${e.name} type=${e.type}`)"""

# Whether the focused element draws a focus ring (outline or Bootstrap's box shadow).
FOCUS_SHOWN = """() => {
  const e = document.activeElement;
  if (!e || e === document.body) return false;
  const s = getComputedStyle(e);
  return (s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0) || s.boxShadow !== 'none';
}"""


def seed_everything(app: Flask) -> dict[str, Any]:
    """The café, with a member who has points, a buddy, a message and a post."""
    ids = seed_cafe(app)
    with committed_session(app) as session:
        program = session.get(Program, ids["program"])
        assert program is not None
        ada = make_user(session, email="ada@example.com", name="Ada Member")
        grace = make_user(session, email="grace@example.com", name="Grace Buddy")
        give_points(session, make_membership(session, program, ada), 40)
        make_membership(session, program, grace)
        make_buddies(session, ada, grace)
        make_message(session, grace, ada, body="See you at the café?")
        make_post(session, ada, body="Best flat white in town.")
        task = session.query(Task).filter_by(program_id=program.id).one()
        reward = session.query(Reward).filter_by(shop_id=ids["shop"], name="Free coffee").one()
        return {**ids, "task": task.id, "reward": reward.id, "grace": grace.id}


def member_pages(ids: dict[str, Any]) -> list[str]:
    return [
        "/",
        "/explore",
        f"/shops/{ids['shop']}",
        f"/programs/{ids['program']}",
        f"/programs/{ids['program']}/leaderboard",
        f"/tasks/{ids['task']}",
        f"/rewards/{ids['reward']}",
        "/receipts",
        f"/users/{ids['grace']}",
        "/buddies",
        "/messages",
        f"/messages/with/{ids['grace']}",
        "/posts",
        "/invitations",
        "/account",
        "/account/privacy",
        "/account/password",
    ]


def team_pages(ids: dict[str, Any]) -> list[str]:
    return [
        f"/shops/{ids['shop']}/edit",
        f"/shops/{ids['shop']}/team",
        f"/shops/{ids['shop']}/invitations",
        f"/shops/{ids['shop']}/stamp",
        f"/shops/{ids['shop']}/redemptions",
        f"/programs/{ids['program']}/edit",
        f"/programs/{ids['program']}/members/manage",
        f"/tasks/{ids['task']}/edit",
        f"/rewards/{ids['reward']}/edit",
        f"/rewards/{ids['reward']}/changes",
        f"/shops/{ids['shop']}/rewards/new",
        f"/programs/{ids['program']}/tasks/new",
    ]


def check(page: Any, paths: list[str]) -> list[str]:
    problems = []
    for path in paths:
        answer = page.goto(path)
        if answer is None or answer.status != 200:
            problems.append(f"{path}: status {answer.status if answer else 'none'}")
            continue
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > PHONE["width"]:
            problems.append(f"{path}: {width} px wide on a {PHONE['width']} px screen")
        problems += [f"{path}: no label for {control}" for control in page.evaluate(UNLABELLED)]
    return problems


@pytest.fixture
def phone(browser: Any, base_url: str) -> Any:
    context = browser.new_context(base_url=base_url, viewport=PHONE, locale="en-GB")
    context.set_default_timeout(TIMEOUT_MS)
    yield context.new_page()
    context.close()


def test_every_page_fits_a_phone_and_labels_every_control(committed: Flask, phone: Any) -> None:
    ids = seed_everything(committed)
    log_in(phone, "ada@example.com")
    problems = check(phone, member_pages(ids))
    phone.goto(f"/programs/{ids['program']}")
    shot(phone, "program-phone")
    phone.context.clear_cookies()
    log_in(phone, "olga@example.com")
    problems += check(phone, team_pages(ids))
    phone.goto(f"/tasks/{ids['task']}/edit")
    shot(phone, "task-form-phone")
    assert not problems, "\n".join(problems)


def test_the_keyboard_alone_signs_in_and_shows_where_it_is(
    committed: Flask,
    page: Any,
) -> None:
    seed_everything(committed)
    page.goto("/login")
    page.keyboard.press("Tab")  # the first stop: "skip to content"
    assert page.evaluate("document.activeElement.textContent.trim()") == "Skip to content"
    assert page.evaluate(FOCUS_SHOWN)
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")  # the first control of the page itself
    assert page.evaluate("document.activeElement.id") == "email"
    assert page.evaluate(FOCUS_SHOWN)
    page.keyboard.type("ada@example.com")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "password"
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/(#main)?$"))  # the fragment of the skip link stays
    sync_api.expect(page.get_by_role("heading", name="My programs")).to_be_visible()


def test_a_spanish_browser_gets_spanish_pages(
    browser: Any, base_url: str, committed: Flask
) -> None:
    ids = seed_everything(committed)
    context = browser.new_context(base_url=base_url, locale="es-ES")
    context.set_default_timeout(TIMEOUT_MS)
    spanish = context.new_page()
    log_in_es(spanish, "ada@example.com")
    spanish.goto(f"/programs/{ids['program']}")
    assert spanish.evaluate("document.documentElement.lang") == "es"
    sync_api.expect(spanish.get_by_role("link", name="Explorar")).to_be_visible()
    spanish.goto(f"/rewards/{ids['reward']}")
    shot(spanish, "reward-es")
    context.close()


def log_in_es(page: Any, email: str) -> None:
    page.goto("/login")
    page.locator("#email").fill(email)
    page.locator("#password").fill(PASSWORD)
    page.locator("#main form button[type=submit]").click()
    page.wait_for_url(re.compile(r"/$"))
