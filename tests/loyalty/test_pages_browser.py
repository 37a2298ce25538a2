"""The earning page in a real browser: a manager adds a purchase rule and a campaign from
the forms (no script needed, none refused by the page's CSP) and the page fits a phone.

Debian's Chromium through Playwright (skipped with a message where it is absent).
"""

from __future__ import annotations

from typing import Any

from flask import Flask

from tests.browsing import fits_375, log_in, require_browser, seed_cafe

sync_api = require_browser()


def test_a_manager_sets_how_members_earn_on_a_phone_sized_page(committed: Flask, page: Any) -> None:
    ids = seed_cafe(committed)
    expect = sync_api.expect
    complaints: list[str] = []
    page.on("console", lambda message: complaints.append(message.text))
    log_in(page, "olga@example.com")
    page.goto(f"/programs/{ids['program']}")
    page.get_by_role("link", name="Earning points").click()
    expect(page.get_by_text("There is no way to earn points here yet.")).to_be_visible()

    page.get_by_label("Points for").select_option(label="A purchase")
    page.get_by_label("Points", exact=True).fill("1")
    page.get_by_label("Per amount spent").fill("1.00")
    page.get_by_label("Smallest order that earns").fill("20")
    page.get_by_role("button", name="Add the rule").click()
    expect(page.get_by_text("The earning rule is added.")).to_be_visible()
    expect(page.get_by_text("1 point per $1.00 spent (from $20.00)")).to_be_visible()

    page.get_by_label("Name", exact=True).fill("Double weekend")
    page.get_by_label("Multiplier", exact=True).fill("2")
    page.get_by_label("purchases").check()
    page.get_by_label("Starts").fill("2030-01-04T00:00")
    page.get_by_label("Ends").fill("2030-01-07T00:00")
    page.get_by_role("button", name="Add the campaign").click()
    expect(page.get_by_text("The campaign “Double weekend” is set.")).to_be_visible()
    expect(page.get_by_text("Double points on purchases, from 2030-01-04 00:00")).to_be_visible()
    assert fits_375(page)
    assert not [c for c in complaints if "Content Security Policy" in c], complaints
