"""The task settings pages: the task form with every option, editing, deletion, and
per-member overrides."""

from __future__ import annotations

import re
from typing import Any

from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from stampbook.programs.models import Membership
from stampbook.tasks.models import Task, TaskOverride
from tests.factories.tasks import make_task
from tests.pages import (
    Cafe,
    help_of,
    log_in,
    post,
    signed_in,
    task_path,
    text_of,
)

# --- The task form ----------------------------------------------------------------------------


EVERY_OPTION: dict[str, Any] = {
    "name": "Gym",
    "summary": "An hour at the gym",
    "description": "Any class counts.",
    "color": "#2a9d8f",
    "icon": "dumbbell",
    "privacy_mode": "members",
    "point_value": 10,
    "allows_partial": "y",
    "point_value_partial": 4,
    "allows_multiple": "y",
    "max_multiple": 2,
    "target": 30,
    "group_target": 300,
    "deadline": "2099-12-31T18:00",
    "frequency_quantity": 2,
    "frequency_span": 3,
    "frequency_unit": "day",
    "schedules-0-days": ["0", "1", "2", "3", "4"],
    "schedules-0-time_from": "09:00",
    "schedules-0-time_until": "17:00",
    "must_stamp_during": "y",
    "first_time_bonus": 5,
    "completion_bonus": 50,
    "streaks-0-name": "Three in a row",
    "streaks-0-length": 3,
    "streaks-0-period": "day",
    "streaks-0-points": 6,
    "streaks-1-length": 2,
    "streaks-1-period": "week",
    "streaks-1-points": 10,
    "streaks-1-is_repeatable": "y",
    "milestones-0-quantity": 10,
    "milestones-0-points": 20,
    "group_success_points": 30,
    "group_success_min_members": 3,
    "group_streaks-0-length": 5,
    "group_streaks-0-period": "day",
    "group_streaks-0-points": 2,
    "group_streaks-0-group_min_members": 2,
    "group_milestones-0-name": "Hundred together",
    "group_milestones-0-quantity": 100,
    "group_milestones-0-points": 3,
    "group_milestones-0-group_min_members": 4,
}


def test_a_manager_creates_a_task_with_every_option(
    client: FlaskClient, session: Session, cafe: Cafe
) -> None:
    log_in(client, cafe.owner.email)
    new = f"/programs/{cafe.program.id}/tasks/new"
    assert "Another streak bonus" in text_of(client.get(new))
    response = post(client, new, new, EVERY_OPTION)
    assert response.status_code == 302, text_of(response)
    task = session.scalars(select(Task).where(Task.name == "Gym")).one()
    assert (task.summary, task.description, task.color, task.icon) == (
        "An hour at the gym",
        "Any class counts.",
        "#2a9d8f",
        "dumbbell",
    )
    assert (task.privacy_mode, task.point_value, task.point_value_partial) == ("members", 10, 4)
    assert (task.allows_partial, task.allows_multiple, task.max_multiple) == (True, True, 2)
    assert (task.target, task.group_target) == (30, 300)
    assert task.deadline is not None and task.deadline.hour == 18
    assert task.frequency_settings == {"quantity": 2, "time_unit_quantity": 3, "time_unit": "day"}
    assert task.availability_settings["must_stamp_during"] is True
    [window] = task.availability_settings["schedules"]
    assert window["days_of_week"] == [0, 1, 2, 3, 4]
    assert window["time_ranges"] == [["09:00:00", "17:00:00"]]
    bonus = task.bonus_values
    assert (bonus["first_time_only"], bonus["reach_total"]) == (5, 50)
    assert [
        (s["name"], s["length"], s["period"], s["points"], s["is_repeatable"])
        for s in bonus["streaks"]
    ] == [
        ("Three in a row", 3, "day", 6, False),
        (None, 2, "week", 10, True),
    ]
    assert bonus["milestones"] == [{"name": None, "points": 20, "quantity": 10}]
    assert bonus["group_success"] == {"points": 30, "group_min_members": 3}
    assert bonus["group_streaks"][0]["group_min_members"] == 2
    assert bonus["group_milestones"][0] == {
        "name": "Hundred together",
        "points": 3,
        "quantity": 100,
        "group_min_members": 4,
    }


def test_another_row_adds_a_blank_row_and_saves_nothing(
    client: FlaskClient, session: Session, cafe: Cafe
) -> None:
    log_in(client, cafe.owner.email)
    new = f"/programs/{cafe.program.id}/tasks/new"
    response = post(
        client,
        new,
        new,
        {"name": "Gym", "point_value": 1, "streaks-0-length": 3, "more": "streaks"},
    )
    page = text_of(response)
    assert response.status_code == 200
    assert 'name="streaks-1-length"' in page and 'name="streaks-2-length"' not in page
    assert 'name="streaks-0-length" type="number" value="3"' in page
    assert session.scalars(select(Task).where(Task.name == "Gym")).first() is None


def test_bad_options_are_refused_next_to_their_fields(client: FlaskClient, cafe: Cafe) -> None:
    log_in(client, cafe.owner.email)
    new = f"/programs/{cafe.program.id}/tasks/new"
    partial = post(client, new, new, {"name": "Gym", "point_value": 5, "allows_partial": "y"})
    assert partial.status_code == 422
    assert (
        help_of(text_of(partial), "point_value_partial")
        == "Needed when partial stamps are allowed."
    )
    row = post(
        client,
        new,
        new,
        {"name": "Gym", "point_value": 5, "streaks-0-length": "", "streaks-0-points": 4},
    )
    assert row.status_code == 422
    assert help_of(text_of(row), "streaks-0-length") == "Fill this in."
    twins = post(
        client,
        new,
        new,
        {
            "name": "Gym",
            "point_value": 5,
            "milestones-0-quantity": 10,
            "milestones-0-points": 1,
            "milestones-1-quantity": 10,
            "milestones-1-points": 2,
        },
    )
    assert twins.status_code == 422
    assert "Two of these bonuses have the same threshold." in text_of(twins)
    closed = post(client, new, new, {"name": "Gym", "point_value": 5, "must_stamp_during": "y"})
    assert closed.status_code == 422
    assert "Say when the task is open" in text_of(closed)
    negative = post(client, new, new, {"name": "Gym", "point_value": -1})
    assert negative.status_code == 422 and help_of(text_of(negative), "point_value")


def test_a_manager_edits_a_task_and_clears_options(
    client: FlaskClient, session: Session, cafe: Cafe
) -> None:
    cafe.task.bonus_values = {
        "first_time_only": 5,
        "streaks": [{"length": 3, "points": 6, "period": "day", "is_repeatable": False}],
    }
    session.flush()
    log_in(client, cafe.owner.email)
    edit = f"/tasks/{cafe.task.id}/edit"
    form = text_of(client.get(edit))
    assert 'name="streaks-0-length" type="number" value="3"' in form
    assert 'name="frequency_quantity" type="number" value="2"' in form
    response = post(
        client,
        edit,
        edit,
        {
            "name": "Buy a big coffee",
            "point_value": 12,
            "frequency_quantity": "",
            "first_time_bonus": 5,
            "streaks-0-length": "",
            "streaks-0-points": "",
            "milestones-0-quantity": 5,
            "milestones-0-points": 7,
        },
    )
    assert response.status_code == 302, text_of(response)
    session.refresh(cafe.task)
    assert (cafe.task.name, cafe.task.point_value) == ("Buy a big coffee", 12)
    assert cafe.task.frequency_settings is None
    assert cafe.task.bonus_values["streaks"] == []
    assert cafe.task.bonus_values["milestones"] == [{"name": None, "points": 7, "quantity": 5}]
    assert "The task Buy a big coffee is saved." in text_of(
        client.get(response.headers["Location"])
    )


def test_an_edit_breaking_the_rules_together_is_refused(
    client: FlaskClient, session: Session, cafe: Cafe
) -> None:
    log_in(client, cafe.owner.email)
    edit = f"/tasks/{cafe.task.id}/edit"
    response = post(
        client, edit, edit, {"name": "Buy a coffee", "point_value": 10, "completion_bonus": 5}
    )
    assert response.status_code == 422
    assert help_of(text_of(response), "completion_bonus") == "Needs a target per member."


def test_members_may_not_create_edit_or_delete_tasks(client: FlaskClient, cafe: Cafe) -> None:
    log_in(client, cafe.member.email)
    for path in (
        f"/programs/{cafe.program.id}/tasks/new",
        f"/tasks/{cafe.task.id}/edit",
        f"/tasks/{cafe.task.id}/delete",
        f"/tasks/{cafe.task.id}/overrides",
        f"/tasks/{cafe.task.id}/overrides/{cafe.membership.id}",
    ):
        assert client.get(path).status_code == 403, path
    assert "Edit the task" not in text_of(client.get(task_path(cafe.task)))


def test_a_manager_deletes_a_task_after_a_confirmation(
    client: FlaskClient, session: Session, cafe: Cafe
) -> None:
    log_in(client, cafe.owner.email)
    delete = f"/tasks/{cafe.task.id}/delete"
    assert "Delete the task Buy a coffee?" in text_of(client.get(delete))
    response = post(client, delete, delete, {})
    assert response.status_code == 303
    session.refresh(cafe.task)
    assert cafe.task.deleted_at is not None
    assert client.get(task_path(cafe.task)).status_code == 404


# --- Per-member overrides ---------------------------------------------------------------------


def test_a_manager_gives_a_member_their_own_settings_and_removes_them(
    client: FlaskClient, session: Session, cafe: Cafe
) -> None:
    log_in(client, cafe.owner.email)
    listing = f"/tasks/{cafe.task.id}/overrides"
    page = text_of(client.get(listing))
    assert "Nobody has settings of their own yet." in page and "Ada Member" in page
    chosen = client.get(f"{listing}?membership_id={cafe.membership.id}")
    assert chosen.status_code == 303
    own = chosen.headers["Location"]
    assert own.endswith(f"/overrides/{cafe.membership.id}")
    assert "Own settings of Ada Member" in text_of(client.get(own))
    response = post(
        client,
        own,
        own,
        {
            "target": 7,
            "frequency_quantity": 1,
            "frequency_span": 1,
            "frequency_unit": "week",
            "own_availability": "y",
            "schedules-0-days": ["5", "6"],
            "must_stamp_during": "y",
        },
    )
    assert response.status_code == 303, text_of(response)
    row = session.scalars(select(TaskOverride)).one()
    assert row.frequency_settings is not None and row.availability_settings is not None
    assert (row.target, row.frequency_settings["time_unit"]) == (7, "week")
    assert row.availability_settings["schedules"][0]["days_of_week"] == [5, 6]
    page = text_of(client.get(listing))
    assert "target: 7 stamps" in page and "once a week" in page
    assert "available weekends (stamps only then)" in page

    member = signed_in(client.application, cafe.member)
    mine = text_of(member.get(task_path(cafe.task)))
    assert "Some of these rules are yours alone" in mine and "target: 7 stamps" in mine

    removed = post(client, f"{own}/delete", listing, {})
    assert removed.status_code == 303
    assert session.scalars(select(TaskOverride)).first() is None
    again = post(client, f"{own}/delete", listing, {})
    assert "This member has no override of this task." in text_of(
        client.get(again.headers["Location"])
    )


def test_an_override_breaking_the_rules_is_refused_next_to_its_field(
    client: FlaskClient, cafe: Cafe
) -> None:
    log_in(client, cafe.owner.email)
    own = f"/tasks/{cafe.task.id}/overrides/{cafe.membership.id}"
    response = post(client, own, own, {"own_availability": "y", "must_stamp_during": "y"})
    assert response.status_code == 422
    assert "Say when the task is open" in text_of(response)
    bad = post(client, own, own, {"target": 0})
    assert bad.status_code == 422 and help_of(text_of(bad), "target")


def test_an_override_for_a_membership_of_another_program_is_not_found(
    client: FlaskClient, session: Session, cafe: Cafe
) -> None:
    other = make_task(session, cafe.program, name="Other")
    elsewhere = session.scalars(select(Membership).where(Membership.user_id == cafe.owner.id)).one()
    log_in(client, cafe.owner.email)
    assert client.get(f"/tasks/{other.id}/overrides/{elsewhere.id}").status_code == 200
    assert client.get(f"/tasks/{other.id}/overrides/999999").status_code == 404


# --- Self-stamping and limits -----------------------------------------------------------------


def test_a_self_stamped_programs_new_task_starts_with_a_daily_limit(
    client: FlaskClient, session: Session, cafe: Cafe
) -> None:
    assert cafe.program.stamp_system_type == "self"
    log_in(client, cafe.owner.email)
    new = f"/programs/{cafe.program.id}/tasks/new"
    form = text_of(client.get(new))
    assert re.search(r'name="frequency_quantity"[^>]*value="1"', form)
    assert "Members stamp themselves in this program" in form
    # Emptied on purpose: saved, with a warning that nothing limits it.
    response = post(
        client, new, new, {"name": "Free refill", "point_value": 1, "frequency_quantity": ""}
    )
    assert response.status_code == 302
    after = text_of(client.get(response.headers["Location"]))
    assert "This task has no limit and its members stamp themselves" in after
    refill = session.scalars(select(Task).where(Task.name == "Free refill")).one()
    edit = text_of(client.get(f"/tasks/{refill.id}/edit"))
    assert "This task has no limit and its members stamp themselves" in edit
    # Kept: no warning.
    response = post(
        client,
        new,
        new,
        {"name": "Tea", "point_value": 1, "frequency_quantity": 1, "frequency_span": 1},
    )
    assert response.status_code == 302
    assert "This task has no limit" not in text_of(client.get(response.headers["Location"]))
    tea = session.scalars(select(Task).where(Task.name == "Tea")).one()
    assert tea.frequency_settings == {"quantity": 1, "time_unit_quantity": 1, "time_unit": "day"}


def test_a_team_stamped_programs_new_task_has_no_preset_limit(
    client: FlaskClient, session: Session, cafe: Cafe
) -> None:
    cafe.program.stamp_system_type = "stampers"
    session.flush()
    log_in(client, cafe.owner.email)
    new = f"/programs/{cafe.program.id}/tasks/new"
    form = text_of(client.get(new))
    assert not re.search(r'name="frequency_quantity"[^>]*value="1"', form)
    assert "Members stamp themselves" not in form
    response = post(client, new, new, {"name": "Free refill", "point_value": 1})
    assert "This task has no limit" not in text_of(client.get(response.headers["Location"]))
