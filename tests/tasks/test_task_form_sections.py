"""The task form a person can fill: the essentials first, the advanced options folded into
sections that open on demand, several schedules added before saving, hints that fit."""

from __future__ import annotations

import re

from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from stampbook.tasks.models import Task
from tests.factories.tasks import make_task
from tests.pages import Cafe, help_of, log_in, post, text_of


def sections(page: str) -> dict[str, bool]:
    """Each folded section's summary -> whether it is open."""
    found = re.findall(r"<details([^>]*)>\s*<summary[^>]*>([^<]*)</summary>", page)
    return {summary.strip(): " open" in attrs for attrs, summary in found}


SECTION = '<details class="mb-3 border rounded'


def folded_part(page: str, summary: str) -> str:
    """What the section ``summary`` holds (up to the next section or the form's end)."""
    start = page.index(f">{summary}</summary>")
    ends = [at for at in (page.find(SECTION, start), page.find("</form>", start)) if at > 0]
    return page[start : min(ends)]


def test_the_essentials_come_first_and_the_rest_is_folded(client: FlaskClient, cafe: Cafe) -> None:
    log_in(client, cafe.owner.email)
    page = text_of(client.get(f"/programs/{cafe.program.id}/tasks/new"))
    first_fold = page.index("<details")
    for essential in ('name="name"', 'name="summary"', 'name="point_value"'):
        assert page.index(essential) < first_fold, essential
    folded = sections(page)
    for summary in (
        "When the task is done",
        "Partial and multiple stamps",
        "Bonuses",
        "Group bonuses",
        "Description and looks",
    ):
        assert folded[summary] is False, summary
    # Open only where it holds the limit a self-stamped program's new task starts with.
    assert folded["Limits and targets"] == (
        'name="frequency_quantity" type="number" value="1"' in page
    )
    assert 'name="streaks-0-length"' in folded_part(page, "Bonuses")
    assert 'name="group_milestones-0-quantity"' in folded_part(page, "Group bonuses")
    # A schedule's RFC 5545 rule is a fold of its own inside the schedules' section.
    schedules = folded_part(page, "When the task is done")
    assert "For experts: an RFC 5545 rule" in schedules and 'name="schedules-0-rrule"' in schedules


def test_sections_holding_a_value_are_open_on_the_edit_page(
    client: FlaskClient, session: Session, cafe: Cafe
) -> None:
    task = make_task(
        session,
        cafe.program,
        name="Gym",
        availability_settings={"schedules": [{"days_of_week": [0]}], "must_stamp_during": False},
        bonus_values={"milestones": [{"quantity": 10, "points": 20}]},
    )
    log_in(client, cafe.owner.email)
    opened = sections(text_of(client.get(f"/tasks/{task.id}/edit")))
    assert opened["When the task is done"] and opened["Bonuses"]
    assert not opened["Group bonuses"] and not opened["Partial and multiple stamps"]


def test_a_section_holding_an_error_opens(client: FlaskClient, cafe: Cafe) -> None:
    log_in(client, cafe.owner.email)
    new = f"/programs/{cafe.program.id}/tasks/new"
    response = post(client, new, new, {"name": "Gym", "point_value": 1, "max_multiple": 3})
    assert response.status_code == 422
    page = text_of(response)
    assert sections(page)["Partial and multiple stamps"]
    assert not sections(page)["Group bonuses"]
    assert "Tick “One stamp may count several times” first." in help_of(page, "max_multiple")


def test_two_schedules_are_added_before_saving(
    client: FlaskClient, session: Session, cafe: Cafe
) -> None:
    log_in(client, cafe.owner.email)
    new = f"/programs/{cafe.program.id}/tasks/new"
    typed = {
        "name": "Gym",
        "point_value": 2,
        "streaks-0-length": 3,
        "streaks-0-points": 4,
        "schedules-0-days": ["0"],
        "schedules-0-time_from": "08:00",
    }
    first = post(client, new, new, {**typed, "more": "schedules"})
    assert first.status_code == 200
    page = text_of(first)
    assert 'name="schedules-1-time_from"' in page and 'name="schedules-2-time_from"' not in page
    assert 'name="schedules-0-time_from" type="time" value="08:00"' in page  # kept
    assert 'name="streaks-0-length" type="number" value="3"' in page
    assert sections(page)["When the task is done"]
    assert "Add another schedule" in page
    assert session.scalars(select(Task).where(Task.name == "Gym")).first() is None
    # A second one, then saving: both schedules are the task's.
    typed |= {"schedules-1-days": ["5", "6"], "schedules-1-time_from": "10:00"}
    second = post(client, new, new, {**typed, "more": "schedules"})
    assert 'name="schedules-2-time_from"' in text_of(second)
    saved = post(client, new, new, typed)
    assert saved.status_code == 302, text_of(saved)
    task = session.scalars(select(Task).where(Task.name == "Gym")).one()
    schedules = task.availability_settings["schedules"]
    assert [(s["days_of_week"], s["time_ranges"][0][0]) for s in schedules] == [
        ([0], "08:00:00"),
        ([5, 6], "10:00:00"),
    ]


def test_adding_to_a_blank_list_opens_its_section_with_one_more_blank(
    client: FlaskClient, cafe: Cafe
) -> None:
    log_in(client, cafe.owner.email)
    new = f"/programs/{cafe.program.id}/tasks/new"
    # As a browser posts it: the blank entry's inputs come along (a select is never empty).
    blank = {"name": "Gym", "point_value": 1, "schedules-0-unit": "week", "milestones-0-name": ""}
    page = text_of(post(client, new, new, {**blank, "more": "schedules"}))
    assert 'name="schedules-1-time_from"' in page
    assert sections(page)["When the task is done"]
    rows = text_of(post(client, new, new, {**blank, "more": "milestones"}))
    assert 'name="milestones-1-quantity"' in rows and sections(rows)["Bonuses"]


def test_each_bonus_says_what_it_is(client: FlaskClient, cafe: Cafe) -> None:
    log_in(client, cafe.owner.email)
    page = text_of(client.get(f"/programs/{cafe.program.id}/tasks/new"))
    streak, milestone = help_of(page, "streaks-0-name"), help_of(page, "milestones-0-name")
    assert "in a row" in streak and "in a row" not in milestone
    assert "Tenth coffee" in milestone
    assert "in a row" in help_of(page, "streaks-0-length")
    assert "in all" in help_of(page, "milestones-0-quantity")
    assert "added up" in help_of(page, "group_milestones-0-quantity")
    assert "during the streak" in help_of(page, "group_streaks-0-group_min_members")
    assert "toward it" in help_of(page, "group_milestones-0-group_min_members")
    assert "toward the target" in help_of(page, "group_success_min_members")
