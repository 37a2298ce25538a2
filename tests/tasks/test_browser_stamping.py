"""Stamping with a quantity in a real browser (Chromium): the form says what is allowed and
refuses more before anything is sent."""

from __future__ import annotations

from typing import Any

from flask import Flask
from sqlalchemy import func, select

from stampbook.tasks.models import Stamp
from tests.browsing import log_in, require_browser
from tests.concurrency import committed_session
from tests.factories.accounts import make_user
from tests.factories.programs import make_membership, make_program
from tests.factories.shops import make_shop
from tests.factories.tasks import make_task

sync_api = require_browser()


def test_asking_for_more_than_allowed_is_explained_before_submitting(
    committed: Flask, page: Any
) -> None:
    expect = sync_api.expect
    with committed_session(committed) as session:
        owner = make_user(session, email="olga@example.com", name="Olga Owner")
        member = make_user(session, email="ada@example.com", name="Ada Member")
        program = make_program(session, make_shop(session, owner), stamp_system_type="self")
        make_membership(session, program, member)
        task = make_task(
            session,
            program,
            name="Refills",
            allows_multiple=True,
            frequency_settings={"quantity": 1, "time_unit_quantity": 1, "time_unit": "day"},
        ).id
    log_in(page, "ada@example.com")
    page.goto(f"/tasks/{task}")
    quantity = page.get_by_label("How many")
    expect(quantity).to_have_attribute("max", "1")
    expect(
        page.get_by_text("At most 1 at once: the task allows no more in its period.")
    ).to_be_visible()
    quantity.fill("2")
    before = page.url
    page.get_by_role("button", name="Stamp “Refills”").click()
    # The browser keeps the form and says why: the field is invalid, nothing was sent.
    assert quantity.evaluate("input => input.validity.rangeOverflow") is True
    assert page.url == before
    assert quantity.input_value() == "2"
    with committed_session(committed) as session:
        assert session.scalar(select(func.count()).select_from(Stamp)) == 0
