"""Whole journeys in a real browser: Playwright for Python driving Debian's Chromium.

The app is served by werkzeug in a background thread on the test database, with committed
data (the ``committed`` fixture wipes it afterwards). Screenshots of the main pages land in
``docs/screenshots/`` for the README.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from werkzeug.serving import make_server

from stampbook.db import db
from stampbook.programs.models import Program
from tests.concurrency import committed_session
from tests.conftest import make_test_app
from tests.factories.accounts import PASSWORD, make_user
from tests.factories.rewards import make_reward
from tests.factories.shops import make_membership, make_program, make_shop
from tests.factories.tasks import make_task

CHROMIUM = Path("/usr/bin/chromium")
if not CHROMIUM.exists():
    pytest.skip(
        "browser tests need Debian's Chromium at /usr/bin/chromium (apt-get install chromium)",
        allow_module_level=True,
    )
sync_api = pytest.importorskip(
    "playwright.sync_api", reason="browser tests need Playwright (pip install playwright)"
)

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


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
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
    page.set_viewport_size({"width": 375, "height": 800})
    width = page.evaluate("document.documentElement.scrollWidth")
    page.set_viewport_size({"width": 1280, "height": 900})
    return bool(width <= 375)


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
    page.get_by_label(re.compile("Reason to cancel")).fill("Out of bars, sorry")
    page.get_by_role("button", name=re.compile("Cancel and refund")).click()
    expect(page.get_by_text(re.compile(r"Receipt \d+ is cancelled"))).to_be_visible()
    expect(page.get_by_text("Out of bars, sorry")).to_be_visible()

    member.goto("/")
    expect(member.get_by_text("10 points").first).to_be_visible()
    member_context.close()
