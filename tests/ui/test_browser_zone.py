"""The browser's time zone is filled in by ``static/zone.js`` (a real browser: Chromium)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from stampbook.accounts.models import User
from stampbook.shops.models import Shop
from stampbook.tasks.models import Task
from tests.browsing import TIMEOUT_MS, log_in, require_browser, seed_cafe
from tests.concurrency import committed_session

sync_api = require_browser()


@pytest.fixture
def madrid(browser: Any, base_url: str) -> Iterator[Any]:
    """A page of a browser whose clock is in Madrid."""
    context = browser.new_context(base_url=base_url, timezone_id="Europe/Madrid")
    context.set_default_timeout(TIMEOUT_MS)
    errors: list[str] = []
    page = context.new_page()
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    yield page
    context.close()
    assert errors == []  # no CSP refusal, no script error


def test_registration_fills_in_the_browsers_zone(committed: Flask, madrid: Any) -> None:
    expect = sync_api.expect
    madrid.goto("/register")
    expect(madrid.get_by_label("Time zone")).to_have_value("Europe/Madrid")
    madrid.get_by_label("Name").fill("Ada Lovelace")
    madrid.get_by_label("Email").fill("ada@example.com")
    madrid.get_by_label("Password").fill("correct horse battery")
    madrid.get_by_role("button", name="Create my account").click()
    expect(madrid.get_by_text("Welcome to stampbook!")).to_be_visible()
    with committed_session(committed) as session:
        user = session.scalars(select(User).where(User.email == "ada@example.com")).one()
        assert user.time_zone == "Europe/Madrid"
    # The settings keep the chosen zone and offer the browser's where another is chosen.
    madrid.goto("/account")
    zone = madrid.get_by_label("Time zone")
    expect(zone).to_have_value("Europe/Madrid")
    expect(madrid.get_by_role("button", name="Use this browser's time zone")).to_be_hidden()
    zone.fill("Asia/Tokyo")
    madrid.get_by_role("button", name="Save my profile").click()
    madrid.goto("/account")
    expect(madrid.get_by_label("Time zone")).to_have_value("Asia/Tokyo")
    offer = madrid.get_by_role("button", name="Use this browser's time zone (Europe/Madrid)")
    offer.click()
    expect(madrid.get_by_label("Time zone")).to_have_value("Europe/Madrid")


def test_a_new_shop_takes_the_browsers_zone_and_a_task_gets_two_schedules(
    committed: Flask, madrid: Any
) -> None:
    expect = sync_api.expect
    ids = seed_cafe(committed)
    log_in(madrid, "olga@example.com")
    madrid.goto("/shops/new")
    expect(madrid.get_by_label("Time zone")).to_have_value("Europe/Madrid")
    madrid.get_by_label("Name", exact=True).fill("Bakery")
    madrid.get_by_role("button", name="Open the shop").click()
    expect(madrid.get_by_text("Your shop Bakery is open.")).to_be_visible()
    with committed_session(committed) as session:
        shop = session.scalars(select(Shop).where(Shop.name == "Bakery")).one()
        assert shop.time_zone == "Europe/Madrid"

    # The task form: the schedules' section opens on demand; a second schedule without saving.
    madrid.goto(f"/programs/{ids['program']}/tasks/new")
    madrid.get_by_label("Name", exact=True).fill("Yoga")
    madrid.locator("summary", has_text="When the task is done").click()
    madrid.get_by_label("Monday").first.check()
    madrid.get_by_role("button", name="Add another schedule").click()
    expect(madrid.get_by_text("Schedule 1", exact=True)).to_be_visible()
    expect(madrid.get_by_label("Name", exact=True)).to_have_value("Yoga")
    expect(madrid.locator("#schedules-1-days-4")).to_be_visible()  # the section stays open
    madrid.locator("#schedules-1-days-4").check()
    madrid.get_by_role("button", name="Create the task").click()
    expect(madrid.get_by_text("The task Yoga is ready to stamp.")).to_be_visible()
    with committed_session(committed) as session:
        task = session.scalars(select(Task).where(Task.name == "Yoga")).one()
        days = [s["days_of_week"] for s in task.availability_settings["schedules"]]
        assert days == [[0], [4]]
