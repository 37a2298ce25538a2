"""Whole journeys in a real browser: Playwright for Python driving Debian's Chromium.

The app is served by werkzeug in a background thread on the test database, with committed
data (the ``committed`` fixture wipes it afterwards). Screenshots of the main pages land in
``docs/screenshots/`` for the README.
"""

from __future__ import annotations

import re
from typing import Any

from flask import Flask

from stampbook.programs.models import Program
from tests.browsing import TIMEOUT_MS, fits_375, log_in, require_browser, seed_cafe, shot
from tests.concurrency import committed_session
from tests.factories.accounts import make_user
from tests.factories.programs import make_membership

sync_api = require_browser()


def test_a_member_from_sign_up_to_receipt(committed: Flask, page: Any) -> None:
    seed_cafe(committed)
    expect = sync_api.expect

    page.goto("/register")
    page.get_by_label("Name").fill("Ada Lovelace")
    page.get_by_label("Email").fill("ada@example.com")
    page.get_by_label("Password").fill("correct horse battery")
    page.get_by_role("button", name="Create my account").click()
    expect(page.get_by_text("Welcome to stampbook!")).to_be_visible()

    page.get_by_role("link", name="Explore", exact=True).click()
    page.get_by_label("Shop name").fill("corner")
    page.get_by_role("button", name="Search").click()
    page.get_by_role("link", name="Corner Café").click()
    page.get_by_role("link", name="Coffee card").click()
    page.get_by_role("button", name="Join Coffee card").click()
    expect(page.get_by_text("you are a member now")).to_be_visible()
    expect(page.get_by_text("twice every three days")).to_be_visible()

    page.get_by_role("button", name="Stamp “Buy a coffee”").click()
    expect(
        page.get_by_text("Stamped “Buy a coffee”: +15 points (the stamp 10, first stamp bonus 5).")
    ).to_be_visible()
    expect(page.get_by_text("My balance: 15 points")).to_be_visible()
    assert fits_375(page)
    shot(page, "program")

    page.get_by_role("link", name="Corner Café").click()
    page.get_by_label("Sort", exact=True).select_option("cost")
    page.get_by_role("button", name="Show").click()
    assert fits_375(page)
    shot(page, "shop")

    page.get_by_role("link", name="Free coffee").click()
    page.get_by_label("Pay with").select_option(label="Coffee card: 15 points")
    assert fits_375(page)
    shot(page, "reward")
    page.get_by_role("button", name="Redeem for 12 points each").click()
    expect(page.get_by_role("heading", name=re.compile(r"Receipt #\d+"))).to_be_visible()
    expect(page.get_by_text("Points paid")).to_be_visible()
    expect(page.get_by_text("12 points each")).to_be_visible()

    page.get_by_role("link", name="stampbook").click()
    expect(page.get_by_text("3 points")).to_be_visible()
    expect(page.get_by_text("Free coffee").first).to_be_visible()
    assert fits_375(page)
    shot(page, "home")


def test_a_refused_redemption_shows_its_message(committed: Flask, page: Any) -> None:
    ids = seed_cafe(committed)
    with committed_session(committed) as session:
        member = make_user(session, email="poor@example.com", name="Poor Member")
        program = session.get(Program, ids["program"])
        assert program is not None
        make_membership(session, program, member)
    log_in(page, "poor@example.com")
    page.goto(f"/shops/{ids['shop']}")
    page.get_by_role("link", name="Whole cake").click()
    page.get_by_role("button", name="Redeem for 500 points each").click()
    message = page.locator("#membership_id-help")
    sync_api.expect(message).to_have_text("This needs 500 points; the balance is 0.")
    sync_api.expect(page.get_by_label("Pay with")).to_have_attribute("aria-invalid", "true")


def test_a_manager_from_new_shop_to_a_cancelled_receipt(
    committed: Flask, browser: Any, base_url: str, page: Any
) -> None:
    expect = sync_api.expect
    with committed_session(committed) as session:
        make_user(session, email="boss@example.com", name="Bea Boss")
        make_user(session, email="ada@example.com", name="Ada Member")

    log_in(page, "boss@example.com")
    page.get_by_role("link", name="Open a shop").click()
    page.get_by_label("Name").fill("Gym & Tonic")
    page.get_by_label("Time zone").fill("Europe/Madrid")
    page.get_by_role("button", name="Open the shop").click()
    expect(page.get_by_text("Your shop Gym & Tonic is open.")).to_be_visible()
    shop_url = page.url

    page.get_by_role("link", name="New program").click()
    page.get_by_label("Name", exact=True).fill("Workouts")
    page.get_by_label("Who stamps").select_option("stampers")
    page.get_by_role("button", name="Create the program").click()
    page.get_by_role("link", name="New task").click()
    page.get_by_label("Name", exact=True).fill("Spin class")
    page.get_by_label("Points per stamp").fill("10")
    page.get_by_role("button", name="Create the task").click()
    expect(page.get_by_text("The task Spin class is ready to stamp.")).to_be_visible()

    page.goto(shop_url)
    page.get_by_role("link", name="New reward").click()
    page.get_by_label("Name", exact=True).fill("Protein bar")
    page.get_by_label("Cost in points").fill("4")
    page.get_by_label("Stock", exact=True).fill("10")
    page.get_by_role("button", name="Create the reward").click()
    expect(page.get_by_text("The reward Protein bar is on the shelf.")).to_be_visible()

    # A member joins in her own browser.
    member_context = browser.new_context(base_url=base_url)
    member_context.set_default_timeout(TIMEOUT_MS)
    member = member_context.new_page()
    log_in(member, "ada@example.com")
    member.goto(shop_url)
    member.get_by_role("link", name="Workouts").click()
    member.get_by_role("button", name="Join Workouts").click()
    expect(member.get_by_role("button", name=re.compile("Stamp"))).to_have_count(0)

    page.goto(shop_url)
    page.get_by_role("link", name="Stamp a member").click()
    page.get_by_label("Name or email").fill("ada")
    page.get_by_role("button", name="Find").click()
    page.get_by_role("button", name="Stamp Ada Member").click()
    expect(page.get_by_text("Stamped: +10 points (the stamp 10).")).to_be_visible()

    member.goto(shop_url)
    member.get_by_role("link", name="Protein bar").click()
    member.get_by_role("button", name="Redeem for 4 points each").click()
    expect(member.get_by_role("heading", name=re.compile(r"Receipt #\d+"))).to_be_visible()

    page.goto(shop_url)
    page.get_by_role("link", name="Receipts", exact=True).click()
    expect(page.get_by_text("Ada Member")).to_be_visible()
    page.get_by_role("link", name=re.compile("Cancel and refund")).click()  # asks first
    expect(page.get_by_role("heading", name=re.compile(r"Cancel receipt #\d+\?"))).to_be_visible()
    page.get_by_label("Reason to cancel").fill("Out of bars, sorry")
    page.get_by_role("button", name="Cancel and refund").click()
    expect(page.get_by_text(re.compile(r"Receipt \d+ is cancelled"))).to_be_visible()
    expect(page.get_by_text("Out of bars, sorry")).to_be_visible()

    member.goto("/")
    expect(member.get_by_text("10 points").first).to_be_visible()
    member_context.close()
